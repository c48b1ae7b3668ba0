using System.Text;

namespace Unroll.Generators.Emitting;

/// <summary>
/// A minimal indented text writer (4 spaces a level), in the manner of System.Text.Json's SourceWriter, that names the
/// integer arguments of kernel calls (<see cref="KernelCalls"/>) and keeps the emitted lines within <see cref="MaxWidth"/>
/// (<see cref="Wrap"/>).
/// </summary>
internal sealed class SourceWriter
{
    /// <summary>The widest line the writer emits, indentation included (a line with nowhere to break, a long string literal, stays whole).</summary>
    public const int MaxWidth = 160;

    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length == 0)
        {
            _text.Append('\n');
            return;
        }
        foreach (string part in Wrap(KernelCalls.NameArguments(line), MaxWidth - 4 * _indent)) _text.Append(' ', 4 * _indent).Append(part).Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any), then <c>{</c>, and indents until <see cref="Close"/>.</summary>
    public void Open(string header)
    {
        if (header.Length > 0) Line(header);
        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    public override string ToString() => _text.ToString();

    /// <summary>
    /// <paramref name="line"/> in lines of at most <paramref name="width"/> characters where it can be broken: a comment at
    /// its spaces (each line keeping the <c>//</c> or <c>///</c>), a code line's trailing comment onto a line of its own
    /// above it, and code after the commas between the arguments of its outermost call (or after an opening parenthesis,
    /// or between the words of a plain string literal, <c>"…" + "…"</c>, where no comma fits), the continuation lines 4
    /// spaces deeper.
    /// </summary>
    public static IEnumerable<string> Wrap(string line, int width)
    {
        if (line.Length <= width) return new[] { line };
        string trimmed = line.TrimStart();
        string lead = line.Substring(0, line.Length - trimmed.Length);
        if (trimmed.StartsWith("//", StringComparison.Ordinal)) return WrapComment(lead, trimmed, width);
        var (breaks, comment) = Scan(line);
        if (comment > 0)
        {
            return Wrap(lead + line.Substring(comment), width).Concat(Wrap(line.Substring(0, comment).TrimEnd(), width));
        }
        return WrapCode(line, lead, breaks, width);
    }

    private static List<string> WrapComment(string lead, string comment, int width)
    {
        int marker = comment.StartsWith("///", StringComparison.Ordinal) ? 3 : 2;
        string prefix = lead + comment.Substring(0, marker) + " ";
        var lines = new List<string>();
        var current = new StringBuilder(prefix);
        foreach (string word in comment.Substring(marker).TrimStart().Split(' '))
        {
            if (current.Length > prefix.Length && current.Length + 1 + word.Length > width)
            {
                lines.Add(current.ToString());
                current.Clear().Append(prefix);
            }
            if (current.Length > prefix.Length) current.Append(' ');
            current.Append(word);
        }
        lines.Add(current.ToString());
        return lines;
    }

    private static List<string> WrapCode(string line, string lead, List<(int At, int Depth)> breaks, int width)
    {
        // Each line ends at the last break that fits among the best kind: a comma of the shallowest call, else an opening
        // parenthesis, else a space in a string literal (which then closes and goes on as "…" + "…").
        var lines = new List<string>();
        string continuation = lead + "    ";
        int start = 0;
        while (true)
        {
            string prefix = start == 0 ? "" : continuation;
            string rest = start == 0 ? line : line.Substring(start).TrimStart();
            int room = width - prefix.Length, skipped = line.Length - start - rest.Length;
            if (rest.Length <= room)
            {
                lines.Add(prefix + rest);
                return lines;
            }
            // A literal split there ends its line with three more characters: the closing quote and " +".
            var fitting = breaks.Where(c => c.At + 1 > start && c.At + 1 - start - skipped + (c.Depth >= StringDepth ? 3 : 0) <= room).ToList();
            (int At, int Depth) chosen = fitting.Count > 0
                ? fitting.Where(c => c.Depth == fitting.Min(f => f.Depth)).OrderBy(c => c.At).Last()
                : breaks.Where(c => c.At + 1 > start).DefaultIfEmpty((line.Length - 1, 0)).First(); // nothing fits: the next break
            int cut = chosen.At + 1;
            if (chosen.Depth >= StringDepth)
            {
                // Close the literal after the space, and open another: "… " + "…".
                line = line.Substring(0, cut) + "\" + \"" + line.Substring(cut);
                breaks = Scan(line).Breaks;
                cut += 3;
            }
            lines.Add(prefix + (start == 0 ? line.Substring(0, cut).TrimEnd() : line.Substring(start, cut - start).Trim()));
            if (cut >= line.Length) return lines;
            start = cut;
        }
    }

    /// <summary>The depth a parenthesis break counts as (all alike: the farthest that fits), and the depth added to a string literal's break, so that commas come first.</summary>
    private const int ParenthesisDepth = 50, StringDepth = 100;

    /// <summary>
    /// Where the line may break, with the nesting depth there: after the commas and opening parentheses outside literals,
    /// and after the spaces in plain string literals (those deep enough to come last); and where a trailing <c>//</c>
    /// comment starts (0: none).
    /// </summary>
    private static (List<(int At, int Depth)> Breaks, int Comment) Scan(string line)
    {
        var commas = new List<(int, int)>();
        int depth = 0;
        char quote = '\0';
        bool plain = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == '\\') i++;
                else if (c == quote) quote = '\0';
                else if (plain && c == ' ' && i + 1 < line.Length && line[i + 1] != '"') commas.Add((i, depth + StringDepth));
                continue;
            }
            switch (c)
            {
                case '"' or '\'':
                    quote = c;
                    plain = c == '"' && (i == 0 || line[i - 1] is not ('$' or '@'));
                    break;
                case '(' when i > 0:
                    depth++;
                    commas.Add((i, ParenthesisDepth));
                    break;
                case '(' or '[' or '{': depth++; break;
                case ')' or ']' or '}': depth--; break;
                case ',': commas.Add((i, depth)); break;
                case '/' when i + 1 < line.Length && line[i + 1] == '/': return (commas, i);
            }
        }
        return (commas, 0);
    }
}
