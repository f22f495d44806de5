using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>Someone with the vault file edits it: every change to a ciphertext or wrapped key is caught and named.</summary>
public sealed class IntegrityTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void AFlippedCiphertextByteIsSecretIntegrityFailed()
    {
        var vault = home.NewVault("app");
        var set = vault.Set("db", "s3cret-value");
        FlipByte(vault.Path, "db", 20);

        var reopened = home.Manager.Open("app");
        var ex = Throws(() => reopened.GetSecret("db"), "SecretIntegrityFailed");
        Assert.Equal(VaultErrorKind.InvalidData, ex.Kind);
        Assert.Equal("db", ex.Target);
        Assert.Contains(set.Version, ex.Message);
        Assert.DoesNotContain("s3cret", ex.Message);
    }

    [Fact]
    public void ACiphertextMovedToAnotherSecretIsSecretIntegrityFailed()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "db-value");
        vault.Set("api", "api-value");
        Tamper(vault.Path, """
            UPDATE secret_version SET value = (SELECT v.value FROM secret_version v JOIN secret s USING (secret_id) WHERE s.name = 'db')
            WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'api');
            """);

        var reopened = home.Manager.Open("app");
        Assert.Equal("db-value", reopened.GetSecret("db").Plain());
        Throws(() => reopened.GetSecret("api"), "SecretIntegrityFailed");
    }

    [Fact]
    public void ACiphertextMovedToAnotherVersionOrTermIsSecretIntegrityFailed()
    {
        var vault = home.NewVault("app");
        var one = vault.Set("db", "one");
        vault.Set("db", "two");
        var two = home.Manager.Open("app").GetSecretProperties("db").Version;
        Tamper(vault.Path, $"UPDATE secret_version SET value = (SELECT value FROM secret_version WHERE version = '{two}') WHERE version = '{one.Version}';");
        Throws(() => home.Manager.Open("app").GetSecret("db", one.Version), "SecretIntegrityFailed");

        // A version renamed is caught before its value is opened, by its attributes' MAC (step 6).
        Tamper(vault.Path, $"UPDATE secret_version SET version = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' WHERE version = '{one.Version}';");
        Throws(() => home.Manager.Open("app").GetSecret("db", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "MetadataIntegrityFailed");

        Tamper(vault.Path, "INSERT INTO keyring (term, purpose, wrapped_key, created) SELECT 2, purpose, wrapped_key, created FROM keyring WHERE term = 1;");
        Tamper(vault.Path, "UPDATE secret_version SET term = 2;");
        // The copied keyring entry is bound to term 1, so the keyring itself now fails.
        Throws(() => home.Manager.Open("app").GetSecret("db"), "KeyringIntegrityFailed");
    }

    [Fact]
    public void AnAlteredWrappedKeyIsKeyringIntegrityFailed()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "one");
        Tamper(vault.Path, "UPDATE keyring SET wrapped_key = substr(wrapped_key, 1, 5) || x'00' || substr(wrapped_key, 7);");

        var ex = Throws(() => home.Manager.Open("app").GetSecret("db"), "KeyringIntegrityFailed");
        Assert.Contains("term 1", ex.Message);
    }

    [Fact]
    public void AnotherVaultsKeyFileIsKeyringIntegrityFailed()
    {
        var a = home.NewVault("vault-a");
        var b = home.NewVault("vault-b");
        a.Set("db", "one");
        VaultCache.Evict(a.Path);
        File.Copy(b.Path + ".key", a.Path + ".key", overwrite: true);

        Throws(() => home.Manager.Open("vault-a").GetSecret("db"), "KeyringIntegrityFailed");
    }

    [Fact]
    public void AMissingKeyFileIsKeyProtectorUnavailable()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "one");
        VaultCache.Evict(vault.Path);
        File.Move(vault.Path + ".key", vault.Path + ".key.moved");

        var ex = Throws(() => home.Manager.Open("app").GetSecret("db"), "KeyProtectorUnavailable");
        Assert.Equal(VaultErrorKind.Unavailable, ex.Kind);
        Assert.Contains(".key", ex.Message);

        // Every operation needs the audit key, a listing too: it fails the same way.
        Throws(() => home.Manager.Open("app").ListSecrets(), "KeyProtectorUnavailable");
        File.Move(vault.Path + ".key.moved", vault.Path + ".key");
        VaultCache.Evict(vault.Path);
        Assert.Equal("one", home.Manager.Open("app").GetSecret("db").Plain());
    }

    [Fact]
    public void ATruncatedKeyFileIsKeyProtectorUnavailable()
    {
        var vault = home.NewVault("app");
        VaultCache.Evict(vault.Path);
        File.WriteAllBytes(vault.Path + ".key", new byte[16]);
        Throws(() => home.Manager.Open("app").Set("db", "x"), "KeyProtectorUnavailable");
    }

    private static void FlipByte(string path, string secret, int offset)
    {
        VaultCache.Evict(path);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT v.seq, v.value FROM secret_version v JOIN secret s USING (secret_id) WHERE s.name = $n ORDER BY v.seq DESC LIMIT 1;";
        read.Parameters.AddWithValue("$n", secret);
        long seq;
        byte[] value;
        using (var reader = read.ExecuteReader())
        {
            reader.Read();
            seq = reader.GetInt64(0);
            value = (byte[])reader.GetValue(1);
        }

        value[offset] ^= 0x01;
        using var write = connection.CreateCommand();
        write.CommandText = "UPDATE secret_version SET value = $v WHERE seq = $s;";
        write.Parameters.AddWithValue("$v", value);
        write.Parameters.AddWithValue("$s", seq);
        write.ExecuteNonQuery();
    }
}
