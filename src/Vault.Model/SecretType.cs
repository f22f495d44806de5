namespace Vault;

/// <summary>
/// What a secret's value was when it was set, so it comes back as the same kind of object. The
/// members and their order are SecretManagement's <c>SecretType</c>, so an extension vault maps
/// them one to one.
/// </summary>
public enum SecretType
{
    /// <summary>Not known (never recorded by Vault; kept for SecretManagement's order).</summary>
    Unknown = 0,

    /// <summary>A byte array.</summary>
    ByteArray,

    /// <summary>Text given as a string. Versions set before types were recorded, or through the REST API, are text too.</summary>
    String,

    /// <summary>Text given as a SecureString.</summary>
    SecureString,

    /// <summary>A user name and its password.</summary>
    PSCredential,

    /// <summary>A hashtable whose values are strings, SecureStrings, PSCredentials or byte arrays.</summary>
    Hashtable,
}
