using System.Collections;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>Azure Key Vault's limits, each at its edge, and proof that a refused call wrote nothing.</summary>
public sealed class SecretRulesTests : IDisposable
{
    private readonly TestHome home = new();
    private readonly VaultService vault;

    public SecretRulesTests() => vault = home.NewVault();

    public void Dispose() => home.Dispose();

    private void AssertNothingWritten() => Assert.Empty(vault.ListSecrets());

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("under_score")]
    [InlineData("dot.ted")]
    [InlineData("slash/name")]
    [InlineData("ünicode")]
    [InlineData("semi;colon")]
    [InlineData("abc\n")]
    [InlineData("abc\r\n")]
    [InlineData("\nabc")]
    public void InvalidNamesAreRefused(string name)
    {
        var ex = Throws(() => vault.Set(name, "v"), "InvalidSecretName");
        Assert.Equal(VaultErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal(name, ex.Target);
        AssertNothingWritten();
        Throws(() => vault.GetSecret(name), "InvalidSecretName");
        Throws(() => vault.DeleteSecret(name), "InvalidSecretName");
    }

    [Fact]
    public void ANameOrVersionWithANewlineAfterItIsNotTheNameBeforeIt()
    {
        // $ in a .NET pattern matches before a final newline: every rule and pattern must match whole strings.
        vault.Set("abc", "v");
        var version = vault.GetSecretProperties("abc").Version;
        Throws(() => vault.GetSecret("abc", version + "\n"), "InvalidSecretVersion");
        Throws(() => home.Manager.CreateVault("abc\n"), "InvalidVaultName");
        // A scope is trimmed (spaces and newlines around it are no part of it): it names abc, not a second secret.
        Assert.Equal("/secrets/abc", VaultService.NormalizeScope("/secrets/abc\n"));
        Assert.False(NamePattern.Parse("ab*").IsMatch("abc\n"));
        Assert.False(NamePattern.Parse("abc").IsMatch("abc\n"));
        Assert.True(NamePattern.Parse("ab*").IsMatch("abc"));
        Assert.Equal(["abc"], vault.ListSecrets().Select(s => s.Name));
    }

    [Fact]
    public void NameLengthLimitIs127()
    {
        vault.Set(new string('a', 127), "v");
        Throws(() => vault.Set(new string('b', 128), "v"), "InvalidSecretName");
        Assert.Single(vault.ListSecrets());
    }

    [Fact]
    public void ValueLimitIs25KiBOfUtf8()
    {
        vault.Set("ascii", new string('x', 25 * 1024));
        vault.Set("two-byte", new string('é', 25 * 1024 / 2));
        var ex = Throws(() => vault.Set("too-big", new string('x', (25 * 1024) + 1)), "SecretValueTooLarge");
        Assert.Contains("25601 bytes", ex.Message);
        Throws(() => vault.Set("too-big-utf8", new string('é', (25 * 1024 / 2) + 1)), "SecretValueTooLarge");
        Assert.Equal(2, vault.ListSecrets().Count());
    }

    [Fact]
    public void AtMost15TagsWith512CharacterNamesAndValues()
    {
        var fifteen = new Hashtable();
        for (var i = 0; i < 15; i++)
        {
            fifteen["t" + i] = i;
        }

        fifteen["t0"] = new string('v', 512);
        fifteen[new string('k', 512)] = "x";
        fifteen.Remove("t14");
        vault.Set("ok", "v", new SecretSetOptions { Tags = fifteen });
        Assert.Equal(15, vault.GetSecretProperties("ok").Tags.Count);

        var sixteen = (Hashtable)fifteen.Clone();
        sixteen["t14"] = "x";
        Throws(() => vault.Set("a", "v", new SecretSetOptions { Tags = sixteen }), "InvalidSecretAttribute");
        Throws(() => vault.Set("b", "v", new SecretSetOptions { Tags = new Hashtable { [new string('k', 513)] = "x" } }), "InvalidSecretAttribute");
        Throws(() => vault.Set("c", "v", new SecretSetOptions { Tags = new Hashtable { ["k"] = new string('v', 513) } }), "InvalidSecretAttribute");
        Throws(() => vault.Set("d", "v", new SecretSetOptions { Tags = new Hashtable { [" "] = "x" } }), "InvalidSecretAttribute");
        Assert.Single(vault.ListSecrets());
    }

    [Fact]
    public void ContentTypeLimitIs255()
    {
        vault.Set("ok", "v", new SecretSetOptions { ContentType = new string('c', 255) });
        Throws(() => vault.Set("no", "v", new SecretSetOptions { ContentType = new string('c', 256) }), "InvalidSecretAttribute");
        Assert.Single(vault.ListSecrets());
    }

    [Fact]
    public void NotBeforeMustNotFollowExpires()
    {
        var ex = Throws(() => vault.Set("x", "v", new SecretSetOptions
        {
            NotBefore = new DateTime(2030, 1, 2, 0, 0, 0, DateTimeKind.Utc),
            Expires = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        }), "InvalidSecretAttribute");
        Assert.Contains("NotBefore", ex.Message);
        AssertNothingWritten();
    }

    [Fact]
    public void AValueThatIsNotUtf8IsRefused()
    {
        Throws(() => vault.SetSecret("bin", new byte[] { 0xff, 0xfe, 0x00 }), "InvalidSecretValue");
        Throws(() => vault.Set("surrogate", "a\ud800b"), "InvalidSecretValue");
        AssertNothingWritten();
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("1vault")]
    [InlineData("vault-")]
    [InlineData("my--vault")]
    [InlineData("a_vault")]
    [InlineData("abcdefghijklmnopqrstuvwxy")]
    public void InvalidVaultNamesAreRefused(string name)
    {
        Throws(() => home.Manager.CreateVault(name), "InvalidVaultName");
        Assert.DoesNotContain(name, home.Manager.VaultNames);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(91)]
    [InlineData(0)]
    public void RetentionMustBe7To90Days(int days)
    {
        Throws(() => home.Manager.CreateVault("ret-vault", null, days), "InvalidVaultAttribute");
        Assert.DoesNotContain("ret-vault", home.Manager.VaultNames);
        Assert.False(Directory.Exists(Path.Combine(home.Directory, "vaults", "ret-vault.vault")));
    }
}
