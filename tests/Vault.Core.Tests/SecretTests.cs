using System.Collections;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

public sealed class SecretTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void SetThenGetReturnsTheValueAsASecureString()
    {
        var vault = home.NewVault("app");
        var set = vault.Set("Database", "Server=172.17.0.2;pwd=dev$3c0ps");

        var got = vault.GetSecret("Database");

        Assert.Equal("Server=172.17.0.2;pwd=dev$3c0ps", got.Plain());
        Assert.Equal(set.Version, got.Version);
        Assert.Matches("^[0-9a-f]{32}$", got.Version);
        Assert.Equal($"vault://app/secrets/Database/{got.Version}", got.Id);
        Assert.True(got.SecretValue.IsReadOnly());
        Assert.True(got.Enabled);
        Assert.Equal(home.Clock.Now.UtcDateTime, got.Created);
    }

    [Fact]
    public void EverySetMakesANewVersionAndTheLatestWins()
    {
        var vault = home.NewVault();
        var versions = Enumerable.Range(1, 5).Select(i => vault.Set("api-key", "value-" + i).Version).ToList();

        Assert.Equal(5, versions.Distinct().Count());
        Assert.Equal("value-5", vault.GetSecret("api-key").Plain());
        Assert.Equal("value-2", vault.GetSecret("api-key", versions[1]).Plain());
        Assert.Equal(versions.AsEnumerable().Reverse(), vault.ListVersions("api-key").Select(v => v.Version));
    }

    [Fact]
    public void NamesCompareCaseInsensitivelyAndKeepTheirFirstSpelling()
    {
        var vault = home.NewVault();
        vault.Set("DbPassword", "one");
        vault.Set("dbpassword", "two");

        var got = vault.GetSecret("DBPASSWORD");
        Assert.Equal("two", got.Plain());
        Assert.Equal("DbPassword", got.Name);
        Assert.Single(vault.ListSecrets());
        Assert.Equal(2, vault.ListVersions("dbPassword").Count());
    }

    [Fact]
    public void ContentTypeAndTagsCarryForwardUnlessGiven()
    {
        var vault = home.NewVault();
        vault.Set("conn", "a", new SecretSetOptions { ContentType = "text/plain", Tags = new Hashtable { ["env"] = "dev", ["team"] = "core" } });
        var second = vault.Set("conn", "b");
        Assert.Equal("text/plain", second.ContentType);
        Assert.Equal("dev", second.Tags["ENV"]);
        Assert.Equal(2, second.Tags.Count);

        var third = vault.Set("conn", "c", new SecretSetOptions { ContentType = "application/json", Tags = new Hashtable { ["env"] = "prod" } });
        Assert.Equal("application/json", third.ContentType);
        Assert.Equal("prod", third.Tags["env"]);
        Assert.Single(third.Tags);

        var cleared = vault.Set("conn", "d", new SecretSetOptions { ContentType = string.Empty, Tags = new Hashtable() });
        Assert.Null(cleared.ContentType);
        Assert.Empty(cleared.Tags);

        // The older versions kept their own attributes.
        Assert.Equal("text/plain", vault.GetSecretProperties("conn", second.Version).ContentType);
    }

    [Fact]
    public void NotBeforeExpiresAndDisabledAreStored()
    {
        var vault = home.NewVault();
        var nb = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        var ex = new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var set = vault.Set("cert-pw", "x", new SecretSetOptions { NotBefore = nb, Expires = ex, Enabled = false });

        Assert.Equal(nb, set.NotBefore);
        Assert.Equal(ex, set.Expires);
        Assert.False(set.Enabled);
        Assert.Equal(DateTimeKind.Utc, set.Expires!.Value.Kind);
    }

    [Fact]
    public void ADisabledVersionIsRefusedAndReadableOnceEnabled()
    {
        var vault = home.NewVault();
        var set = vault.Set("db", "s3cret", new SecretSetOptions { Enabled = false });

        var error = Throws(() => vault.GetSecret("db"), "SecretDisabled");
        Assert.Equal(VaultErrorKind.InvalidOperation, error.Kind);
        Assert.Equal("db", error.Target);
        Assert.Contains("-Enable $true", error.Message);

        vault.UpdateSecret("db", set.Version, new SecretUpdate { Enabled = true });
        Assert.Equal("s3cret", vault.GetSecret("db").Plain());
    }

    [Fact]
    public void AnExpiredOrNotYetValidVersionIsReturnedWithAWarning()
    {
        var vault = home.NewVault();
        var now = home.Clock.Now.UtcDateTime;
        vault.Set("old", "v", new SecretSetOptions { Expires = now.AddDays(-1) });
        vault.Set("future", "v", new SecretSetOptions { NotBefore = now.AddDays(1) });
        vault.Set("fine", "v", new SecretSetOptions { NotBefore = now.AddDays(-1), Expires = now.AddDays(1) });

        Assert.Contains("expired", vault.ValidityWarning(vault.GetSecret("old")));
        Assert.Contains("not valid before", vault.ValidityWarning(vault.GetSecret("future")));
        Assert.Null(vault.ValidityWarning(vault.GetSecret("fine")));
    }

    [Fact]
    public void UpdateChangesAttributesWithoutANewVersion()
    {
        var vault = home.NewVault();
        var first = vault.Set("db", "one", new SecretSetOptions { ContentType = "text/plain" });
        var second = vault.Set("db", "two");
        home.Clock.Advance(TimeSpan.FromMinutes(5));

        var updated = vault.UpdateSecret("db", first.Version, new SecretUpdate { Enabled = false, Tags = new Hashtable { ["rotated"] = "yes" } });

        Assert.Equal(first.Version, updated.Version);
        Assert.False(updated.Enabled);
        Assert.Equal("yes", updated.Tags["rotated"]);
        Assert.Equal("text/plain", updated.ContentType);
        Assert.Equal(home.Clock.Now.UtcDateTime, updated.Updated);
        Assert.Equal(first.Created, updated.Created);
        Assert.Equal(2, vault.ListVersions("db").Count());
        Assert.Equal("two", vault.GetSecret("db").Plain());
        Throws(() => vault.GetSecret("db", first.Version), "SecretDisabled");

        // Without a version, the latest is updated.
        var latest = vault.UpdateSecret("db", null, new SecretUpdate { ContentType = "password" });
        Assert.Equal(second.Version, latest.Version);
        Assert.Equal("password", latest.ContentType);
    }

    [Fact]
    public void UpdateRefusesUnknownSecretsVersionsAndBadAttributes()
    {
        var vault = home.NewVault();
        var set = vault.Set("db", "one");
        Throws(() => vault.UpdateSecret("nope", null, new SecretUpdate { Enabled = false }), "SecretNotFound");
        Throws(() => vault.UpdateSecret("db", new string('0', 32), new SecretUpdate { Enabled = false }), "SecretVersionNotFound");
        Throws(() => vault.UpdateSecret("db", "NOT-A-VERSION", new SecretUpdate { Enabled = false }), "InvalidSecretVersion");
        Throws(() => vault.UpdateSecret("db", null, new SecretUpdate { ContentType = new string('c', 256) }), "InvalidSecretAttribute");
        Throws(() => vault.UpdateSecret("db", null, new SecretUpdate
        {
            NotBefore = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            Expires = new DateTime(2029, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        }), "InvalidSecretAttribute");

        var unchanged = vault.GetSecretProperties("db");
        Assert.Equal(set.Updated, unchanged.Updated);
        Assert.True(unchanged.Enabled);
        Assert.Null(unchanged.ContentType);
    }

    [Fact]
    public void GetRefusesUnknownNamesAndVersions()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "one");

        var notFound = Throws(() => vault.GetSecret("other"), "SecretNotFound");
        Assert.Equal(VaultErrorKind.NotFound, notFound.Kind);
        Assert.Equal("Secret 'other' was not found in vault 'app'.", notFound.Message);
        var noVersion = Throws(() => vault.GetSecret("db", "0123456789abcdef0123456789abcdef"), "SecretVersionNotFound");
        Assert.Contains("-IncludeVersions", noVersion.Message);
        // Versions compare case-insensitively, as names do: upper case is the same (unknown) version.
        Assert.Contains("0123456789abcdef0123456789abcdef", Throws(() => vault.GetSecret("db", "0123456789ABCDEF0123456789ABCDEF"), "SecretVersionNotFound").Message);
        var latest = vault.GetSecretProperties("db").Version;
        Assert.Equal(latest, vault.GetSecret("db", latest.ToUpperInvariant()).Version);
        Throws(() => vault.GetSecret("db", "G123456789ABCDEF0123456789ABCDEF"), "InvalidSecretVersion");
        Throws(() => vault.ListVersions("other").ToList(), "SecretNotFound");
    }

    [Fact]
    public void ListingStreamsTheLatestVersionOfMatchingNames()
    {
        var vault = home.NewVault();
        foreach (var name in new[] { "app-db", "app-api", "web-db", "App-Cache" })
        {
            vault.Set(name, "x");
            vault.Set(name, "y");
        }

        Assert.Equal(["app-api", "App-Cache", "app-db", "web-db"], vault.ListSecrets().Select(s => s.Name));
        Assert.Equal(["app-api", "App-Cache", "app-db"], vault.ListSecrets(NamePattern.Parse("app-*")).Select(s => s.Name));
        Assert.Equal(["app-db", "web-db"], vault.ListSecrets(NamePattern.Parse("*-db")).Select(s => s.Name));
        Assert.Equal(["app-db"], vault.ListSecrets(NamePattern.Parse("a?p-[d]b")).Select(s => s.Name));
        Assert.All(vault.ListSecrets(), s => Assert.Equal(vault.GetSecretProperties(s.Name).Version, s.Version));
        Assert.IsNotType<VaultSecret>(vault.ListSecrets().First());
    }

    [Fact]
    public void AUtf8ValueRoundTrips()
    {
        var vault = home.NewVault();
        const string value = "pässwörd — 密码 🔑";
        vault.Set("intl", value);
        Assert.Equal(value, vault.GetSecret("intl").Plain());
    }

    [Fact]
    public void AnEmptyValueIsAllowed()
    {
        var vault = home.NewVault();
        vault.Set("empty", string.Empty);
        Assert.Equal(string.Empty, vault.GetSecret("empty").Plain());
    }
}
