using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// As dotnet/runtime's RegexGeneratorParserTests: the generator sees every half-typed state of a
/// declaration while the user types it, so it is fed every prefix of a full one and must never throw
/// (a throw surfaces as CS8785 and drops all of the generator's output).
/// </summary>
public sealed class PrefixSweepTests
{
    /// <summary>Every layer kind, every named argument, a namespace and a nested model.</summary>
    private const string Declaration = """
        using Unroll;

        namespace Acme.Models
        {
            public partial class Zoo
            {
                [Model(SequenceLength = 32, BatchSize = 4)]
                public partial class Tagger
                {
                    [Embedding(100, 16)] public partial EmbeddingLayer Embed { get; }
                    [Rnn(16, 16, Nonlinearity = Nonlinearity.Relu)] public partial RnnLayer Rnn { get; }
                    [Lstm(16, 24, NumLayers = 2, Bidirectional = true)] internal partial LstmLayer Encoder { get; }
                    [Gru(48, 8, ReturnSequences = false)] public partial GruLayer Pooled { get; }
                    [Linear(8, 3, Bias = false)] public partial LinearLayer Head { get; }
                }
            }
        }
        """;

    [Fact]
    public void FullDeclaration_Compiles()
    {
        GeneratorRun run = GeneratorHarness.Run(Declaration, implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal("Acme.Models.Zoo.Tagger.g.cs", Assert.Single(run.Sources.Keys));
        Assert.True(run.OutputErrors.Count == 0, string.Join("\n", run.OutputErrors));
    }

    [Fact]
    public void EveryPrefix_NeverThrows()
    {
        var stopwatch = Stopwatch.StartNew();
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation("");
        SyntaxTree previous = compilation.SyntaxTrees.Single();
        GeneratorDriver driver = GeneratorHarness.CreateDriver();
        var failures = new List<string>();
        int generated = 0;

        // One driver for the whole sweep, as in an editor: each prefix replaces the tree.
        for (int length = 0; length <= Declaration.Length; length++)
        {
            string prefix = Declaration.Substring(0, length);
            SyntaxTree tree = GeneratorHarness.ParseTree(prefix);
            compilation = compilation.ReplaceSyntaxTree(previous, tree);
            previous = tree;

            driver = driver.RunGenerators(compilation);
            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            if (result.Exception is not null)
            {
                failures.Add($"prefix of {length} chars: {result.Exception.GetType().Name}: {result.Exception.Message}\n---\n{prefix}\n---");
                continue;
            }
            Diagnostic? crash = result.Diagnostics.FirstOrDefault(d => d.Id == "CS8785");
            if (crash is not null) failures.Add($"prefix of {length} chars: {crash}");

            // Whatever it emits must at least be well-formed C#.
            foreach (GeneratedSourceResult source in result.GeneratedSources)
            {
                generated++;
                var errors = source.SyntaxTree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                if (errors.Count > 0) failures.Add($"prefix of {length} chars: {source.HintName} does not parse: {errors[0]}");
            }
            if (failures.Count >= 5) break;
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(generated > 0, "No prefix generated anything: the sweep did not reach a complete declaration.");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"The sweep took {stopwatch.Elapsed}.");
    }
}
