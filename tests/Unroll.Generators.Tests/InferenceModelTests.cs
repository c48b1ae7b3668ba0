using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// <c>[InferenceModel(typeof(Trained))]</c>: a class that takes a trained model's layers without repeating them, compiled for
/// inference only, with its own sizes and compiled-in weights; every way the declaration can be wrong is UNR0030.
/// </summary>
public sealed class InferenceModelTests
{
    private const string Trained = """
        using Unroll;

        namespace Shop;

        [Model(SequenceLength = 12, BatchSize = 8)]
        public partial class Sentiment
        {
            [Embedding(50, 8)] public partial EmbeddingLayer Embed { get; }
            [Gru(8, 16)] public partial GruLayer Rnn { get; }
            [Dropout(0.25f)] internal partial DropoutLayer Drop { get; }
            [Linear(16, 3)] public partial LinearLayer Head { get; }
        }
        """;

    private const string Deployed = """
        using Unroll;

        namespace Shop.Edge;

        /// <summary>The sentiment model on the device: one sentence at a time.</summary>
        [InferenceModel(typeof(Shop.Sentiment), BatchSize = 1)]
        public partial class SentimentOnDevice;
        """;

    private static GeneratorRun RunBoth(string deployed = Deployed, string trained = Trained) =>
        GeneratorHarness.Run(GeneratorHarness.CreateCompilation(new[] { (trained, "/src/Sentiment.cs"), (deployed, GeneratorHarness.UserFilePath) }))
            .AssertNoException();

    [Fact]
    public void Takes_the_trained_models_layers_for_inference_only_with_its_own_batch_and_snapshot_matches()
    {
        GeneratorRun run = RunBoth();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.OutputErrors);
        string source = run.Sources["Shop.Edge.SentimentOnDevice.g.cs"];
        Snapshot.Match("InferenceModelSentimentOnDevice", source);

        // The same parameters as the trained model's, in the same layout; inference only, one row.
        string trained = run.Sources["Shop.Sentiment.g.cs"];
        string Constant(string text, string name) =>
            System.Text.RegularExpressions.Regex.Match(text, $@"public const int {name} = (\d+);").Groups[1].Value;
        Assert.Equal(Constant(trained, "ParameterCount"), Constant(source, "ParameterCount"));
        Assert.Equal("1", Constant(source, "BatchSize"));
        Assert.Equal("12", Constant(source, "SequenceLength"));
        Assert.Contains("IInferenceModel<int>", source);
        Assert.DoesNotContain("void Backward(", source);
        // The layer properties are declared here, with the trained model's modifiers.
        Assert.Contains("public global::Unroll.GruLayer Rnn { get =>", source);
        Assert.Contains("internal global::Unroll.DropoutLayer Drop { get =>", source);
    }

    [Fact]
    public void A_nested_inference_model_in_another_file_compiles()
    {
        const string nested = """
            using Unroll;

            namespace Shop.Edge;

            public static partial class Deployments
            {
                [InferenceModel(typeof(Shop.Sentiment), SequenceLength = 6, BatchSize = 2)]
                internal partial class Small;
            }
            """;
        GeneratorRun run = RunBoth(nested);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.OutputErrors);
        Assert.Contains("public const int SequenceLength = 6;", run.Sources["Shop.Edge.Deployments.Small.g.cs"]);
    }

    [Fact]
    public void The_trained_models_errors_are_reported_once_at_it_and_the_inference_model_adds_none()
    {
        string broken = Trained.Replace("[Linear(16, 3)]", "[Linear(10, 3)]");
        GeneratorRun run = RunBoth(trained: broken);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0004", diagnostic.Id);
        Assert.Equal("/src/Sentiment.cs", diagnostic.Location.GetLineSpan().Path);
        // Stand-ins only: the compiler adds nothing of its own.
        var before = run.Input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToHashSet();
        Assert.DoesNotContain(run.OutputErrors, e => !before.Contains(e));
    }

    [Fact]
    public void A_size_of_its_own_that_is_invalid_is_reported_at_the_inference_model()
    {
        GeneratorRun run = RunBoth(Deployed.Replace("BatchSize = 1", "BatchSize = -2"));
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0008", diagnostic.Id);
        Assert.Equal(GeneratorHarness.UserFilePath, diagnostic.Location.GetLineSpan().Path);
    }

    [Theory]
    [InlineData("""
        [InferenceModel(typeof(string))]
        public partial class Deployed;
        """, "Deployed", "[InferenceModel] on 'Deployed' names 'String', which is not a [Model] class: name the trained model whose layers this one takes")]
    [InlineData("""
        [InferenceModel(typeof(Shop.Sentiment))]
        public partial class Deployed
        {
            [Linear(3, 3)] public partial LinearLayer Extra { get; }
        }
        """, "Extra", "[InferenceModel] on 'Deployed' declares the layer 'Extra' itself: its layers are the trained model's ('Shop.Sentiment'); remove the property")]
    [InlineData("""
        [Model(SequenceLength = 4)]
        [InferenceModel(typeof(Shop.Sentiment))]
        public partial class Deployed
        {
            [Linear(3, 3)] public partial LinearLayer Head { get; }
        }
        """, "Deployed", "[InferenceModel] on 'Deployed' is beside [Model]: a class either declares its layers ([Model]) or takes a trained model's ([InferenceModel]); keep one")]
    public void A_wrong_declaration_is_UNR0030(string declaration, string spanText, string message)
    {
        string source = "using Unroll;\n\n" + declaration;
        GeneratorRun run = RunBoth(source);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0030", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        DiagnosticAssert.AssertLocation(source, diagnostic, spanText);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        var before = run.Input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToHashSet();
        Assert.DoesNotContain(run.OutputErrors, e => !before.Contains(e));
    }

    [Fact]
    public void A_model_of_another_assembly_is_UNR0030()
    {
        // The trained model compiled into a library the inference model's project references.
        GeneratorRun library = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(Trained)).AssertNoException();
        using var image = new MemoryStream();
        Assert.True(library.Output.Emit(image).Success);
        CSharpCompilation app = GeneratorHarness.CreateCompilation(Deployed)
            .AddReferences(MetadataReference.CreateFromImage(image.ToArray()));
        GeneratorRun run = GeneratorHarness.Run(app).AssertNoException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("UNR0030", diagnostic.Id);
        Assert.Contains("names 'Sentiment' of another assembly", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>An edit of the trained model, in its own file, reaches the inference model (the IDE's case: its file is untouched).</summary>
    [Fact]
    public void Editing_the_trained_model_in_another_file_regenerates_the_inference_model()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(new[] { (Trained, "/src/Sentiment.cs"), (Deployed, GeneratorHarness.UserFilePath) });
        GeneratorRun first = GeneratorHarness.Run(compilation).AssertNoException();
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "/src/Sentiment.cs");
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(old,
            GeneratorHarness.ParseTree(Trained.Replace("[Gru(8, 16)]", "[Gru(8, 24)]").Replace("[Linear(16, 3)]", "[Linear(24, 3)]"), "/src/Sentiment.cs"));
        GeneratorRun second = GeneratorHarness.Run(first.Driver, edited).AssertNoException();
        Assert.Empty(second.GeneratorDiagnostics);
        Assert.Contains("GRU(8 → 16)", first.Sources["Shop.Edge.SentimentOnDevice.g.cs"]);
        Assert.Contains("GRU(8 → 24)", second.Sources["Shop.Edge.SentimentOnDevice.g.cs"]);
    }

    /// <summary>An unrelated edit leaves the inference model's steps cached.</summary>
    [Fact]
    public void An_unrelated_edit_leaves_the_inference_model_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(new[] { (Trained, "/src/Sentiment.cs"), (Deployed, GeneratorHarness.UserFilePath) });
        GeneratorRun first = GeneratorHarness.Run(compilation).AssertNoException();
        GeneratorRun second = GeneratorHarness.Run(first.Driver, compilation.AddSyntaxTrees(GeneratorHarness.ParseTree("class Unrelated { }", "/src/Unrelated.cs")))
            .AssertNoException();
        foreach (string step in new[] { UnrollGenerator.Steps.ParseInferenceModel, UnrollGenerator.Steps.Plan, UnrollGenerator.Steps.Source })
        {
            ImmutableArray<IncrementalGeneratorRunStep> steps = second.Result.TrackedSteps[step];
            Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }
    }
}
