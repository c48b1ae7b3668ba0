using System.Text;

namespace Unroll.Generators.Emitting;

/// <summary>A minimal indented text writer (4 spaces a level), in the manner of System.Text.Json's SourceWriter.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', 4 * _indent).Append(line);
        _text.Append('\n');
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
}
