namespace Vault.Core.Tests;

public sealed class NameAndIdTests
{
    [Theory]
    [InlineData(null, "anything", true)]
    [InlineData("*", "anything", true)]
    [InlineData("app-*", "App-DB", true)]
    [InlineData("app-*", "web-app", false)]
    [InlineData("*db", "app-db", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "abbc", false)]
    [InlineData("[ab]x", "bx", true)]
    [InlineData("[ab]x", "cx", false)]
    [InlineData("db", "DB", true)]
    [InlineData("db", "db2", false)]
    [InlineData("[.*]", "x", false)]
    public void WildcardsMatchLikePowerShell(string? pattern, string name, bool expected) =>
        Assert.Equal(expected, NamePattern.Parse(pattern).IsMatch(name));

    [Fact]
    public void ThePrefixBeforeTheFirstWildcardNarrowsStorage()
    {
        Assert.Equal("app-", NamePattern.Parse("app-*").Prefix);
        Assert.Equal(string.Empty, NamePattern.Parse("*-db").Prefix);
        Assert.Equal("exact", NamePattern.Parse("exact").Prefix);
    }

    [Theory]
    [InlineData("vault://app/secrets/db", "app", "db", null)]
    [InlineData("vault://app/secrets/db/0123456789abcdef0123456789abcdef", "app", "db", "0123456789abcdef0123456789abcdef")]
    [InlineData("VAULT://My-Vault/Secrets/Db", "My-Vault", "Db", null)]
    public void SecretIdsParse(string id, string vault, string name, string? version)
    {
        Assert.True(VaultSecretId.TryParse(id, out var v, out var n, out var ver));
        Assert.Equal((vault, name, version), (v, n, ver));
    }

    [Theory]
    [InlineData("")]
    [InlineData("https://app/secrets/db")]
    [InlineData("vault://app/keys/db")]
    [InlineData("vault://app/secrets")]
    [InlineData("vault://app/secrets/db/v/extra")]
    [InlineData("vault:///secrets/db")]
    [InlineData("vault://app/secrets//v")]
    public void MalformedIdsDoNotParse(string id) => Assert.False(VaultSecretId.TryParse(id, out _, out _, out _));

    [Fact]
    public void IdsFormatAsTheyParse() =>
        Assert.Equal("vault://app/secrets/db/abc", VaultSecretId.Format("app", "db", "abc"));
}
