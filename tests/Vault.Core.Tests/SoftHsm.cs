using System.Security;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Vault.Core.Crypto;
using Vault.Core.Crypto.Pkcs11;

namespace Vault.Core.Tests;

/// <summary>
/// A real SoftHSM2 for the whole test run, with its token directory in a temporary folder. SoftHSM2
/// reads its configuration once, at C_Initialize, so every PKCS#11 test shares it and runs in one
/// collection, one at a time; each test makes tokens of its own.
/// </summary>
public sealed class SoftHsm : IDisposable
{
    public const string Library = "/usr/lib/softhsm/libsofthsm2.so";
    public const string SoPin = "so-pin-1234";
    public const string UserPin = "user-pin-5678";
    private static Net.Pkcs11Interop.HighLevelAPI.IPkcs11Library? admin;

    public SoftHsm()
    {
        Assert.True(File.Exists(Library), $"SoftHSM2 is not installed at {Library}: apt-get install softhsm2 (.ci/run does).");
        Directory = Path.Combine(Path.GetTempPath(), "vault-softhsm", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tokens"));
        var conf = Path.Combine(Directory, "softhsm2.conf");
        File.WriteAllText(conf, $"directories.tokendir = {Path.Combine(Directory, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", conf);
        // Vault.Core loads it first: that sets the libdl resolver and exports SOFTHSM2_CONF to the native environment.
        Pkcs11InteropLibrary.Load(Library);
        var factories = new Pkcs11InteropFactories();
        admin ??= factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, Library, AppType.MultiThreaded);
    }

    public string Directory { get; }

    /// <summary>Initializes a fresh token (user PIN <see cref="UserPin"/>) and returns its label.</summary>
    public string NewToken()
    {
        var label = "t-" + Guid.NewGuid().ToString("N")[..12];
        lock (typeof(SoftHsm))
        {
            var free = admin!.GetSlotList(SlotsType.WithTokenPresent).First(s => !s.GetTokenInfo().TokenFlags.TokenInitialized);
            free.InitToken(SoPin, label);
            using var session = free.OpenSession(SessionType.ReadWrite);
            session.Login(CKU.CKU_SO, SoPin);
            session.InitPin(UserPin);
            session.Logout();
        }

        return label;
    }

    /// <summary>Deletes every key with this label from a token, as an operator with the token's tools could.</summary>
    public void DeleteKeys(string tokenLabel, string keyLabel)
    {
        var slot = admin!.GetSlotList(SlotsType.WithTokenPresent).First(s => s.GetTokenInfo().Label.Trim() == tokenLabel);
        using var session = slot.OpenSession(SessionType.ReadWrite);
        try
        {
            session.Login(CKU.CKU_USER, UserPin);
        }
        catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
        }

        var factories = new Pkcs11InteropFactories();
        foreach (var key in session.FindAllObjects([factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, keyLabel)]))
        {
            session.DestroyObject(key);
        }
    }

    /// <summary>A second key in the token, to try wrapping the root key out with.</summary>
    public ulong NewWrappingKey(string tokenLabel)
    {
        var slot = admin!.GetSlotList(SlotsType.WithTokenPresent).First(s => s.GetTokenInfo().Label.Trim() == tokenLabel);
        using var session = slot.OpenSession(SessionType.ReadWrite);
        try
        {
            session.Login(CKU.CKU_USER, UserPin);
        }
        catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
        }

        var a = new Pkcs11InteropFactories().ObjectAttributeFactory;
        return session.GenerateKey(new Pkcs11InteropFactories().MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
            [a.Create(CKA.CKA_VALUE_LEN, 32UL), a.Create(CKA.CKA_WRAP, true), a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_LABEL, "other-wrapping-key")]).ObjectId;
    }

    public static SecureString Pin(string pin = UserPin) => TestValues.Secure(pin);

    public KeyProtectorOptions Options(string token, string? keyLabel = null, string? pin = UserPin) => new()
    {
        Kind = "Pkcs11",
        Pkcs11Library = Library,
        TokenLabel = token,
        KeyLabel = keyLabel,
        Pin = pin is null ? null : Pin(pin),
    };

    public void Dispose()
    {
        Pkcs11KeyProtector.LibraryLoader = Pkcs11InteropLibrary.Load;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsm>
{
    public const string Name = "SoftHSM2";
}

/// <summary>
/// The declared test double at the PKCS#11 boundary: it passes every call to the real SoftHSM2
/// library, counts them, and can stand in for what SoftHSM2 never does (a locked PIN) or lacks
/// (a token without CKM_AES_KEY_WRAP_PAD).
/// </summary>
internal sealed class RecordingPkcs11(Vault.Core.Crypto.Pkcs11.IPkcs11Library inner) : Vault.Core.Crypto.Pkcs11.IPkcs11Library
{
    private int calls;
    private int logins;

    public int Calls => Volatile.Read(ref calls);

    /// <summary>C_Login calls: what a token counts towards locking its PIN.</summary>
    public int Logins => Volatile.Read(ref logins);

    public bool PinLocked { get; set; }

    public HashSet<ulong> HiddenMechanisms { get; } = [];

    public int FailWrapAfter { get; set; } = int.MaxValue;

    /// <summary>Acts as a hardened token: no unwrapped key's value is handed back (CKR_ATTRIBUTE_SENSITIVE), as SoftHSM2 cannot be told to.</summary>
    public bool RefuseToRevealUnwrappedKeys { get; set; }

    /// <summary>C_UnwrapKey, C_Encrypt and C_Decrypt calls, by what they were.</summary>
    public int Unwraps => Volatile.Read(ref unwraps);

    public int Encrypts => Volatile.Read(ref encrypts);

    public int Decrypts => Volatile.Read(ref decrypts);

    private int unwraps;
    private int encrypts;
    private int decrypts;

    public string Path => inner.Path;

    public IReadOnlyList<Pkcs11Token> Tokens()
    {
        Count();
        return inner.Tokens();
    }

    public IReadOnlyCollection<ulong> Mechanisms(ulong slotId)
    {
        Count();
        return inner.Mechanisms(slotId).Where(m => !HiddenMechanisms.Contains(m)).ToHashSet();
    }

    public IPkcs11Session OpenSession(ulong slotId)
    {
        Count();
        return new Session(this, inner.OpenSession(slotId));
    }

    private void Count() => Interlocked.Increment(ref calls);

    private sealed class Session(RecordingPkcs11 owner, IPkcs11Session inner) : IPkcs11Session
    {
        private int wraps;

        public void Login(ReadOnlySpan<byte> pin)
        {
            owner.Count();
            Interlocked.Increment(ref owner.logins);
            if (owner.PinLocked)
            {
                throw new Pkcs11Failure("C_Login", Pkcs11Codes.CkrPinLocked);
            }

            inner.Login(pin);
        }

        public IReadOnlyList<ulong> FindSecretKeys(string label, byte[]? id)
        {
            owner.Count();
            return inner.FindSecretKeys(label, id);
        }

        public byte[] GetId(ulong key)
        {
            owner.Count();
            return inner.GetId(key);
        }

        public ulong GenerateRootKey(string label, byte[] id)
        {
            owner.Count();
            return inner.GenerateRootKey(label, id);
        }

        public byte[] Wrap(ulong mechanism, ulong wrappingKey, ReadOnlySpan<byte> key)
        {
            owner.Count();
            if (++wraps > owner.FailWrapAfter)
            {
                throw new Pkcs11Failure("C_WrapKey", 0x5 /* CKR_GENERAL_ERROR */);
            }

            return inner.Wrap(mechanism, wrappingKey, key);
        }

        public byte[] Unwrap(ulong mechanism, ulong unwrappingKey, byte[] wrapped)
        {
            owner.Count();
            Interlocked.Increment(ref owner.unwraps);
            if (owner.RefuseToRevealUnwrappedKeys)
            {
                throw new Pkcs11Failure("C_GetAttributeValue", Pkcs11Codes.CkrAttributeSensitive);
            }

            return inner.Unwrap(mechanism, unwrappingKey, wrapped);
        }

        public byte[] EncryptGcm(ulong key, byte[] iv, byte[] aad, ReadOnlySpan<byte> plaintext)
        {
            owner.Count();
            Interlocked.Increment(ref owner.encrypts);
            return inner.EncryptGcm(key, iv, aad, plaintext);
        }

        public byte[] DecryptGcm(ulong key, byte[] iv, byte[] aad, byte[] ciphertext)
        {
            owner.Count();
            Interlocked.Increment(ref owner.decrypts);
            return inner.DecryptGcm(key, iv, aad, ciphertext);
        }

        public bool CanEncrypt(ulong key) => inner.CanEncrypt(key);

        public bool CanReadValue(ulong key) => inner.CanReadValue(key);

        public bool CanBeWrappedBy(ulong key, ulong wrappingKey, ulong mechanism) => inner.CanBeWrappedBy(key, wrappingKey, mechanism);

        public void Dispose() => inner.Dispose();
    }
}
