namespace Vault;

/// <summary>Whether a registered vault can be used, as Get-Vault found it.</summary>
public enum VaultStatus
{
    /// <summary>The vault opened and was read.</summary>
    Ok,

    /// <summary>Its file is not where it was registered (VaultFileNotFound).</summary>
    Missing,

    /// <summary>Its file cannot be read as a vault: damaged, replaced by another file, or altered outside Vault.</summary>
    Damaged,

    /// <summary>This account cannot write its file or folder, and every operation (reads too) writes an audit record there.</summary>
    ReadOnly,

    /// <summary>The disk that holds it is full.</summary>
    DiskFull,

    /// <summary>Anything else that stops it opening (a newer schema, an identity that is not the registered one...).</summary>
    Unavailable,
}
