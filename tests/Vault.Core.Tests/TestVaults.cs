using System.Security;
using Microsoft.Data.Sqlite;
using Vault.Core.Identity;

namespace Vault.Core.Tests;

/// <summary>A Vault home in a fresh temporary folder, deleted afterwards, with a clock the test moves.</summary>
public sealed class TestHome : IDisposable
{
    public TestHome()
    {
        Directory = Path.Combine(Path.GetTempPath(), "vault-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Manager = new VaultManager(Directory, Clock);
    }

    public string Directory { get; }

    public FakeClock Clock { get; } = new();

    public VaultManager Manager { get; }

    /// <summary>The same home, as another principal (only the core's tests can do this).</summary>
    public VaultManager As(CallerContext caller) => new(Directory, Clock, caller);

    public static CallerContext Caller(string id, params string[] groups) => new(
        new Principal(id, "user-" + id, VaultPrincipalType.User),
        groups.Select(g => new Principal(g, "group-" + g, VaultPrincipalType.Group)),
        "test");

    /// <summary>Creates a vault (named v1, v2... unless given) and opens its data plane.</summary>
    public VaultService NewVault(string? name = null, int retentionDays = 90, bool purgeProtection = false)
    {
        name ??= "v" + Guid.NewGuid().ToString("N")[..8];
        Manager.CreateVault(name, null, retentionDays, purgeProtection);
        return Manager.Open(name);
    }

    public void Dispose()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.vault", SearchOption.AllDirectories))
        {
            VaultCache.Evict(file);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class FakeClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

public static class TestValues
{
    public static SecureString Secure(string value)
    {
        var s = new SecureString();
        foreach (var c in value)
        {
            s.AppendChar(c);
        }

        s.MakeReadOnly();
        return s;
    }

    public static string Plain(this VaultSecret secret) => SecretValue.ToPlainText(secret.SecretValue);

    public static VaultSecretProperties Set(this VaultService vault, string name, string value, SecretSetOptions? options = null) =>
        vault.SetSecret(name, Secure(value), options);

    /// <summary>Runs raw SQL against a vault file, as an attacker with the file would.</summary>
    public static void Tamper(string path, string sql)
    {
        VaultCache.Evict(path);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// SQL that takes a vault file back to before step 6 (schema 5): its MACs and state columns gone.
    /// A test that makes a vault "from before" also forgets the fingerprint its registration pinned
    /// (<see cref="Unpin"/>), as a registration made before step 6 never had one.
    /// </summary>
    public const string BeforeStep6 = """
        ALTER TABLE vault DROP COLUMN objects_count; ALTER TABLE vault DROP COLUMN objects_digest;
        ALTER TABLE vault DROP COLUMN roles_digest; ALTER TABLE vault DROP COLUMN keyring_digest;
        ALTER TABLE vault DROP COLUMN first_record_hmac; ALTER TABLE vault DROP COLUMN mac;
        ALTER TABLE secret DROP COLUMN version_count; ALTER TABLE secret DROP COLUMN latest_version;
        ALTER TABLE secret DROP COLUMN latest_mac; ALTER TABLE secret DROP COLUMN versions_digest; ALTER TABLE secret DROP COLUMN mac;
        ALTER TABLE secret_version DROP COLUMN ordinal; ALTER TABLE secret_version DROP COLUMN mac;
        ALTER TABLE role_definition DROP COLUMN mac; ALTER TABLE role_assignment DROP COLUMN mac;
        ALTER TABLE audit_head DROP COLUMN state_mac;
        ALTER TABLE secret_version DROP COLUMN secret_type;
        PRAGMA user_version = 5;
        """;

    /// <summary>Registers <paramref name="name"/> again in <paramref name="manager"/>'s registry, its pinned fingerprint forgotten.</summary>
    public static void Unpin(VaultManager manager, string name, string path)
    {
        VaultCache.Evict(path);
        manager.RegisterVault(path, name, replace: true);
    }

    public static VaultException Throws(Action action, string errorId)
    {
        var ex = Assert.Throws<VaultException>(action);
        Assert.Equal(errorId, ex.ErrorId);
        return ex;
    }

    public static VaultException Throws<T>(Func<T> action, string errorId) => Throws(() => { _ = action(); }, errorId);
}
