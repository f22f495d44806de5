namespace Vault.Bench;

/// <summary>A Vault home folder under the system temp folder, deleted (with every vault in it) on dispose.</summary>
internal sealed class TempHome : IDisposable
{
    public TempHome(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vault-bench", purpose + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
            var parent = System.IO.Path.GetDirectoryName(Path)!;
            if (!Directory.EnumerateFileSystemEntries(parent).Any())
            {
                Directory.Delete(parent);
            }
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"warning: could not delete '{Path}': {ex.Message}");
        }
    }
}
