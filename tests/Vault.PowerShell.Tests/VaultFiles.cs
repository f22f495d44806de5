using Microsoft.Data.Sqlite;

namespace Vault.PowerShell.Tests;

/// <summary>
/// What someone with the vault's files can do without Vault: read their bytes, edit them with SQLite.
/// (This test process loads its own Microsoft.Data.Sqlite; the module keeps its copy in its own load context.)
/// </summary>
public static class VaultFiles
{
    public static void Tamper(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row of a query on a vault file, as text.</summary>
    public static string? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()?.ToString();
    }

    /// <summary>Asserts that no file under <paramref name="directory"/> holds any of the values, as UTF-8, UTF-16 or base64.</summary>
    public static void AssertNoPlaintext(string directory, IEnumerable<string> values)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith(".vault-wal", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".vault-shm", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var value in values)
            {
                foreach (var needle in new[]
                {
                    System.Text.Encoding.UTF8.GetBytes(value),
                    System.Text.Encoding.Unicode.GetBytes(value),
                    System.Text.Encoding.UTF8.GetBytes(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value))),
                })
                {
                    Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"A secret value is in plain text in {file}");
                }
            }
        }
    }
}
