namespace Vault.Core;

/// <summary>
/// The one way Vault writes a file that holds something of a vault's: a vault file, a key file, a
/// backup, a keyring export, an audit export. On Unix the file is readable and writable by its
/// owner only (mode 0600) from the moment it exists; on Windows it takes its folder's permissions.
/// </summary>
public static class OwnerOnlyFile
{
    /// <summary>Opens a new (or, with <paramref name="mode"/> Create, replaced) file for writing, owner-only.</summary>
    public static FileStream Create(string path, FileMode mode = FileMode.CreateNew, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    /// <summary>Makes a folder (and its parents) that only its owner can list or enter, when it does not exist yet (mode 0700 on Unix).</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>
    /// Writes a file beside <paramref name="path"/> and renames it into place once it is whole and on
    /// disk, so a failure (or a stopped pipeline) never leaves half a file under the name: if
    /// <paramref name="write"/> throws, the partial file is deleted. A file system failure is the
    /// core's error naming <paramref name="path"/> (OutputFolderNotFound, OutputNotWritable,
    /// OutputDiskFull, OutputWriteFailed), never the temporary file; what <paramref name="write"/>
    /// throws of its own (a vault's error) passes unchanged.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = Create(temp, FileMode.CreateNew, 64 * 1024))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileFailure.Writing(path, ex);
        }
        finally
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Nothing was made there (a missing or read-only folder), or it cannot be removed: the error above says why.
            }
        }
    }

    /// <summary>
    /// Refuses a file to write whose folder does not exist (OutputFolderNotFound), before anything is
    /// done: a command checks this before -WhatIf reports, so -WhatIf fails as the real call would.
    /// </summary>
    public static void RequireFolder(string path, string parameter)
    {
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            throw VaultErrors.OutputFolderNotFound(path, parameter);
        }
    }
}
