using System.Security.Cryptography;

namespace Vault.Core.Crypto.Pkcs11;

/// <summary>What a user gives to put a vault's root key in a PKCS#11 token.</summary>
internal sealed record Pkcs11Options(string Library, string TokenLabel, string? KeyLabel);

/// <summary>
/// The root key as an AES-256 object in a PKCS#11 token: CKA_TOKEN, CKA_PRIVATE and CKA_SENSITIVE
/// true, CKA_EXTRACTABLE false, able to wrap, unwrap, encrypt and decrypt and nothing else. Data keys
/// are wrapped with CKM_AES_KEY_WRAP_PAD (RFC 5649) where the token has it, else CKM_AES_KEY_WRAP
/// (RFC 3394); on a hardened token that will not reveal an unwrapped key, they are sealed with
/// CKM_AES_GCM by C_Encrypt instead. The mechanism is stored with each key, so a vault always opens
/// with what it was written with.
/// One session is used at a time (a PKCS#11 session is not thread-safe).
/// </summary>
internal sealed class Pkcs11KeyProtector : IKeyProtector
{
    public const string KindName = "Pkcs11";

    /// <summary>Tests replace this to count calls or to produce conditions SoftHSM2 cannot (a locked PIN).</summary>
    internal static Func<string, IPkcs11Library> LibraryLoader { get; set; } = Pkcs11InteropLibrary.Load;

    private readonly object gate = new();
    private readonly IPkcs11Session session;
    private readonly ulong rootKey;
    private const int GcmIvSize = 12;

    private readonly IReadOnlyCollection<ulong> mechanisms;
    private bool? reveals;
    private bool disposed;

    private Pkcs11KeyProtector(IPkcs11Session session, ulong rootKey, IReadOnlyCollection<ulong> mechanisms, KeyProtectorSettings settings)
    {
        this.session = session;
        this.rootKey = rootKey;
        this.mechanisms = mechanisms;
        Settings = settings;
    }

    public string Kind => KindName;

    public string Location => $"token '{Settings.TokenLabel}' ({Settings.TokenSerial}), key '{Settings.KeyLabel}'";

    public KeyProtectorSettings Settings { get; }

    public static string DefaultKeyLabel(string vaultName) => "vault-root-" + vaultName.ToLowerInvariant();

    /// <summary>The label of a rotated root key: <c>label-r2</c>, then <c>label-r3</c>...</summary>
    public static string NextKeyLabel(string label)
    {
        var match = System.Text.RegularExpressions.Regex.Match(label, @"^(.*)-r(\d+)\z");
        return match.Success && int.TryParse(match.Groups[2].Value, out var n)
            ? $"{match.Groups[1].Value}-r{n + 1}"
            : label + "-r2";
    }

    /// <summary>
    /// For a new vault, a migration or an import: finds the root key by label in the token, or
    /// generates it. Creation errors name what is wrong: HsmLibraryNotFound, HsmTokenNotFound,
    /// HsmLoginFailed, HsmPinLocked, HsmMechanismUnsupported.
    /// </summary>
    public static Pkcs11KeyProtector CreateOrFind(Pkcs11Options options, string vaultName, ReadOnlySpan<byte> pin, bool newKey = false)
    {
        var library = LoadLibrary(options.Library, ex => VaultErrors.HsmLibraryNotFound(options.Library, ex));

        var token = FindToken(library, options.TokenLabel, serial: null)
            ?? throw VaultErrors.HsmTokenNotFound(options.TokenLabel, options.Library);
        var keyLabel = string.IsNullOrEmpty(options.KeyLabel) ? DefaultKeyLabel(vaultName) : options.KeyLabel;
        var session = Login(library, token, pin, vaultName);
        return InSession(session, vaultName, () =>
        {
            var mechanisms = library.Mechanisms(token.SlotId);
            if (!mechanisms.Contains(Pkcs11Codes.CkmAesKeyWrapPad) && !mechanisms.Contains(Pkcs11Codes.CkmAesKeyWrap) && !mechanisms.Contains(Pkcs11Codes.CkmAesGcm))
            {
                throw VaultErrors.HsmMechanismUnsupported(token.Label, options.Library);
            }

            if (newKey)
            {
                // A rotation: the new key gets a label of its own, so finding keys by label stays unambiguous.
                while (session.FindSecretKeys(keyLabel, null).Count > 0)
                {
                    keyLabel = NextKeyLabel(keyLabel);
                }
            }

            var existing = newKey ? [] : session.FindSecretKeys(keyLabel, null);
            if (existing.Count > 1)
            {
                throw VaultErrors.HsmOperationFailed(vaultName, $"the token holds {existing.Count} keys labelled '{keyLabel}'; give -KeyLabel a label of one key, or a new one.");
            }

            ulong key;
            byte[] id;
            if (existing.Count == 0)
            {
                id = RandomNumberGenerator.GetBytes(16);
                key = session.GenerateRootKey(keyLabel, id);
            }
            else
            {
                key = existing[0];
                id = session.GetId(key);
            }

            var settings = new KeyProtectorSettings
            {
                Kind = KindName,
                Library = options.Library,
                TokenLabel = token.Label,
                TokenSerial = token.Serial,
                KeyLabel = keyLabel,
                KeyId = Convert.ToHexStringLower(id),
            };
            return new Pkcs11KeyProtector(session, key, mechanisms, settings);
        });
    }

    /// <summary>
    /// The root key a vault file names. Without its library or token the vault cannot open
    /// (KeyProtectorUnavailable); without its key, RootKeyNotFound.
    /// </summary>
    public static Pkcs11KeyProtector Open(KeyProtectorSettings settings, string vaultName, ReadOnlySpan<byte> pin)
    {
        var libraryPath = settings.Library ?? string.Empty;
        var library = LoadLibrary(libraryPath, ex =>
            VaultErrors.KeyProtectorUnavailable(vaultName, $"the PKCS#11 library '{libraryPath}' cannot be loaded ({ex.Message}).", ex));

        var token = FindToken(library, settings.TokenLabel ?? string.Empty, settings.TokenSerial)
            ?? throw VaultErrors.KeyProtectorUnavailable(vaultName, $"the token '{settings.TokenLabel}' (serial {settings.TokenSerial}) is not present in '{libraryPath}'.");
        var session = Login(library, token, pin, vaultName);
        return InSession(session, vaultName, () =>
        {
            var id = settings.KeyId is null ? null : Convert.FromHexString(settings.KeyId);
            var keys = session.FindSecretKeys(settings.KeyLabel ?? string.Empty, id);
            if (keys.Count == 0)
            {
                throw VaultErrors.RootKeyNotFound(vaultName, settings.KeyLabel ?? string.Empty, settings.TokenLabel ?? string.Empty);
            }

            return new Pkcs11KeyProtector(session, keys[0], library.Mechanisms(token.SlotId), settings);
        });
    }

    /// <summary>Runs the setup of a protector in its session: on any failure the session is closed, and a PKCS#11 error is named.</summary>
    private static Pkcs11KeyProtector InSession(IPkcs11Session session, string vaultName, Func<Pkcs11KeyProtector> setup)
    {
        try
        {
            return setup();
        }
        catch (Pkcs11Failure ex)
        {
            session.Dispose();
            throw VaultErrors.HsmOperationFailed(vaultName, ex.Message, ex);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public WrappedKey Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try
            {
                if (RevealsUnwrappedKeys())
                {
                    var mechanism = mechanisms.Contains(Pkcs11Codes.CkmAesKeyWrapPad) ? Pkcs11Codes.CkmAesKeyWrapPad : Pkcs11Codes.CkmAesKeyWrap;
                    return new WrappedKey(session.Wrap(mechanism, rootKey, key), Pkcs11Codes.MechanismName(mechanism));
                }

                return new WrappedKey(SealByEncryption(key, context), Pkcs11Codes.MechanismName(Pkcs11Codes.CkmAesGcm));
            }
            catch (Pkcs11Failure ex)
            {
                throw VaultErrors.HsmOperationFailed(Settings.TokenLabel ?? string.Empty, ex.Message, ex);
            }
        }
    }

    public byte[] Unwrap(byte[] wrapped, string mechanism, ReadOnlySpan<byte> context)
    {
        var code = Pkcs11Codes.MechanismCode(mechanism)
            ?? throw new CryptographicException($"A key wrapped with '{mechanism}' cannot be unwrapped by a PKCS#11 token.");
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try
            {
                return code == Pkcs11Codes.CkmAesGcm ? OpenByDecryption(wrapped, context) : session.Unwrap(code, rootKey, wrapped);
            }
            catch (Pkcs11Failure ex) when (code == Pkcs11Codes.CkmAesGcm && ex.Code is Pkcs11Codes.CkrEncryptedDataInvalid or Pkcs11Codes.CkrEncryptedDataLenRange or Pkcs11Codes.CkrGeneralError)
            {
                // The tag did not authenticate: the sealed key, or what it is bound to, was changed.
                // (SoftHSM2 answers a tag that fails with CKR_GENERAL_ERROR, not CKR_ENCRYPTED_DATA_INVALID.)
                throw new CryptographicException("A keyring entry sealed with CKM_AES_GCM does not authenticate.", ex);
            }
            catch (Pkcs11Failure ex)
            {
                throw VaultErrors.HsmOperationFailed(Settings.TokenLabel ?? string.Empty, $"the token refused to unwrap a keyring entry: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// Whether this token hands back a key it unwrapped (most do, into a session object Vault reads
    /// and destroys). A hardened token refuses to make an object whose value can be read: asked once
    /// per protector with a throwaway key, and then data keys are sealed with CKM_AES_GCM under the
    /// root key (C_Encrypt) instead of wrapped. The mechanism is stored with each sealed key, so every
    /// key opens the way it was sealed, whichever the token does later.
    /// </summary>
    private bool RevealsUnwrappedKeys()
    {
        if (reveals is { } known)
        {
            return known;
        }

        var mechanism = mechanisms.Contains(Pkcs11Codes.CkmAesKeyWrapPad) ? Pkcs11Codes.CkmAesKeyWrapPad
            : mechanisms.Contains(Pkcs11Codes.CkmAesKeyWrap) ? Pkcs11Codes.CkmAesKeyWrap
            : (ulong?)null;
        if (mechanism is { } wrap)
        {
            var probe = RandomNumberGenerator.GetBytes(32);
            try
            {
                var back = session.Unwrap(wrap, rootKey, session.Wrap(wrap, rootKey, probe));
                CryptographicOperations.ZeroMemory(back);
                reveals = true;
                return true;
            }
            catch (Pkcs11Failure ex) when (Pkcs11Codes.RefusesToReveal(ex.Code))
            {
            }
            finally
            {
                CryptographicOperations.ZeroMemory(probe);
            }
        }

        // No wrap mechanism, or the token keeps what it unwraps: encryption under the root key it is.
        if (!mechanisms.Contains(Pkcs11Codes.CkmAesGcm) || !session.CanEncrypt(rootKey))
        {
            throw VaultErrors.HsmMechanismUnsupported(Settings.TokenLabel ?? string.Empty, Settings.Library ?? string.Empty);
        }

        reveals = false;
        return false;
    }

    /// <summary>A data key sealed under the root key inside the token: a fresh 12-byte IV, then the ciphertext and its tag; the keyring entry's context is the AAD.</summary>
    private byte[] SealByEncryption(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context)
    {
        var iv = RandomNumberGenerator.GetBytes(GcmIvSize);
        var sealedKey = session.EncryptGcm(rootKey, iv, context.ToArray(), key);
        return [.. iv, .. sealedKey];
    }

    private byte[] OpenByDecryption(byte[] sealedKey, ReadOnlySpan<byte> context)
    {
        if (sealedKey.Length <= GcmIvSize + 16)
        {
            throw new CryptographicException("A keyring entry sealed with CKM_AES_GCM is too short.");
        }

        return session.DecryptGcm(rootKey, sealedKey[..GcmIvSize], context.ToArray(), sealedKey[GcmIvSize..]);
    }

    /// <summary>For the tests: the root key can neither be read nor wrapped out of the token.</summary>
    internal (bool Readable, bool Wrappable) ProbeRootKey(ulong otherWrappingKey)
    {
        lock (gate)
        {
            return (session.CanReadValue(rootKey), session.CanBeWrappedBy(rootKey, otherWrappingKey, Pkcs11Codes.CkmAesKeyWrapPad));
        }
    }

    public void Commit()
    {
    }

    public void Abort()
    {
        // A key generated for a vault that never committed to it stays in the token: Vault never
        // destroys a token object, since other vaults may have found it by its label.
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (!disposed)
            {
                disposed = true;
                session.Dispose();
            }
        }
    }

    private static IPkcs11Library LoadLibrary(string path, Func<Exception, VaultException> failure)
    {
        try
        {
            return LibraryLoader(path);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException or Pkcs11Failure)
        {
            throw failure(ex);
        }
    }

    private static Pkcs11Token? FindToken(IPkcs11Library library, string label, string? serial)
    {
        IReadOnlyList<Pkcs11Token> tokens;
        try
        {
            tokens = library.Tokens();
        }
        catch (Pkcs11Failure)
        {
            return null;
        }

        return tokens.FirstOrDefault(t => t.Initialized && t.Label == label && (serial is null || t.Serial == serial));
    }

    private static IPkcs11Session Login(IPkcs11Library library, Pkcs11Token token, ReadOnlySpan<byte> pin, string vaultName)
    {
        if (RejectedPins.Contains(library.Path, token.Serial, pin))
        {
            throw VaultErrors.HsmPinNotRetried(token.Label);
        }

        IPkcs11Session session;
        try
        {
            session = library.OpenSession(token.SlotId);
        }
        catch (Pkcs11Failure ex)
        {
            throw VaultErrors.KeyProtectorUnavailable(vaultName, $"no session with token '{token.Label}': {ex.Message}", ex);
        }

        try
        {
            session.Login(pin);
            return session;
        }
        catch (Pkcs11Failure ex) when (ex.Code == Pkcs11Codes.CkrPinLocked)
        {
            session.Dispose();
            throw VaultErrors.HsmPinLocked(token.Label, ex);
        }
        catch (Pkcs11Failure ex) when (ex.Code is Pkcs11Codes.CkrPinIncorrect or Pkcs11Codes.CkrPinInvalid or Pkcs11Codes.CkrPinLenRange or Pkcs11Codes.CkrPinExpired)
        {
            session.Dispose();
            RejectedPins.Add(library.Path, token.Serial, pin);
            throw VaultErrors.HsmLoginFailed(token.Label, ex);
        }
        catch (Pkcs11Failure ex)
        {
            session.Dispose();
            throw VaultErrors.HsmOperationFailed(vaultName, ex.Message, ex);
        }
    }
}
