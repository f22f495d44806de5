using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vault.PowerShell.Tests;

/// <summary>
/// The help a user gets from the built module in a real pwsh, with nothing installed: every
/// cmdlet's synopsis, description, parameters and examples as the pages in docs/en-US say (the
/// MAML that build/HelpGen makes), and about topics as plain text. And a page HelpGen cannot read
/// fails with the file and line.
/// </summary>
public sealed partial class GetHelpTests
{
    private static readonly string Docs = Path.Combine(Repo.Root, "docs", "en-US");

    private static readonly Lazy<Dictionary<string, JsonElement>> Rendered = new(Render);

    public static TheoryData<string> Cmdlets => new(ModuleTests.Cmdlets);

    public static TheoryData<string> Topics => new(Directory.GetFiles(Docs, "about_*.md").Select(Path.GetFileNameWithoutExtension).Order()!);

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void GetHelpShowsThePagesSynopsisDescriptionAndExamples(string cmdlet)
    {
        var page = File.ReadAllText(Path.Combine(Docs, cmdlet + ".md"));
        var help = Rendered.Value[cmdlet];

        Assert.Equal(Plain(Section(page, "SYNOPSIS")), help.GetProperty("Synopsis").GetString());
        var description = Paragraphs(Section(page, "DESCRIPTION"));
        Assert.Equal(Plain(description[0]), Plain(help.GetProperty("Description")[0].GetString()!));

        var examples = ExampleBlock().Matches(Section(page, "EXAMPLES")).Select(m => m.Groups[2].Value.TrimEnd()).ToList();
        var codes = help.GetProperty("Codes").EnumerateArray().Select(c => c.GetString()!.ReplaceLineEndings("\n")).ToList();
        Assert.NotEmpty(examples);
        Assert.Equal(examples, codes);

        var full = help.GetProperty("Full").GetString()!;
        Assert.DoesNotContain("Get-Help cannot find the Help files", full, StringComparison.Ordinal);
        Assert.Contains(Plain(description[0]), Collapse(full), StringComparison.Ordinal);
        var shown = help.GetProperty("Examples").GetString()!;
        Assert.Matches(@"-+ Example 1: [^\n]* -+", shown);
        Assert.Contains(examples[0].Split('\n')[0], shown, StringComparison.Ordinal);
        Assert.Contains("-Full", Collapse(help.GetProperty("Remarks").GetString()!), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EveryParameterHasItsDescriptionInGetHelp(string cmdlet)
    {
        var page = File.ReadAllText(Path.Combine(Docs, cmdlet + ".md"));
        var documented = ParameterBlock().Matches(Section(page, "PARAMETERS"))
            .ToDictionary(m => m.Groups[1].Value, m => Plain(Paragraphs(m.Groups[2].Value)[0]));
        var shown = Rendered.Value[cmdlet].GetProperty("Parameters").EnumerateObject()
            .ToDictionary(p => p.Name, p => Plain(p.Value.GetString()!));

        Assert.Equal(documented.Keys.Order(), shown.Keys.Order());
        foreach (var (name, text) in documented)
        {
            Assert.True(shown[name].StartsWith(text, StringComparison.Ordinal), $"-{name}: Get-Help shows '{shown[name]}', the page says '{text}'");
        }
    }

    [Theory]
    [MemberData(nameof(Topics))]
    public void AnAboutTopicIsPlainTextWithItsShortDescriptionAsSynopsis(string topic)
    {
        var source = File.ReadAllText(Path.Combine(Docs, topic + ".md"));
        var result = PwshProcess.Command(
            Path.GetTempPath(),
            $"(Get-Help {topic} | Out-String -Width 2000); '<synopsis>'; (Get-Help {topic}*  | Where-Object Name -eq {topic}).Synopsis");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var parts = result.Stdout.ReplaceLineEndings("\n").Split("<synopsis>\n");
        var (text, synopsis) = (parts[0], parts[1].Trim());

        Assert.StartsWith("TOPIC\n    " + topic + "\n", text.TrimStart('\n'), StringComparison.Ordinal);
        Assert.Contains("\nSHORT DESCRIPTION\n", text, StringComparison.Ordinal);
        Assert.Contains("\nLONG DESCRIPTION\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("```", text, StringComparison.Ordinal);
        Assert.DoesNotContain("](", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^#+ ", text);
        Assert.True(synopsis.Length > 20 && Plain(Section(source, "SHORT DESCRIPTION")).StartsWith(synopsis, StringComparison.Ordinal), $"synopsis '{synopsis}'");

        // Prose is wrapped at 80 columns and loses its backticks; only code keeps longer lines or backticks.
        var code = CodeLines(source);
        foreach (var line in text.Split('\n').Where(l => l.Length > 80 || l.Contains('`', StringComparison.Ordinal)))
        {
            Assert.True(code.Contains(line.Trim()), $"{topic}: a line that is not code is {(line.Length > 80 ? "over 80 columns" : "left with a backtick")}: '{line}'");
        }
    }

    public static TheoryData<string, string, string, string> BadPages => new()
    {
        // A change to Get-VaultSecret.md, text on the line the error must point at, and what it must say.
        { "```yaml\nType: System.Management.Automation.SwitchParameter", "```text\nType: System.Management.Automation.SwitchParameter", "### -AsPlainText", "Parameter -AsPlainText has no ```yaml block" },
        { "# Get-VaultSecret\n", "# Get-VaultSecrets\n", "# Get-VaultSecrets", "title is 'Get-VaultSecrets', not the cmdlet's name 'Get-VaultSecret'" },
        { "[-AsHashtable] [<CommonParameters>]\n```\n\n### ById", "[-AsHashtable] [-Bogus] [<CommonParameters>]\n```\n\n### ById", "[-Bogus]", "names -Bogus, which PARAMETERS does not document" },
        { "## EXAMPLES\n", "## EXAMPLE\n", "## EXAMPLE", "Unknown section '## EXAMPLE'" },
        { "Required: True\nPosition: 0", "Required: Maybe\nPosition: 0", "Required: Maybe", "'Required: Maybe' is neither True nor False" },
    };

    [Theory]
    [MemberData(nameof(BadPages))]
    public void APageHelpGenCannotReadFailsWithItsFileAndLineAndWritesNothing(string from, string to, string marker, string message)
    {
        var folder = Path.Combine(Path.GetTempPath(), "vault-helpgen-" + Guid.NewGuid().ToString("N"));
        var docs = Directory.CreateDirectory(Path.Combine(folder, "docs")).FullName;
        var output = Path.Combine(folder, "out");
        try
        {
            File.Copy(Path.Combine(Docs, "Get-Vault.md"), Path.Combine(docs, "Get-Vault.md"));
            var page = File.ReadAllText(Path.Combine(Docs, "Get-VaultSecret.md"));
            Assert.Contains(from, page, StringComparison.Ordinal);
            var broken = page.Replace(from, to, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(docs, "Get-VaultSecret.md"), broken);
            var line = broken.Split('\n').ToList().FindIndex(l => l.Contains(marker, StringComparison.Ordinal)) + 1;
            Assert.True(line > 0, "the marker is not on the page");

            var (exit, stdout, stderr) = HelpGen(docs, output);

            Assert.Equal(1, exit);
            var error = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"{Path.Combine(docs, "Get-VaultSecret.md")}({line}): error VH0002: ", error, StringComparison.Ordinal);
            Assert.Contains(message, error, StringComparison.Ordinal);
            Assert.False(Directory.Exists(output), "HelpGen wrote help from a broken page: " + stdout);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void HelpGenWritesTheMamlAndTopicsOfTheRealDocs()
    {
        var output = Path.Combine(Path.GetTempPath(), "vault-helpgen-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, stdout, stderr) = HelpGen(Docs, output);
            Assert.True(exit == 0, stderr);
            Assert.Contains($"{ModuleTests.Cmdlets.Length} cmdlet pages", stdout, StringComparison.Ordinal);
            var maml = System.Xml.Linq.XDocument.Load(Path.Combine(output, "Vault.PowerShell.dll-Help.xml"));
            var names = maml.Descendants().Where(e => e.Name.LocalName == "details")
                .Select(d => d.Elements().Single(e => e.Name.LocalName == "name").Value).Order().ToList();
            Assert.Equal(ModuleTests.Cmdlets.Order(), names);
            Assert.Equal(Topics.Count, Directory.GetFiles(output, "about_*.help.txt").Length);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static (int Exit, string Stdout, string Stderr) HelpGen(string docs, string output)
    {
        var generator = Path.Combine(Repo.Root, "build", "HelpGen", "bin", Repo.Configuration, "net10.0", "HelpGen.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { generator, docs, output })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "HelpGen hung");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    // Every cmdlet's help, rendered once in one real pwsh: the object's parts and the text a user reads.
    private static Dictionary<string, JsonElement> Render()
    {
        const string script = """
            $all = [ordered]@{}
            foreach ($name in (Get-Command -Module Vault).Name) {
                $help = Get-Help $name -Full
                $parameters = [ordered]@{}
                foreach ($p in $help.parameters.parameter) { $parameters[$p.name] = ($p.description.Text -join "`n") }
                $all[$name] = [ordered]@{
                    Synopsis = $help.Synopsis
                    Description = @($help.description.Text)
                    Codes = @($help.examples.example | ForEach-Object code)
                    Parameters = $parameters
                    Full = $help | Out-String -Width 4000
                    Examples = Get-Help $name -Examples | Out-String -Width 4000
                    Remarks = Get-Help $name | Out-String -Width 4000
                }
            }
            $all | ConvertTo-Json -Depth 5 -Compress
            """;
        var result = PwshProcess.Command(Path.GetTempPath(), script);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    private static string Section(string page, string heading)
    {
        var section = HelpTests.FindSection(page, heading);
        Assert.True(section is not null, "no section " + heading);
        return section;
    }

    private static List<string> Paragraphs(string markdown) =>
        markdown.Split("\n\n").Select(p => p.Trim()).Where(p => p.Length > 0 && !p.StartsWith("```", StringComparison.Ordinal)).ToList();

    // Markdown as a reader sees it: no backticks, a link as its text, one space between words.
    private static string Plain(string markdown) => Collapse(MarkdownLink().Replace(markdown.Replace("`", string.Empty, StringComparison.Ordinal), "$1"));

    private static string Collapse(string text) => WhiteSpace().Replace(text, " ").Trim();

    private static HashSet<string> CodeLines(string markdown)
    {
        var lines = new HashSet<string>(StringComparer.Ordinal);
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (fenced || line.StartsWith("    ", StringComparison.Ordinal))
            {
                lines.Add(line.Trim());
            }
        }

        return lines;
    }

    [GeneratedRegex(@"^### (Example [^\n]*)\n```powershell\n(.*?)```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ExampleBlock();

    [GeneratedRegex(@"^### -(\w+)\n(.*?)```yaml\n", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ParameterBlock();

    [GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
