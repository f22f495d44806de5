using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Principal;

namespace Vault.Core.Identity;

/// <summary>
/// The operating-system account as a Vault principal: uid and gids (ids <c>uid:N</c>, <c>gid:N</c>)
/// on Linux and macOS, SIDs on Windows. Also resolves names to principals for role assignments.
/// </summary>
internal static class OsIdentity
{
    public const string Authentication = "OperatingSystem";
    private static readonly Lazy<CallerContext> Current = new(ReadCurrent);
    private static readonly object LibcGate = new();

    /// <summary>The account this process runs as, read once.</summary>
    public static CallerContext CurrentCaller => Current.Value;

    /// <summary>A user or group by name (or by id: uid:N, gid:N, a SID); null when there is none.</summary>
    public static Principal? Resolve(string nameOrId, VaultPrincipalType type)
    {
        if (type == VaultPrincipalType.Application)
        {
            var id = nameOrId.StartsWith("app:", StringComparison.OrdinalIgnoreCase) ? nameOrId : "app:" + nameOrId;
            return new Principal(id, nameOrId, type);
        }

        return OperatingSystem.IsWindows() ? ResolveWindows(nameOrId, type) : ResolveUnix(nameOrId, type);
    }

    /// <summary>A user with the groups the operating system gives it, to test access as that user.</summary>
    public static CallerContext? CallerFor(string nameOrId)
    {
        var user = Resolve(nameOrId, VaultPrincipalType.User);
        if (user is null)
        {
            return null;
        }

        if (OperatingSystem.IsWindows())
        {
            return new CallerContext(user, [], Authentication);
        }

        return new CallerContext(user, UnixGroupsOf(user), Authentication);
    }

    private static CallerContext ReadCurrent()
    {
        if (OperatingSystem.IsWindows())
        {
            return ReadCurrentWindows();
        }

        var uid = Libc.geteuid();
        var name = UserName(uid) ?? Environment.UserName;
        var user = new Principal($"uid:{uid}", name, VaultPrincipalType.User);
        int count;
        unsafe
        {
            count = Libc.getgroups(0, null);
        }

        var gids = new uint[Math.Max(count, 0) + 1];
        unsafe
        {
            fixed (uint* p = gids)
            {
                count = Libc.getgroups(count, p);
            }
        }

        gids[Math.Max(count, 0)] = Libc.getegid();
        var groups = gids.Take(Math.Max(count, 0) + 1).Distinct().Select(Group).ToList();
        return new CallerContext(user, groups, Authentication);
    }

    private static Principal Group(uint gid) => new($"gid:{gid}", GroupName(gid) ?? gid.ToString(System.Globalization.CultureInfo.InvariantCulture), VaultPrincipalType.Group);

    private static Principal? ResolveUnix(string nameOrId, VaultPrincipalType type)
    {
        var prefix = type == VaultPrincipalType.User ? "uid:" : "gid:";
        if (nameOrId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && uint.TryParse(nameOrId.AsSpan(4), out var numeric))
        {
            var known = type == VaultPrincipalType.User ? UserName(numeric) : GroupName(numeric);
            return new Principal(prefix + numeric, known ?? nameOrId, type);
        }

        lock (LibcGate)
        {
            if (type == VaultPrincipalType.User)
            {
                var pw = Libc.getpwnam(nameOrId);
                // struct passwd: char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
                return pw == IntPtr.Zero ? null : new Principal($"uid:{(uint)Marshal.ReadInt32(pw, 2 * IntPtr.Size)}", nameOrId, type);
            }

            var gr = Libc.getgrnam(nameOrId);
            // struct group: char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem;
            return gr == IntPtr.Zero ? null : new Principal($"gid:{(uint)Marshal.ReadInt32(gr, 2 * IntPtr.Size)}", nameOrId, type);
        }
    }

    private static List<Principal> UnixGroupsOf(Principal user)
    {
        lock (LibcGate)
        {
            var pw = Libc.getpwnam(user.Name);
            if (pw == IntPtr.Zero)
            {
                return [];
            }

            var primary = (uint)Marshal.ReadInt32(pw, (2 * IntPtr.Size) + 4);
            var count = 64;
            while (true)
            {
                var gids = new uint[count];
                int found;
                unsafe
                {
                    fixed (uint* p = gids)
                    {
                        var n = count;
                        found = Libc.getgrouplist(user.Name, primary, p, &n) < 0 ? -n : n;
                    }
                }

                if (found >= 0)
                {
                    return gids.Take(found).Distinct().Select(gid => new Principal($"gid:{gid}", GroupNameLocked(gid) ?? gid.ToString(System.Globalization.CultureInfo.InvariantCulture), VaultPrincipalType.Group)).ToList();
                }

                count = -found + 8;
            }
        }
    }

    private static string? UserName(uint uid)
    {
        lock (LibcGate)
        {
            var pw = Libc.getpwuid(uid);
            return pw == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(pw));
        }
    }

    private static string? GroupName(uint gid)
    {
        lock (LibcGate)
        {
            return GroupNameLocked(gid);
        }
    }

    private static string? GroupNameLocked(uint gid)
    {
        var gr = Libc.getgrgid(gid);
        return gr == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(gr));
    }

    [SupportedOSPlatform("windows")]
    private static CallerContext ReadCurrentWindows()
    {
        using var identity = WindowsIdentity.GetCurrent();
        var user = new Principal(identity.User!.Value, identity.Name, VaultPrincipalType.User);
        var groups = identity.Groups?.Select(g => new Principal(g.Value, TryTranslate(g) ?? g.Value, VaultPrincipalType.Group)).ToList() ?? [];
        return new CallerContext(user, groups, Authentication);
    }

    [SupportedOSPlatform("windows")]
    private static Principal? ResolveWindows(string nameOrId, VaultPrincipalType type)
    {
        try
        {
            var sid = nameOrId.StartsWith("S-1-", StringComparison.OrdinalIgnoreCase)
                ? new SecurityIdentifier(nameOrId)
                : (SecurityIdentifier)new NTAccount(nameOrId).Translate(typeof(SecurityIdentifier));
            return new Principal(sid.Value, TryTranslate(sid) ?? nameOrId, type);
        }
        catch (Exception ex) when (ex is IdentityNotMappedException or ArgumentException or SystemException)
        {
            return null;
        }
    }

    [SupportedOSPlatform("windows")]
    private static string? TryTranslate(IdentityReference sid)
    {
        try
        {
            return sid.Translate(typeof(NTAccount)).Value;
        }
        catch (Exception ex) when (ex is IdentityNotMappedException or SystemException)
        {
            return null;
        }
    }

    private static unsafe class Libc
    {
        private const string Name = "libc";

        static Libc() => NativeLibrary.SetDllImportResolver(typeof(Libc).Assembly, Resolve);

        [DllImport(Name)]
        public static extern uint geteuid();

        [DllImport(Name)]
        public static extern uint getegid();

        [DllImport(Name)]
        public static extern int getgroups(int size, uint* list);

        [DllImport(Name)]
        public static extern IntPtr getpwuid(uint uid);

        [DllImport(Name)]
        public static extern IntPtr getgrgid(uint gid);

        [DllImport(Name)]
        public static extern IntPtr getpwnam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        [DllImport(Name)]
        public static extern IntPtr getgrnam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        [DllImport(Name)]
        public static extern int getgrouplist([MarshalAs(UnmanagedType.LPUTF8Str)] string user, uint group, uint* groups, int* ngroups);

        private static IntPtr Resolve(string library, System.Reflection.Assembly assembly, DllImportSearchPath? path)
        {
            if (library != Name)
            {
                return IntPtr.Zero;
            }

            var file = OperatingSystem.IsMacOS() ? "/usr/lib/libSystem.B.dylib" : "libc.so.6";
            return NativeLibrary.TryLoad(file, out var handle) ? handle : IntPtr.Zero;
        }
    }
}
