using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;

namespace Vault.Core.Crypto.Pkcs11;

/// <summary>
/// A PKCS#11 library through Pkcs11Interop. Each library is loaded and initialized once per process
/// and never finalized (C_Finalize would pull it from under every other user in the process).
/// </summary>
internal sealed class Pkcs11InteropLibrary : IPkcs11Library
{
    private static readonly ConcurrentDictionary<string, Pkcs11InteropLibrary> Loaded = new(StringComparer.Ordinal);
    private static readonly object LoadGate = new();
    private static readonly Pkcs11InteropFactories Factories = new();
    private readonly IPkcs11Library library;

    static Pkcs11InteropLibrary()
    {
        // Pkcs11Interop asks for "libdl", which Debian ships only as libdl.so.2.
        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, _, _) =>
            name == "libdl" && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
    }

    private Pkcs11InteropLibrary(string path, Net.Pkcs11Interop.HighLevelAPI.IPkcs11Library library)
    {
        Path = path;
        this.library = new Adapter(library);
    }

    public string Path { get; }

    /// <summary>
    /// Loads a library once per process. Throws <see cref="DllNotFoundException"/> when it cannot be
    /// loaded, <see cref="Pkcs11Failure"/> when C_Initialize fails.
    /// </summary>
    public static Pkcs11InteropLibrary Load(string path)
    {
        if (Loaded.TryGetValue(path, out var loaded))
        {
            return loaded;
        }

        lock (LoadGate)
        {
            if (Loaded.TryGetValue(path, out loaded))
            {
                return loaded;
            }

            if (!File.Exists(path))
            {
                throw new DllNotFoundException($"'{path}' does not exist.");
            }

            // Libraries such as SoftHSM2 read their configuration from the environment at
            // C_Initialize; $env: changes made in PowerShell must reach the native environment first.
            NativeEnvironment.Export();
            Net.Pkcs11Interop.HighLevelAPI.IPkcs11Library native;
            try
            {
                native = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded);
            }
            catch (UnmanagedException ex)
            {
                throw new DllNotFoundException(ex.Message, ex);
            }
            catch (Pkcs11Exception ex)
            {
                throw new Pkcs11Failure(ex.Method, (ulong)ex.RV, ex);
            }

            loaded = new Pkcs11InteropLibrary(path, native);
            Loaded[path] = loaded;
            return loaded;
        }
    }

    public IReadOnlyList<Pkcs11Token> Tokens() => library.Tokens();

    public IReadOnlyCollection<ulong> Mechanisms(ulong slotId) => library.Mechanisms(slotId);

    public IPkcs11Session OpenSession(ulong slotId) => library.OpenSession(slotId);

    /// <summary>Maps Pkcs11Interop's types and exceptions onto the boundary's.</summary>
    private sealed class Adapter(Net.Pkcs11Interop.HighLevelAPI.IPkcs11Library native) : IPkcs11Library
    {
        public string Path => string.Empty;

        public IReadOnlyList<Pkcs11Token> Tokens() => Call("C_GetSlotList", () =>
            native.GetSlotList(SlotsType.WithTokenPresent).Select(slot =>
            {
                var info = slot.GetTokenInfo();
                return new Pkcs11Token(slot.SlotId, info.Label.Trim(), info.SerialNumber.Trim(), info.TokenFlags.TokenInitialized, info.TokenFlags.UserPinLocked);
            }).ToList());

        public IReadOnlyCollection<ulong> Mechanisms(ulong slotId) => Call("C_GetMechanismList", () =>
            Slot(slotId).GetMechanismList().Select(m => (ulong)m).ToHashSet());

        public IPkcs11Session OpenSession(ulong slotId) => Call("C_OpenSession", () =>
            (IPkcs11Session)new Session(Slot(slotId).OpenSession(SessionType.ReadWrite)));

        private ISlot Slot(ulong slotId) =>
            native.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => s.SlotId == slotId)
            ?? throw new Pkcs11Failure("C_GetSlotList", Pkcs11Codes.CkrTokenNotPresent);
    }

    private sealed class Session(ISession session) : IPkcs11Session
    {
        private static IObjectAttributeFactory A => Factories.ObjectAttributeFactory;

        public void Login(ReadOnlySpan<byte> pin)
        {
            var copy = pin.ToArray();
            try
            {
                Call("C_Login", () => session.Login(CKU.CKU_USER, copy));
            }
            catch (Pkcs11Failure ex) when (ex.Code == Pkcs11Codes.CkrUserAlreadyLoggedIn)
            {
                // Login state is shared by every session of the application.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(copy);
            }
        }

        public IReadOnlyList<ulong> FindSecretKeys(string label, byte[]? id) => Call("C_FindObjects", () =>
        {
            var template = new List<IObjectAttribute>
            {
                A.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                A.Create(CKA.CKA_LABEL, label),
            };
            if (id is { Length: > 0 })
            {
                template.Add(A.Create(CKA.CKA_ID, id));
            }

            return session.FindAllObjects(template).Select(h => h.ObjectId).ToList();
        });

        public byte[] GetId(ulong key) => Call("C_GetAttributeValue", () =>
            session.GetAttributeValue(Handle(key), [CKA.CKA_ID])[0].GetValueAsByteArray() ?? []);

        public ulong GenerateRootKey(string label, byte[] id) => Call("C_GenerateKey", () =>
            session.GenerateKey(Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
            [
                A.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                A.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
                A.Create(CKA.CKA_VALUE_LEN, 32UL),
                A.Create(CKA.CKA_LABEL, label),
                A.Create(CKA.CKA_ID, id),
                A.Create(CKA.CKA_TOKEN, true),
                A.Create(CKA.CKA_PRIVATE, true),
                A.Create(CKA.CKA_SENSITIVE, true),
                A.Create(CKA.CKA_EXTRACTABLE, false),
                A.Create(CKA.CKA_MODIFIABLE, false),
                A.Create(CKA.CKA_WRAP, true),
                A.Create(CKA.CKA_UNWRAP, true),
                // Encrypt and decrypt too, for a token that will not reveal an unwrapped key:
                // then data keys are sealed with CKM_AES_GCM under this key instead of wrapped.
                A.Create(CKA.CKA_ENCRYPT, true),
                A.Create(CKA.CKA_DECRYPT, true),
                A.Create(CKA.CKA_SIGN, false),
                A.Create(CKA.CKA_VERIFY, false),
                A.Create(CKA.CKA_DERIVE, false),
            ]).ObjectId);

        public byte[] Wrap(ulong mechanism, ulong wrappingKey, ReadOnlySpan<byte> key)
        {
            var value = key.ToArray();
            IObjectHandle? imported = null;
            try
            {
                imported = Call("C_CreateObject", () => session.CreateObject(
                [
                    A.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                    A.Create(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET),
                    A.Create(CKA.CKA_TOKEN, false),
                    A.Create(CKA.CKA_VALUE, value),
                    A.Create(CKA.CKA_EXTRACTABLE, true),
                    A.Create(CKA.CKA_SENSITIVE, false),
                ]));
                return Call("C_WrapKey", () => session.WrapKey(Factories.MechanismFactory.Create(mechanism), Handle(wrappingKey), imported));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(value);
                if (imported is not null)
                {
                    Call("C_DestroyObject", () => session.DestroyObject(imported));
                }
            }
        }

        public byte[] Unwrap(ulong mechanism, ulong unwrappingKey, byte[] wrapped)
        {
            var unwrapped = Call("C_UnwrapKey", () => session.UnwrapKey(Factories.MechanismFactory.Create(mechanism), Handle(unwrappingKey), wrapped,
            [
                A.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                A.Create(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET),
                A.Create(CKA.CKA_TOKEN, false),
                A.Create(CKA.CKA_EXTRACTABLE, true),
                A.Create(CKA.CKA_SENSITIVE, false),
            ]));
            try
            {
                return Call("C_GetAttributeValue", () => session.GetAttributeValue(unwrapped, [CKA.CKA_VALUE])[0].GetValueAsByteArray());
            }
            finally
            {
                Call("C_DestroyObject", () => session.DestroyObject(unwrapped));
            }
        }

        public byte[] EncryptGcm(ulong key, byte[] iv, byte[] aad, ReadOnlySpan<byte> plaintext)
        {
            var data = plaintext.ToArray();
            try
            {
                return Call("C_Encrypt", () => session.Encrypt(Gcm(iv, aad), Handle(key), data));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(data);
            }
        }

        public byte[] DecryptGcm(ulong key, byte[] iv, byte[] aad, byte[] ciphertext) =>
            Call("C_Decrypt", () => session.Decrypt(Gcm(iv, aad), Handle(key), ciphertext));

        public bool CanEncrypt(ulong key)
        {
            try
            {
                var attributes = session.GetAttributeValue(Handle(key), [CKA.CKA_ENCRYPT, CKA.CKA_DECRYPT]);
                return attributes[0].GetValueAsBool() && attributes[1].GetValueAsBool();
            }
            catch (Pkcs11Exception)
            {
                return false;
            }
        }

        private static IMechanism Gcm(byte[] iv, byte[] aad) =>
            Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, Factories.MechanismParamsFactory.CreateCkGcmParams(iv, (ulong)iv.Length * 8, aad, 128));

        public bool CanReadValue(ulong key)
        {
            try
            {
                var attribute = session.GetAttributeValue(Handle(key), [CKA.CKA_VALUE])[0];
                return !attribute.CannotBeRead && attribute.GetValueAsByteArray() is { Length: > 0 };
            }
            catch (Pkcs11Exception)
            {
                return false;
            }
        }

        public bool CanBeWrappedBy(ulong key, ulong wrappingKey, ulong mechanism)
        {
            try
            {
                session.WrapKey(Factories.MechanismFactory.Create(mechanism), Handle(wrappingKey), Handle(key));
                return true;
            }
            catch (Pkcs11Exception)
            {
                return false;
            }
        }

        public void Dispose() => session.Dispose();

        private static IObjectHandle Handle(ulong id) => Factories.ObjectHandleFactory.Create(id);
    }

    private static T Call<T>(string function, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Pkcs11Exception ex)
        {
            throw new Pkcs11Failure(string.IsNullOrEmpty(ex.Method) ? function : ex.Method, (ulong)ex.RV, ex);
        }
    }

    private static void Call(string function, Action call) => Call<bool>(function, () =>
    {
        call();
        return true;
    });
}
