using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

public sealed class ConcurrencyTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void ParallelWritersLoseNoVersion()
    {
        home.NewVault("busy");
        const int writers = 8;
        const int perWriter = 50;
        var written = new System.Collections.Concurrent.ConcurrentBag<string>();

        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            // Each writer opens the vault through its own manager, as separate sessions would.
            var vault = new VaultManager(home.Directory, home.Clock).Open("busy");
            for (var i = 0; i < perWriter; i++)
            {
                written.Add(vault.Set("shared", $"w{w}-{i}").Version);
                vault.Set($"own-{w}", $"w{w}-{i}");
            }
        });

        var reader = home.Manager.Open("busy");
        Assert.Equal(written.Order(), reader.ListVersions("shared").Select(v => v.Version).Order());
        Assert.Equal(writers * perWriter, written.Distinct().Count());
        for (var w = 0; w < writers; w++)
        {
            Assert.Equal($"w{w}-{perWriter - 1}", reader.GetSecret($"own-{w}").Plain());
        }
    }

    [Fact]
    public void ParallelRegistrationsAreAllKept()
    {
        Parallel.For(0, 12, i => new VaultManager(home.Directory, home.Clock).CreateVault($"par-vault-{i}"));
        Assert.Equal(12, new VaultManager(home.Directory).VaultNames.Count);
    }
}
