using System.Text.RegularExpressions;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Vault.HelpGen;

public sealed record SyntaxParameter(string Name, string? ValueType, bool Required, int? Position);

public sealed record SyntaxItem(string SetName, IReadOnlyList<SyntaxParameter> Parameters);

public sealed record Parameter(
    string Name,
    IReadOnlyList<string> Description,
    string Type,
    IReadOnlyList<string> Aliases,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing)
{
    public bool IsSwitch => Type == "System.Management.Automation.SwitchParameter";
}

public sealed record Example(string Title, string Code, IReadOnlyList<string> Remarks);

public sealed record TypeNote(string Type, IReadOnlyList<string> Description);

public sealed record Link(string Text, string Uri);

/// <summary>
/// A cmdlet's page in platyPS markdown (schema 2.0.0): # Name, then ## SYNOPSIS, SYNTAX (### set,
/// a fenced block), DESCRIPTION, EXAMPLES (### title, a code block, then remarks), PARAMETERS
/// (### -Name, its description, a ```yaml block of facts), INPUTS and OUTPUTS (### type, its
/// description), NOTES and RELATED LINKS.
/// </summary>
public sealed partial record CommandPage(
    string Name,
    string Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<SyntaxItem> Syntax,
    IReadOnlyList<Parameter> Parameters,
    IReadOnlyList<TypeNote> Inputs,
    IReadOnlyList<TypeNote> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<Example> Examples,
    IReadOnlyList<Link> Links)
{
    private static readonly string[] KnownSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];
    private static readonly string[] RequiredSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "OUTPUTS"];
    private static readonly string[] Facts = ["Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters"];

    public string Verb => Name[..Name.IndexOf('-', StringComparison.Ordinal)];

    public string Noun => Name[(Name.IndexOf('-', StringComparison.Ordinal) + 1)..];

    public static CommandPage Parse(string path, string text)
    {
        var page = Markdown.Parse(path, text);
        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        if (page.Title != name)
        {
            throw new HelpPageException(path, page.TitleLine, $"The page's '# ' title is '{page.Title}', not the cmdlet's name '{name}' that the file is named after.");
        }

        foreach (var section in page.Sections.Where(s => !KnownSections.Contains(s.Title)))
        {
            throw new HelpPageException(path, section.Line, $"Unknown section '## {section.Title}': a cmdlet page has {string.Join(", ", KnownSections)}.");
        }

        foreach (var missing in RequiredSections.Where(r => page.Sections.All(s => s.Title != r)))
        {
            throw new HelpPageException(path, 1, $"The page has no '## {missing}' section.");
        }

        Section Get(string title) => page.Sections.First(s => s.Title == title);
        Section? Find(string title) => page.Sections.FirstOrDefault(s => s.Title == title);

        var synopsis = string.Join(' ', page.Paragraphs(Get("SYNOPSIS").Blocks));
        if (synopsis.Length == 0)
        {
            throw new HelpPageException(path, Get("SYNOPSIS").Line, "The SYNOPSIS is empty.");
        }

        var parameters = (Find("PARAMETERS")?.Children ?? []).Where(p => p.Title != "CommonParameters").Select(p => ParseParameter(page, p)).ToList();
        // One parameter set: its block right under ## SYNTAX; several: a ### <set name> for each.
        var syntaxSection = Get("SYNTAX");
        var syntax = syntaxSection.Children.Count == 0
            ? [ParseSyntax(page, syntaxSection with { Title = "__AllParameterSets" }, parameters)]
            : syntaxSection.Children.Select(s => ParseSyntax(page, s, parameters)).ToList();
        if (syntax.Count == 0)
        {
            throw new HelpPageException(path, Get("SYNTAX").Line, "SYNTAX has no fenced block (one parameter set) or '### <parameter set>' with one (several).");
        }

        var examples = Get("EXAMPLES").Children.Select(e => ParseExample(page, e)).ToList();
        if (examples.Count == 0)
        {
            throw new HelpPageException(path, Get("EXAMPLES").Line, "EXAMPLES has no '### Example 1: ...'.");
        }

        return new CommandPage(
            name,
            synopsis,
            page.Paragraphs(Get("DESCRIPTION").Blocks).ToList(),
            syntax,
            parameters,
            Types(page, Find("INPUTS")),
            Types(page, Get("OUTPUTS")),
            Find("NOTES") is { } notes ? page.Paragraphs(notes.Blocks).ToList() : [],
            examples,
            Find("RELATED LINKS") is { } links ? RelatedLinks(links) : []);
    }

    private static Parameter ParseParameter(Markdown page, Section section)
    {
        if (!section.Title.StartsWith('-'))
        {
            throw new HelpPageException(page.Path, section.Line, $"A parameter's heading is '### -<Name>', not '### {section.Title}'.");
        }

        var yaml = section.Blocks.OfType<FencedCodeBlock>().LastOrDefault(b => b.Info == "yaml")
            ?? throw new HelpPageException(page.Path, section.Line, $"Parameter {section.Title} has no ```yaml block of facts ({string.Join(", ", Facts)}).");
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        var factLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = Markdown.Code(yaml).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var fact = lines[i][..colon].Trim();
                facts[fact] = lines[i][(colon + 1)..].Trim();
                factLines[fact] = yaml.Line + 2 + i;
            }
        }

        foreach (var fact in Facts.Where(f => !facts.ContainsKey(f)))
        {
            throw new HelpPageException(page.Path, yaml.Line + 1, $"Parameter {section.Title}'s yaml block has no '{fact}:'.");
        }

        bool Boolean(string fact) => facts[fact] switch
        {
            "True" => true,
            "False" => false,
            var other => throw new HelpPageException(page.Path, factLines[fact], $"Parameter {section.Title}: '{fact}: {other}' is neither True nor False."),
        };

        var position = facts["Position"];
        if (position != "Named" && !int.TryParse(position, out _))
        {
            throw new HelpPageException(page.Path, factLines["Position"], $"Parameter {section.Title}: 'Position: {position}' is neither Named nor a number.");
        }

        return new Parameter(
            section.Title[1..],
            page.Paragraphs(section.Blocks.Where(b => b != yaml)).ToList(),
            facts["Type"],
            facts["Aliases"].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Boolean("Required"),
            position,
            facts["Default value"],
            facts["Accept pipeline input"],
            Boolean("Accept wildcard characters"));
    }

    private static SyntaxItem ParseSyntax(Markdown page, Section section, List<Parameter> parameters)
    {
        var block = section.Blocks.OfType<FencedCodeBlock>().SingleOrDefault()
            ?? throw new HelpPageException(page.Path, section.Line, $"Syntax '### {section.Title}' needs exactly one fenced block.");
        var setName = section.Title.Replace("(Default)", string.Empty, StringComparison.Ordinal).Trim();
        var items = new List<SyntaxParameter>();
        var position = 0;
        var code = Markdown.Code(block);
        foreach (Match token in SyntaxToken().Matches(code))
        {
            var name = token.Groups["name"].Value;
            if (parameters.All(p => p.Name != name))
            {
                var line = block.Line + 2 + code.AsSpan(0, token.Index).Count('\n');
                throw new HelpPageException(page.Path, line, $"Syntax '{setName}' names -{name}, which PARAMETERS does not document.");
            }

            var type = token.Groups["type"].Success ? token.Groups["type"].Value : null;
            var (required, positional) = (token.Groups["open"].Value, token.Groups["close"].Success, type is not null) switch
            {
                ("[[", _, _) => (false, true),          // [[-Name] <Type>]
                ("[", true, true) => (true, true),      // [-Name] <Type>
                ("[", _, _) => (false, false),          // [-Name <Type>] or [-Switch]
                _ => (true, false),                     // -Name <Type> or -Switch
            };
            items.Add(new SyntaxParameter(name, type, required, positional ? position++ : null));
        }

        return new SyntaxItem(setName, items);
    }

    private static Example ParseExample(Markdown page, Section section)
    {
        var code = section.Blocks.OfType<FencedCodeBlock>().FirstOrDefault()
            ?? throw new HelpPageException(page.Path, section.Line, $"Example '{section.Title}' has no ```powershell block.");
        return new Example(section.Title, Markdown.Code(code), page.Paragraphs(section.Blocks.Where(b => b != code)).ToList());
    }

    private static List<TypeNote> Types(Markdown page, Section? section) =>
        section?.Children.Select(t => new TypeNote(t.Title, page.Paragraphs(t.Blocks).ToList())).ToList() ?? [];

    private static List<Link> RelatedLinks(Section section) =>
        section.Blocks.OfType<ParagraphBlock>()
            .SelectMany(p => p.Inline?.Descendants<LinkInline>() ?? [])
            .Select(l => new Link(Markdown.Text(l), Markdown.IsAbsolute(l.Url) ? l.Url! : string.Empty))
            .ToList();

    // One parameter in a syntax block: [[-Name] <Type>], [-Name] <Type>, [-Name <Type>], -Name <Type>, [-Switch], -Switch.
    [GeneratedRegex(@"(?<!\w)(?<open>\[\[|\[)?-(?<name>\w+)(?<close>\])?(?:\s+<(?<type>[^>]+)>)?")]
    private static partial Regex SyntaxToken();
}
