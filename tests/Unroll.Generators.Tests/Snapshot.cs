using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Unroll.Generators.Emitting;
using Xunit;
using Xunit.Sdk;

namespace Unroll.Generators.Tests;

/// <summary>
/// Compares generated text with <c>Snapshots/&lt;name&gt;.verified.cs</c> in the source tree, as Verify
/// would (Verify's core package is not on the mirror). On a mismatch it writes
/// <c>&lt;name&gt;.received.cs</c> beside it and fails with a line diff; with
/// <c>UPDATE_SNAPSHOTS=1</c> it accepts the new text instead.
/// </summary>
public static class Snapshot
{
    /// <summary>Stands in for <see cref="Emitter.GeneratorVersion"/>, so a version bump does not touch every snapshot.</summary>
    public const string VersionPlaceholder = "%VERSION%";

    private const int ContextLines = 3;
    private const int MaxDiffLines = 200;

    public static bool Updating => Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") is "1" or "true";

    /// <param name="name">The snapshot's file name without <c>.verified.cs</c>.</param>
    /// <param name="actual">The generated text.</param>
    /// <param name="callerFile">Filled by the compiler: the test's source file, whose folder holds <c>Snapshots/</c>.</param>
    public static void Match(string name, string actual, [CallerFilePath] string callerFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
        string verifiedPath = Path.Combine(directory, name + ".verified.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");
        string received = Normalize(actual);

        if (Updating)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, received, new UTF8Encoding(false));
            File.Delete(receivedPath);
            return;
        }

        string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (verified == received)
        {
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, received, new UTF8Encoding(false));
        string message = verified is null
            ? $"No snapshot {verifiedPath}. The generated text is in {receivedPath}; run with UPDATE_SNAPSHOTS=1 to accept it."
            : $"The generated text differs from {verifiedPath} (received: {receivedPath}; run with UPDATE_SNAPSHOTS=1 to accept it).\n{Diff(verified, received)}";
        throw new XunitException(message);
    }

    /// <summary>Unix line ends and the version placeholder.</summary>
    public static string Normalize(string text) =>
        text.Replace("\r\n", "\n").Replace($"\"{Emitter.GeneratorVersion}\"", $"\"{VersionPlaceholder}\"");

    /// <summary>A unified-style diff: changed lines with <see cref="ContextLines"/> of context, '-' verified, '+' received.</summary>
    public static string Diff(string verified, string received)
    {
        DiffPaneModel model = new InlineDiffBuilder(new Differ()).BuildDiffModel(verified, received, ignoreWhitespace: false);
        List<DiffPiece> lines = model.Lines;
        var show = new bool[lines.Count];
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Type == ChangeType.Unchanged) continue;
            for (int j = Math.Max(0, i - ContextLines); j <= Math.Min(lines.Count - 1, i + ContextLines); j++) show[j] = true;
        }

        var text = new StringBuilder();
        int written = 0;
        bool gap = false;
        for (int i = 0; i < lines.Count && written < MaxDiffLines; i++)
        {
            if (!show[i])
            {
                gap = true;
                continue;
            }
            if (gap && written > 0) text.AppendLine("   ...");
            gap = false;
            string mark = lines[i].Type switch
            {
                ChangeType.Inserted => "+ ",
                ChangeType.Deleted => "- ",
                _ => "  ",
            };
            text.Append(mark).AppendLine(lines[i].Text);
            written++;
        }
        if (written == MaxDiffLines) text.AppendLine($"   ... (diff cut at {MaxDiffLines} lines)");
        return text.ToString();
    }
}
