namespace Vault.Core;

/// <summary>
/// What a file system exception means for the user, whatever the platform: a missing folder, no
/// permission or a read-only file system, or a full disk. On Unix .NET puts the errno in HResult.
/// </summary>
internal static class FileFailure
{
    private const int Enospc = 28;       // Linux and macOS
    private const int Erofs = 30;        // Linux and macOS
    private const int EdquotLinux = 122;
    private const int EdquotMac = 69;
    private const int WinDiskFull = unchecked((int)0x80070070);
    private const int WinHandleDiskFull = unchecked((int)0x80070027);
    private const int WinWriteProtect = unchecked((int)0x80070013);

    /// <summary>Less free space than this, beside a SQLite I/O error, is a full disk: SQLite reports some ENOSPC (on -shm, on a checkpoint) only as SQLITE_IOERR.</summary>
    private const long NearlyFull = 1 << 20;

    public static bool IsMissingFolder(Exception ex) => ex is DirectoryNotFoundException;

    public static bool IsReadOnly(Exception ex) =>
        ex is UnauthorizedAccessException || ex is IOException { HResult: Erofs or WinWriteProtect };

    public static bool IsDiskFull(Exception ex) =>
        ex is IOException { HResult: Enospc or EdquotLinux or EdquotMac or WinDiskFull or WinHandleDiskFull };

    /// <summary>Whether the file system that holds <paramref name="path"/> (or its nearest existing folder) has next to no room left.</summary>
    public static bool IsNearlyFull(string path)
    {
        try
        {
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(path);
            while (folder is not null && !Directory.Exists(folder))
            {
                folder = Path.GetDirectoryName(folder);
            }

            return folder is not null && new DriveInfo(folder).AvailableFreeSpace < NearlyFull;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// A failure writing <paramref name="path"/> (or its temporary file) as the core's error, which
    /// names <paramref name="path"/> only: the temporary file's name never shows.
    /// </summary>
    public static VaultException Writing(string path, Exception ex) =>
        IsMissingFolder(ex) ? VaultErrors.OutputFolderNotFound(path)
        : IsReadOnly(ex) ? VaultErrors.OutputNotWritable(path)
        : IsDiskFull(ex) ? VaultErrors.OutputDiskFull(path)
        : VaultErrors.OutputWriteFailed(path, Reason(ex));

    /// <summary>The system's reason without any path in it (.NET appends " : 'path'" on Unix, and Windows names the file in quotes).</summary>
    private static string Reason(Exception ex)
    {
        var message = ex.Message;
        var quote = message.IndexOf(" : '", StringComparison.Ordinal);
        if (quote < 0)
        {
            quote = message.IndexOf('\'', StringComparison.Ordinal);
        }

        message = (quote < 0 ? message : message[..quote]).TrimEnd(' ', ':', '.');
        return message.Length == 0 ? "the file system refused it." : message + ".";
    }
}
