using System.Text;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Vault.HelpGen;

/// <summary>A heading and what follows it up to the next heading of its level or above.</summary>
internal sealed record Section(string Title, int Line, List<Block> Blocks, List<Section> Children);

/// <summary>A help page read as Markdown: its title, its H2 sections with their H3 children, and plain text.</summary>
internal sealed class Markdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

    private Markdown(string path, string? title, int titleLine, List<Section> sections)
    {
        Path = path;
        Title = title;
        TitleLine = titleLine;
        Sections = sections;
    }

    public string Path { get; }

    /// <summary>The H1 heading, or null when there is none.</summary>
    public string? Title { get; }

    /// <summary>The H1 heading's line, or 1 when there is none.</summary>
    public int TitleLine { get; }

    public List<Section> Sections { get; }

    public static Markdown Parse(string path, string text)
    {
        var document = Markdig.Markdown.Parse(text.ReplaceLineEndings("\n"), Pipeline);
        string? title = null;
        var titleLine = 1;
        var sections = new List<Section>();
        foreach (var block in document)
        {
            switch (block)
            {
                case YamlFrontMatterBlock or LinkReferenceDefinitionGroup or BlankLineBlock:
                    break;
                case HeadingBlock { Level: 1 } h1 when title is null && sections.Count == 0:
                    title = Text(h1.Inline);
                    titleLine = h1.Line + 1;
                    break;
                case HeadingBlock { Level: 2 } h2:
                    sections.Add(new Section(Text(h2.Inline), h2.Line + 1, [], []));
                    break;
                case HeadingBlock { Level: 3 } h3 when sections.Count > 0:
                    sections[^1].Children.Add(new Section(Text(h3.Inline), h3.Line + 1, [], []));
                    break;
                default:
                    if (sections.Count == 0)
                    {
                        throw new HelpPageException(path, block.Line + 1, "Text before the first '## ' section belongs in a section.");
                    }

                    var section = sections[^1];
                    (section.Children.Count > 0 ? section.Children[^1].Blocks : section.Blocks).Add(block);
                    break;
            }
        }

        return new Markdown(path, title, titleLine, sections);
    }

    /// <summary>
    /// The text of inlines as a reader sees it: code spans without their backticks, a link as its
    /// text (with its address after it in parentheses when withAddresses and it is absolute),
    /// soft line breaks as spaces and hard ones as new lines.
    /// </summary>
    public static string Text(ContainerInline? inlines, bool withAddresses = false)
    {
        var text = new StringBuilder();
        Append(text, inlines, withAddresses);
        return text.ToString().Trim();
    }

    private static void Append(StringBuilder text, Inline? inline, bool withAddresses)
    {
        switch (inline)
        {
            case null:
                break;
            case LiteralInline literal:
                text.Append(literal.Content.ToString());
                break;
            case CodeInline code:
                text.Append(code.Content);
                break;
            case LineBreakInline lineBreak:
                text.Append(lineBreak.IsHard ? '\n' : ' ');
                break;
            case HtmlEntityInline entity:
                text.Append(entity.Transcoded.ToString());
                break;
            case HtmlInline html:
                text.Append(html.Tag);
                break;
            case AutolinkInline autolink:
                text.Append(autolink.Url);
                break;
            case ContainerInline container:
                // A link is its text, and with addresses an absolute one's address after it.
                var start = text.Length;
                foreach (var child in container)
                {
                    Append(text, child, withAddresses);
                }

                if (withAddresses && container is LinkInline link && IsAbsolute(link.Url) && text.ToString(start, text.Length - start) != link.Url)
                {
                    text.Append(" (").Append(link.Url).Append(')');
                }

                break;
            default:
                text.Append(inline.ToString());
                break;
        }
    }

    public static bool IsAbsolute(string? url) =>
        url is not null && (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase));

    /// <summary>The lines of a code block, as written, without a trailing blank line.</summary>
    public static string Code(LeafBlock code) => code.Lines.ToString().TrimEnd('\n', ' ');

    /// <summary>Each item of a list with its marker: "- ", or "1. ", "2. " ... from the list's first number.</summary>
    public static IEnumerable<(ListItemBlock Item, string Marker)> Items(ListBlock list)
    {
        var number = int.TryParse(list.OrderedStart, out var first) ? first : 1;
        foreach (var item in list.OfType<ListItemBlock>())
        {
            yield return (item, list.IsOrdered ? $"{number++}. " : "- ");
        }
    }

    /// <summary>
    /// Blocks as MAML paragraphs: one per paragraph, one per list item ("- " or "1. " before it),
    /// one per code block with its lines kept.
    /// </summary>
    public IEnumerable<string> Paragraphs(IEnumerable<Block> blocks, string indent = "")
    {
        foreach (var block in blocks)
        {
            switch (block)
            {
                case ParagraphBlock paragraph:
                    yield return indent + Text(paragraph.Inline);
                    break;
                case CodeBlock code:
                    yield return string.Join('\n', Code(code).Split('\n').Select(line => indent + line));
                    break;
                case ListBlock list:
                    foreach (var (item, marker) in Items(list))
                    {
                        var inner = Paragraphs(item, indent + new string(' ', marker.Length)).ToList();
                        if (inner.Count > 0)
                        {
                            inner[0] = indent + marker + inner[0][(indent.Length + marker.Length)..];
                        }

                        foreach (var paragraph in inner)
                        {
                            yield return paragraph;
                        }
                    }

                    break;
                case QuoteBlock quote:
                    foreach (var paragraph in Paragraphs(quote, indent))
                    {
                        yield return paragraph;
                    }

                    break;
                case HeadingBlock heading:
                    yield return indent + Text(heading.Inline);
                    break;
                case ThematicBreakBlock or BlankLineBlock or LinkReferenceDefinitionGroup:
                    break;
                default:
                    throw new HelpPageException(Path, block.Line + 1, $"Help cannot show this Markdown ({block.GetType().Name}): use paragraphs, lists and code blocks.");
            }
        }
    }
}
