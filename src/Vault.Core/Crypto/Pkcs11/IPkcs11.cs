namespace Vault.Core.Crypto.Pkcs11;

/// <summary>
/// The PKCS#11 boundary: the few calls Vault makes into a PKCS#11 library. The real implementation
/// is <see cref="Pkcs11InteropLibrary"/>; tests wrap it to count calls, or to produce what SoftHSM2
/// never does (a locked PIN). Failures are <see cref="Pkcs11Failure"/> with the library's CKR code.
/// </summary>
internal interface IPkcs11Library
{
    string Path { get; }

    /// <summary>Tokens present in the library's slots (uninitialized ones included, with an empty label).</summary>
    IReadOnlyList<Pkcs11Token> Tokens();

    /// <summary>The mechanism codes (CKM_*) the token in this slot supports.</summary>
    IReadOnlyCollection<ulong> Mechanisms(ulong slotId);

    IPkcs11Session OpenSession(ulong slotId);
}

internal sealed record Pkcs11Token(ulong SlotId, string Label, string Serial, bool Initialized, bool UserPinLocked);

/// <summary>One read/write session. Not thread-safe: one per thread, or one at a time.</summary>
internal interface IPkcs11Session : IDisposable
{
    /// <summary>Logs the user in; a session of an application that is already logged in is fine.</summary>
    void Login(ReadOnlySpan<byte> pin);

    /// <summary>Handles of the secret keys with this label (and id, when given).</summary>
    IReadOnlyList<ulong> FindSecretKeys(string label, byte[]? id);

    /// <summary>The CKA_ID of a key.</summary>
    byte[] GetId(ulong key);

    /// <summary>Generates a token AES-256 key that can only wrap and unwrap and never leaves the token.</summary>
    ulong GenerateRootKey(string label, byte[] id);

    /// <summary>Wraps key bytes with a token key: imports them as a session object, wraps it, destroys it.</summary>
    byte[] Wrap(ulong mechanism, ulong wrappingKey, ReadOnlySpan<byte> key);

    /// <summary>Unwraps to a session object, reads its value, destroys it. The caller zeroes the result.</summary>
    byte[] Unwrap(ulong mechanism, ulong unwrappingKey, byte[] wrapped);

    /// <summary>Encrypts with CKM_AES_GCM under a token key (C_EncryptInit, C_Encrypt): ciphertext then a 16-byte tag.</summary>
    byte[] EncryptGcm(ulong key, byte[] iv, byte[] aad, ReadOnlySpan<byte> plaintext);

    /// <summary>Decrypts and authenticates with CKM_AES_GCM under a token key (C_DecryptInit, C_Decrypt). The caller zeroes the result.</summary>
    byte[] DecryptGcm(ulong key, byte[] iv, byte[] aad, byte[] ciphertext);

    /// <summary>Whether a token key may encrypt and decrypt (CKA_ENCRYPT and CKA_DECRYPT), as root keys made since step 6 may.</summary>
    bool CanEncrypt(ulong key);

    /// <summary>Whether the key's value can be read (it must not be, for a root key).</summary>
    bool CanReadValue(ulong key);

    /// <summary>Tries to wrap one token key with another (it must fail for a root key).</summary>
    bool CanBeWrappedBy(ulong key, ulong wrappingKey, ulong mechanism);
}

/// <summary>A PKCS#11 call failed; <see cref="Code"/> is the CKR_* value.</summary>
internal sealed class Pkcs11Failure(string function, ulong code, Exception? inner = null)
    : Exception($"{function} returned {Pkcs11Codes.Name(code)}", inner)
{
    public string Function { get; } = function;

    public ulong Code { get; } = code;
}

/// <summary>The CKR_ and CKM_ codes Vault uses, by their PKCS#11 values.</summary>
internal static class Pkcs11Codes
{
    public const ulong CkrPinIncorrect = 0xA0;
    public const ulong CkrPinInvalid = 0xA1;
    public const ulong CkrPinLenRange = 0xA2;
    public const ulong CkrPinExpired = 0xA3;
    public const ulong CkrPinLocked = 0xA4;
    public const ulong CkrUserAlreadyLoggedIn = 0x100;
    public const ulong CkrTokenNotPresent = 0xE0;
    public const ulong CkrDeviceRemoved = 0x32;

    /// <summary>What a hardened token answers when asked to unwrap a key into an object whose value can be read.</summary>
    public const ulong CkrAttributeSensitive = 0x11;
    public const ulong CkrAttributeValueInvalid = 0x13;
    public const ulong CkrKeyFunctionNotPermitted = 0x68;
    public const ulong CkrKeyUnextractable = 0x6A;
    public const ulong CkrTemplateInconsistent = 0xD1;
    public const ulong CkrGeneralError = 0x5;
    public const ulong CkrEncryptedDataInvalid = 0x40;
    public const ulong CkrEncryptedDataLenRange = 0x41;

    public const ulong CkmAesKeyWrap = 0x2109;
    public const ulong CkmAesKeyWrapPad = 0x210A;
    public const ulong CkmAesGcm = 0x1087;

    /// <summary>Whether a failed unwrap means the token will not reveal unwrapped keys (a hardened token), not that something is broken.</summary>
    public static bool RefusesToReveal(ulong code) =>
        code is CkrAttributeSensitive or CkrAttributeValueInvalid or CkrKeyFunctionNotPermitted or CkrKeyUnextractable or CkrTemplateInconsistent;

    public static string Name(ulong code) => code switch
    {
        CkrPinIncorrect => "CKR_PIN_INCORRECT",
        CkrPinInvalid => "CKR_PIN_INVALID",
        CkrPinLenRange => "CKR_PIN_LEN_RANGE",
        CkrPinExpired => "CKR_PIN_EXPIRED",
        CkrPinLocked => "CKR_PIN_LOCKED",
        CkrUserAlreadyLoggedIn => "CKR_USER_ALREADY_LOGGED_IN",
        CkrTokenNotPresent => "CKR_TOKEN_NOT_PRESENT",
        CkrDeviceRemoved => "CKR_DEVICE_REMOVED",
        _ when code <= uint.MaxValue && ((Net.Pkcs11Interop.Common.CKR)(uint)code).ToString() is { } name && !char.IsAsciiDigit(name[0]) => name,
        _ => $"0x{code:X}",
    };

    public static string MechanismName(ulong mechanism) => mechanism switch
    {
        CkmAesGcm => "CKM_AES_GCM",
        CkmAesKeyWrapPad => "CKM_AES_KEY_WRAP_PAD",
        CkmAesKeyWrap => "CKM_AES_KEY_WRAP",
        _ => $"0x{mechanism:X}",
    };

    public static ulong? MechanismCode(string name) => name switch
    {
        "CKM_AES_KEY_WRAP_PAD" => CkmAesKeyWrapPad,
        "CKM_AES_KEY_WRAP" => CkmAesKeyWrap,
        "CKM_AES_GCM" => CkmAesGcm,
        _ => null,
    };
}
