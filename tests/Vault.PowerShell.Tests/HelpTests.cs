using System.Management.Automation;
using System.Text.RegularExpressions;

namespace Vault.PowerShell.Tests;

/// <summary>
/// docs/en-US is the help: a page per cmdlet in platyPS markdown, whose syntax and parameter
/// facts must match the cmdlet as PowerShell sees it, and an about topic shipped with the module.
/// </summary>
public sealed partial class HelpTests : IDisposable
{
    private static readonly string Docs = Path.Combine(Repo.Root, "docs", "en-US");
    private readonly VaultShell shell = new();

    public void Dispose() => shell.Dispose();

    public static TheoryData<string> Cmdlets => new(ModuleTests.Cmdlets);

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EveryCmdletHasAPageWithSynopsisDescriptionAndExamples(string cmdlet)
    {
        var page = File.ReadAllText(Path.Combine(Docs, cmdlet + ".md"));
        Assert.Contains("schema: 2.0.0", page);
        Assert.Contains($"# {cmdlet}\n", page);
        Assert.False(string.IsNullOrWhiteSpace(Section(page, "SYNOPSIS")), "no synopsis");
        Assert.False(string.IsNullOrWhiteSpace(Section(page, "DESCRIPTION")), "no description");
        Assert.Matches(@"### Example 1[^\n]*\n```powershell\n", Section(page, "EXAMPLES"));
        Assert.False(string.IsNullOrWhiteSpace(Section(page, "OUTPUTS")), "no outputs");
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void TheSyntaxOnThePageIsTheCmdletsSyntax(string cmdlet)
    {
        var page = File.ReadAllText(Path.Combine(Docs, cmdlet + ".md"));
        var documented = SyntaxBlock().Matches(Section(page, "SYNTAX")).Select(m => Normalize(m.Groups[1].Value)).Order().ToList();
        var actual = shell.Run($"(Get-Command {cmdlet}).ParameterSets | ForEach-Object {{ '{cmdlet} ' + $_.ToString() }}")
            .Succeeded().Output.Select(o => Normalize(o.ToString())).Order().ToList();
        Assert.Equal(actual, documented);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EveryParameterIsDocumentedWithItsRealFacts(string cmdlet)
    {
        var page = File.ReadAllText(Path.Combine(Docs, cmdlet + ".md"));
        var documented = ParameterSection().Matches(Section(page, "PARAMETERS"))
            .ToDictionary(m => m.Groups[1].Value, m => Yaml(m.Groups[3].Value), StringComparer.Ordinal);
        var command = (CmdletInfo)shell.Run($"Get-Command {cmdlet}").Succeeded().Single().BaseObject;
        var common = new HashSet<string>(Cmdlet.CommonParameters.Concat(Cmdlet.OptionalCommonParameters), StringComparer.OrdinalIgnoreCase);
        var parameters = command.Parameters.Values.Where(p => !common.Contains(p.Name) || p.Name is "WhatIf" or "Confirm").ToList();

        Assert.Equal(parameters.Select(p => p.Name).Order(), documented.Keys.Order());
        var allSets = command.ParameterSets.Select(s => s.Name).ToHashSet();
        foreach (var parameter in parameters)
        {
            var facts = documented[parameter.Name];
            var sets = parameter.ParameterSets;
            var first = sets.Values.First();
            var inAll = sets.ContainsKey(ParameterAttribute.AllParameterSets) || allSets.SetEquals(sets.Keys);
            var because = $"{cmdlet} -{parameter.Name}";
            Assert.True(inAll ? facts["Parameter Sets"] == "(All)" : facts["Parameter Sets"].Split(", ").ToHashSet().SetEquals(sets.Keys), because + " parameter sets");
            Assert.True(string.Join(", ", parameter.Aliases) == facts["Aliases"], because + " aliases");
            Assert.True(first.IsMandatory.ToString() == facts["Required"], because + " required");
            Assert.True((first.Position == int.MinValue ? "Named" : first.Position.ToString(System.Globalization.CultureInfo.InvariantCulture)) == facts["Position"], because + " position");
            var pipeline = (first.ValueFromPipelineByPropertyName, first.ValueFromPipeline) switch
            {
                (true, true) => "True (ByPropertyName, ByValue)",
                (true, false) => "True (ByPropertyName)",
                (false, true) => "True (ByValue)",
                _ => "False",
            };
            Assert.True(pipeline == facts["Accept pipeline input"], $"{because} pipeline input: {pipeline} vs {facts["Accept pipeline input"]}");
            var wildcards = parameter.Attributes.OfType<SupportsWildcardsAttribute>().Any();
            Assert.True(wildcards.ToString() == facts["Accept wildcard characters"], because + " wildcards");
        }
    }

    [Fact]
    public void TheAboutTopicShipsWithTheModuleAndGetHelpFindsIt()
    {
        Assert.True(File.Exists(Path.Combine(Docs, "about_Vault.md")));
        var help = string.Join("\n", shell.Run("Get-Help about_Vault | Out-String -Width 200").Succeeded().Output.Select(o => o.ToString()));
        Assert.Contains("SHORT DESCRIPTION", help);
        Assert.Contains("VAULT_HOME", help);
    }

    private static string Section(string page, string heading) => FindSection(page, heading) ?? string.Empty;

    /// <summary>What a page has under its "## heading", up to the next; null when it has no such section.</summary>
    internal static string? FindSection(string page, string heading)
    {
        var match = Regex.Match(page, $@"^## {heading}\n(.*?)(?=^## |\z)", RegexOptions.Singleline | RegexOptions.Multiline);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static Dictionary<string, string> Yaml(string block) =>
        block.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim());

    // platyPS writes .NET type names (Int32, Boolean) where PowerShell writes its own (int, bool).
    private static string Normalize(string syntax) => WhiteSpace().Replace(syntax, " ").Trim().ToLowerInvariant()
        .Replace("<int32>", "<int>", StringComparison.Ordinal).Replace("<boolean>", "<bool>", StringComparison.Ordinal);

    [GeneratedRegex(@"```\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex SyntaxBlock();

    [GeneratedRegex(@"^### -(\w+)\n(.*?)```yaml\n(.*?)```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ParameterSection();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
