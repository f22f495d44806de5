namespace Vault.Core;

/// <summary>
/// Where a vault's data lives. Every vault is opened by its location: a SQLite file today, a
/// PostgreSQL database later. Only <c>Storage/</c> knows what a location is made of; the rest of
/// the core passes it along and shows it.
/// </summary>
public sealed class VaultLocation : IEquatable<VaultLocation>
{
    /// <summary>The kind of a vault that is one SQLite file.</summary>
    public const string SqliteKind = "sqlite";

    private VaultLocation(string kind, string address)
    {
        Kind = kind;
        Address = address;
    }

    /// <summary>What kind of storage holds the vault (<see cref="SqliteKind"/>).</summary>
    public string Kind { get; }

    /// <summary>The storage's own address: the full path of a vault file.</summary>
    public string Address { get; }

    /// <summary>Whether the vault is a file (a path the operating system knows).</summary>
    public bool IsFile => Kind == SqliteKind;

    /// <summary>A vault that is one SQLite file; the path is made full.</summary>
    public static VaultLocation File(string path) => new(SqliteKind, Path.GetFullPath(path));

    /// <summary>The path of a file location; other kinds have none.</summary>
    public string FilePath => IsFile ? Address : throw new InvalidOperationException($"The vault at '{Address}' is not a file.");

    /// <summary>Paths compare as the file system does (case-insensitively on Windows and macOS).</summary>
    internal static StringComparer PathComparer { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    public bool Equals(VaultLocation? other) =>
        other is not null && Kind == other.Kind && (IsFile ? PathComparer : StringComparer.Ordinal).Equals(Address, other.Address);

    public override bool Equals(object? obj) => Equals(obj as VaultLocation);

    public override int GetHashCode() => HashCode.Combine(Kind, (IsFile ? PathComparer : StringComparer.Ordinal).GetHashCode(Address));

    public override string ToString() => Address;
}
