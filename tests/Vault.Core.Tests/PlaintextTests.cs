using System.Text;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>Reads every byte the vault leaves on disk (the database, its -wal and -shm files, the key
/// file, the registry) and looks for the values that went in.</summary>
public sealed class PlaintextTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    internal static IEnumerable<byte[]> Encodings(string value) =>
    [
        Encoding.UTF8.GetBytes(value),
        Encoding.Unicode.GetBytes(value),
        Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(value))),
    ];

    internal static void AssertNotInFiles(string directory, IEnumerable<string> values)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith("-wal", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var value in values)
            {
                foreach (var needle in Encodings(value))
                {
                    Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"'{value}' found in plain text in {file}");
                }
            }
        }
    }

    [Fact]
    public void NoValueIsOnDiskInPlainText()
    {
        var vault = home.NewVault("app");
        string[] values =
        [
            "Server=172.17.0.2;database=CreditUnion;uid=credituser;pwd=dev$3c0psForTheWin",
            "pässwörd-密码-marker",
            new string('Q', 20_000) + "-long-marker",
        ];
        for (var i = 0; i < values.Length; i++)
        {
            vault.Set("secret-" + i, values[i]);
            vault.Set("secret-" + i, values[i] + "-v2");
        }

        vault.UpdateSecret("secret-0", null, new SecretUpdate { Enabled = false });
        vault.DeleteSecret("secret-1");
        File.WriteAllBytes(Path.Combine(home.Directory, "backup.blob"), vault.BackupSecret("secret-2"));

        // While the process still has the vault open, the -wal file holds every write.
        AssertNotInFiles(home.Directory, values);
    }

    [Fact]
    public void NoValueIsInAnErrorMessage()
    {
        var vault = home.NewVault("app");
        const string value = "Marker-Value-In-Errors-41";
        var messages = new List<string>
        {
            Assert.Throws<VaultException>(() => vault.Set("bad name", value)).Message,
            Assert.Throws<VaultException>(() => vault.Set("big", value + new string('x', 30_000))).Message,
            Assert.Throws<VaultException>(() => vault.Set("x", value, new SecretSetOptions { ContentType = new string('c', 300) })).Message,
        };
        vault.Set("db", value, new SecretSetOptions { Enabled = false });
        messages.Add(Assert.Throws<VaultException>(() => vault.GetSecret("db")).Message);
        vault.UpdateSecret("db", null, new SecretUpdate { Enabled = true });
        vault.DeleteSecret("db");
        messages.Add(Assert.Throws<VaultException>(() => vault.Set("db", value)).Message);

        Assert.All(messages, m => Assert.DoesNotContain(value, m));
    }
}
