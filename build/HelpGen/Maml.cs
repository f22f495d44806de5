using System.Xml;
using System.Xml.Linq;

namespace Vault.HelpGen;

/// <summary>
/// Writes the cmdlets' help as PowerShell reads it: one helpItems file named after the cmdlets'
/// assembly, in the MAML schema that Get-Help and platyPS use.
/// </summary>
internal static class Maml
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace M = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static void Write(IEnumerable<CommandPage> pages, string path)
    {
        var document = new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), pages.Select(Page)));
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", NewLineChars = "\n", Encoding = new System.Text.UTF8Encoding(false) };
        using var writer = XmlWriter.Create(path, settings);
        document.Save(writer);
    }

    private static XElement Page(CommandPage page) =>
        new(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", M),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(Command + "details",
                new XElement(Command + "name", page.Name),
                new XElement(Command + "verb", page.Verb),
                new XElement(Command + "noun", page.Noun),
                Description(page.Synopsis)),
            Description(page.Description),
            new XElement(Command + "syntax", page.Syntax.Select(item => SyntaxItem(page, item))),
            new XElement(Command + "parameters", page.Parameters.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Select(p => Parameter(p, p.Required, p.Position))),
            new XElement(Command + "inputTypes", page.Inputs.Select(t => new XElement(Command + "inputType", Type(t.Type), Description(t.Description)))),
            new XElement(Command + "returnValues", page.Outputs.Select(t => new XElement(Command + "returnValue", Type(t.Type), Description(t.Description)))),
            new XElement(M + "alertSet", new XElement(M + "alert", Paras(page.Notes))),
            new XElement(Command + "examples", page.Examples.Select(Example)),
            new XElement(Command + "relatedLinks", page.Links.Select(l =>
                new XElement(M + "navigationLink", new XElement(M + "linkText", l.Text), new XElement(M + "uri", l.Uri)))));

    private static XElement SyntaxItem(CommandPage page, SyntaxItem item) =>
        new(Command + "syntaxItem",
            new XElement(M + "name", page.Name),
            item.Parameters.Select(s =>
            {
                var parameter = page.Parameters.Single(p => p.Name == s.Name);
                return Parameter(parameter, s.Required, s.Position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "Named", s.ValueType, inSyntax: true);
            }));

    private static XElement Parameter(Parameter parameter, bool required, string position, string? valueType = null, bool inSyntax = false)
    {
        var shortType = parameter.Type[(parameter.Type.LastIndexOf('.') + 1)..];
        // A switch takes no value: the syntax shows [-Force], the parameter list -Force [<SwitchParameter>].
        var value = parameter.IsSwitch && inSyntax
            ? null
            : new XElement(Command + "parameterValue",
                new XAttribute("required", (!parameter.IsSwitch).ToString().ToLowerInvariant()),
                new XAttribute("variableLength", "false"),
                valueType ?? shortType);
        return new XElement(Command + "parameter",
            new XAttribute("required", required.ToString().ToLowerInvariant()),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", parameter.Globbing.ToString().ToLowerInvariant()),
            new XAttribute("pipelineInput", parameter.PipelineInput),
            new XAttribute("position", position == "Named" ? "named" : position),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(M + "name", parameter.Name),
            Description(parameter.Description),
            value,
            Type(parameter.Type),
            new XElement(Dev + "defaultValue", parameter.DefaultValue));
    }

    private static XElement Example(Example example) =>
        new(Command + "example",
            new XElement(M + "title", Title(example.Title)),
            new XElement(Dev + "code", example.Code),
            new XElement(Dev + "remarks", Paras(example.Remarks.Append(string.Empty))));

    // Dashes either side, as Get-Help's examples have always looked, within 76 columns (Get-Help indents 4).
    private static string Title(string title)
    {
        var dashes = new string('-', Math.Max(3, (76 - title.Length - 2) / 2));
        return $"{dashes} {title} {dashes}";
    }

    private static XElement Type(string name) => new(Dev + "type", new XElement(M + "name", name), new XElement(M + "uri"));

    private static XElement Description(string paragraph) => Description([paragraph]);

    private static XElement Description(IEnumerable<string> paragraphs) => new(M + "description", Paras(paragraphs));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) => paragraphs.Select(p => new XElement(M + "para", p));
}
