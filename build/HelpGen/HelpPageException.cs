namespace Vault.HelpGen;

/// <summary>A help page that cannot become help: which file, which line (1-based), and what is wrong.</summary>
public sealed class HelpPageException(string path, int line, string message) : Exception(message)
{
    public string Path { get; } = path;

    public int Line { get; } = line;
}
