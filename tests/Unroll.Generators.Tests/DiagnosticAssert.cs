using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>Runs a declaration and checks the one Unroll diagnostic it should produce: id, location, message.</summary>
public static class DiagnosticAssert
{
    /// <summary>
    /// Runs the generator over <paramref name="source"/> and returns its only diagnostic, which must
    /// have <paramref name="id"/>, point into the user's file at the single occurrence of
    /// <paramref name="spanText"/>, and contain each of <paramref name="messageParts"/>. A declaration with an error is
    /// not compiled, and the build shows no compiler error besides (see <see cref="AssertNoCompilerErrorsAdded"/>).
    /// </summary>
    public static Diagnostic Single(string source, string id, string spanText, params string[] messageParts)
    {
        GeneratorRun run = GeneratorHarness.Run(source).AssertNoException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        AssertLocation(source, diagnostic, spanText);
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string part in messageParts) Assert.Contains(part, message);
        AssertNoCompilerErrorsAdded(run, id);
        return diagnostic;
    }

    /// <summary>
    /// A declaration with errors gets no compiled model, only stand-ins for the partial members it declared: the output
    /// compilation shows no error that the user's code alone does not (the generated part adds none), and no missing
    /// implementation of a partial property (CS9248) — except where no part can be added (UNR0001: the class is not
    /// partial; UNR0012: it cannot be a model), which the compiler reports itself.
    /// </summary>
    public static void AssertNoCompilerErrorsAdded(GeneratorRun run, string id)
    {
        Assert.All(run.Result.GeneratedSources, s => Assert.Contains("Unroll has not compiled", s.SourceText.ToString(), StringComparison.Ordinal));
        var before = run.Input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToHashSet();
        var added = run.OutputErrors.Where(e => !before.Contains(e)).ToList();
        Assert.True(added.Count == 0, "The generated code adds errors: " + string.Join(Environment.NewLine, added));
        if (id is not ("UNR0001" or "UNR0012"))
        {
            Assert.DoesNotContain(run.OutputDiagnostics, d => d.Id == "CS9248");
        }
    }

    /// <summary>The diagnostic points into the user's file, at the only occurrence of <paramref name="spanText"/>.</summary>
    public static void AssertLocation(string source, Diagnostic diagnostic, string spanText)
    {
        int start = source.IndexOf(spanText, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{spanText}' is not in the source.");
        Assert.True(source.IndexOf(spanText, start + 1, StringComparison.Ordinal) < 0, $"'{spanText}' occurs more than once in the source; pick a unique span.");

        FileLinePositionSpan lines = diagnostic.Location.GetLineSpan();
        Assert.Equal(GeneratorHarness.UserFilePath, lines.Path);
        var span = diagnostic.Location.SourceSpan;
        Assert.True(span.End <= source.Length, $"The span {span} lies outside the source.");
        Assert.Equal(spanText, source.Substring(span.Start, span.Length));
        Assert.Equal(start, span.Start);

        // The line/column span agrees with the text span.
        string before = source.Substring(0, span.Start);
        int line = before.Count(c => c == '\n');
        int column = span.Start - (before.LastIndexOf('\n') + 1);
        Assert.Equal(new Microsoft.CodeAnalysis.Text.LinePosition(line, column), lines.StartLinePosition);
    }
}

/// <summary>Paths in the repository, found from this source file (tests run from bin/, the files live in the tree).</summary>
public static class RepositoryPaths
{
    public static string Root => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", ".."));

    public static string DiagnosticDocs => Path.Combine(Root, "generators", "Unroll.Generators", "Diagnostics", "docs");

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
