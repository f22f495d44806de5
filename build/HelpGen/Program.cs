using Vault.HelpGen;

// HelpGen <docs folder> <output folder>
// Writes <output>/Vault.PowerShell.dll-Help.xml from the cmdlet pages (<Verb>-<Noun>.md) and
// <output>/about_*.help.txt from the about topics. A page it cannot read is an error that names
// the file and line, in the form MSBuild shows as a build error; nothing is written then.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: HelpGen <docs folder> <output folder>");
    return 2;
}

var (docs, output) = (Path.GetFullPath(args[0]), Path.GetFullPath(args[1]));
if (!Directory.Exists(docs))
{
    Console.Error.WriteLine($"{docs}: error VH0001: The docs folder does not exist.");
    return 1;
}

var commands = new List<CommandPage>();
var topics = new List<(string Name, string Text)>();
var errors = new List<HelpPageException>();
foreach (var path in Directory.EnumerateFiles(docs, "*.md").Order(StringComparer.Ordinal))
{
    var name = Path.GetFileNameWithoutExtension(path);
    try
    {
        if (name.StartsWith("about_", StringComparison.Ordinal))
        {
            topics.Add((name, AboutTopic.Render(path, File.ReadAllText(path))));
        }
        else if (name.Contains('-', StringComparison.Ordinal))
        {
            commands.Add(CommandPage.Parse(path, File.ReadAllText(path)));
        }
    }
    catch (HelpPageException e)
    {
        errors.Add(e);
    }
}

foreach (var error in errors)
{
    Console.Error.WriteLine($"{error.Path}({error.Line}): error VH0002: {error.Message}");
}

if (errors.Count > 0)
{
    return 1;
}

Directory.CreateDirectory(output);
// A topic whose page was removed must not stay behind.
foreach (var stale in Directory.EnumerateFiles(output, "about_*.help.txt"))
{
    File.Delete(stale);
}

Maml.Write(commands, Path.Combine(output, "Vault.PowerShell.dll-Help.xml"));
foreach (var (name, text) in topics)
{
    File.WriteAllText(Path.Combine(output, name + ".help.txt"), text);
}

Console.WriteLine($"HelpGen: {commands.Count} cmdlet pages and {topics.Count} about topics -> {output}");
return 0;
