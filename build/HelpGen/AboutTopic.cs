using System.Text;
using Markdig.Syntax;

namespace Vault.HelpGen;

/// <summary>
/// An about topic as Get-Help prints it: plain text, headings in capitals at the margin, paragraphs
/// and list items wrapped at 80 columns four spaces in, code eight spaces in (four when a line would
/// pass 80 columns), no Markdown left.
/// </summary>
internal static class AboutTopic
{
    private const int Width = 80;
    private const string Indent = "    ";

    public static string Render(string path, string text)
    {
        var page = Markdown.Parse(path, text);
        var name = Path.GetFileNameWithoutExtension(path);
        if (page.Title != name)
        {
            throw new HelpPageException(path, page.TitleLine, $"The topic's '# ' title is '{page.Title}', not '{name}' that the file is named after.");
        }

        var chunks = new List<string> { "TOPIC\n" + Indent + name };
        var headings = new HashSet<int>();
        foreach (var section in page.Sections)
        {
            headings.Add(chunks.Count);
            chunks.Add(section.Title.ToUpperInvariant());
            Blocks(page, section.Blocks, chunks);
            foreach (var child in section.Children)
            {
                headings.Add(chunks.Count);
                chunks.Add(Indent + child.Title + "\n" + Indent + new string('-', child.Title.Length));
                Blocks(page, child.Blocks, chunks);
            }
        }

        // A heading sits right above its text: Get-Help takes a topic's fifth line, the first under
        // SHORT DESCRIPTION, as its synopsis.
        var output = new StringBuilder();
        for (var i = 0; i < chunks.Count; i++)
        {
            output.Append(chunks[i]).Append(i == chunks.Count - 1 ? "\n" : headings.Contains(i) ? "\n" : "\n\n");
        }

        return output.ToString();
    }

    private static void Blocks(Markdown page, IEnumerable<Block> blocks, List<string> chunks)
    {
        foreach (var block in blocks)
        {
            switch (block)
            {
                case ParagraphBlock paragraph:
                    chunks.Add(Wrap(Markdown.Text(paragraph.Inline, withAddresses: true), Indent, Indent));
                    break;
                case CodeBlock code:
                    var lines = Markdown.Code(code).Split('\n');
                    var indent = lines.Any(l => Indent.Length * 2 + l.Length > Width) ? Indent : Indent + Indent;
                    chunks.Add(string.Join('\n', lines.Select(l => l.Length == 0 ? l : indent + l)));
                    break;
                case ListBlock list:
                    chunks.Add(string.Join('\n', Items(page, list, Indent)));
                    break;
                case HeadingBlock heading:
                    chunks.Add(Indent + Markdown.Text(heading.Inline));
                    break;
                case ThematicBreakBlock or BlankLineBlock or LinkReferenceDefinitionGroup:
                    break;
                default:
                    throw new HelpPageException(page.Path, block.Line + 1, $"An about topic cannot show this Markdown ({block.GetType().Name}): use paragraphs, lists and code blocks.");
            }
        }
    }

    private static IEnumerable<string> Items(Markdown page, ListBlock list, string indent)
    {
        foreach (var (item, marker) in Markdown.Items(list))
        {
            var hanging = indent + new string(' ', marker.Length);
            var start = true;
            foreach (var block in item)
            {
                switch (block)
                {
                    case ParagraphBlock paragraph:
                        yield return Wrap(Markdown.Text(paragraph.Inline, withAddresses: true), start ? indent + marker : hanging, hanging);
                        break;
                    case ListBlock nested:
                        foreach (var line in Items(page, nested, hanging))
                        {
                            yield return line;
                        }

                        break;
                    case CodeBlock code:
                        yield return string.Join('\n', Markdown.Code(code).Split('\n').Select(l => hanging + Indent + l));
                        break;
                    default:
                        throw new HelpPageException(page.Path, block.Line + 1, $"A list item in an about topic cannot hold {block.GetType().Name}.");
                }

                start = false;
            }
        }
    }

    /// <summary>Words filled into lines of at most 80 columns; a hard line break in the text starts a new line.</summary>
    internal static string Wrap(string text, string first, string rest)
    {
        var output = new StringBuilder();
        var line = new StringBuilder(first);
        var empty = true;
        foreach (var hardLine in text.Split('\n'))
        {
            foreach (var word in hardLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!empty && line.Length + 1 + word.Length > Width)
                {
                    output.Append(line).Append('\n');
                    line.Clear().Append(rest);
                    empty = true;
                }

                line.Append(empty ? string.Empty : " ").Append(word);
                empty = false;
            }

            output.Append(line).Append('\n');
            line.Clear().Append(rest);
            empty = true;
        }

        return output.ToString().TrimEnd('\n');
    }
}
