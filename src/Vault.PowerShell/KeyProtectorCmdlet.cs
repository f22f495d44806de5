using System.Management.Automation;
using System.Security;
using Vault.Core;

namespace Vault.PowerShell;

/// <summary>The parameters that say where a vault's root key goes: the software key file, or a PKCS#11 token.</summary>
public abstract class KeyProtectorCmdlet : VaultCmdlet
{
    /// <summary><c>Software</c> (a key file beside the vault; the default) or <c>Pkcs11</c> (a token in an HSM).</summary>
    [Parameter]
    [ValidateSet("Software", "Pkcs11")]
    public string KeyProtector { get; set; } = "Software";

    /// <summary>The token's PKCS#11 module, such as /usr/lib/softhsm/libsofthsm2.so.</summary>
    [Parameter]
    public string? Pkcs11Library { get; set; }

    /// <summary>The label of the token that holds (or will hold) the root key.</summary>
    [Parameter]
    public string? TokenLabel { get; set; }

    /// <summary>The root key's label in the token; it is found by this label, or made.</summary>
    [Parameter]
    public string? KeyLabel { get; set; }

    /// <summary>The token's user PIN; <c>$env:VAULT_PKCS11_PIN</c> when omitted.</summary>
    [Parameter]
    public SecureString? Pin { get; set; }

    private protected KeyProtectorOptions ProtectorOptions() => new()
    {
        Kind = KeyProtector,
        Pkcs11Library = Pkcs11Library is null ? null : ResolvePath(Pkcs11Library),
        TokenLabel = TokenLabel,
        KeyLabel = KeyLabel,
        Pin = Pin,
    };
}
