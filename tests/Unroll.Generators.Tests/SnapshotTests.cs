using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Unroll.Generators.Emitting;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The emitted code of representative models, compared in full with <c>Snapshots/*.verified.cs</c>
/// (so any change to formatting or readability shows up in review), and compiled.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void CharLm() => Verify(Models.CharLm, "CharLm.g.cs", nameof(CharLm));

    [Fact]
    public void BidirectionalGruClassifier() => Verify(Models.BidirectionalGruClassifier, "Sentiment.Classifier.g.cs", nameof(BidirectionalGruClassifier));

    [Fact]
    public void ReluRnnRegressor() => Verify(Models.ReluRnnRegressor, "Signals.Denoiser.g.cs", nameof(ReluRnnRegressor));

    [Fact]
    public void NestedInternalTagger() => Verify(Models.NestedInternalTagger, "Company.Product.Nlp.Catalog.Tagger.g.cs", nameof(NestedInternalTagger));

    [Fact]
    public void StackedBidirectionalLstm() => Verify(Models.StackedBidirectionalLstm, "Speech.FrameTagger.g.cs", nameof(StackedBidirectionalLstm));

    [Fact]
    public void CausalTransformerBlock() => Verify(Models.CausalTransformerBlock, "Text.TinyGpt.g.cs", nameof(CausalTransformerBlock));

    [Fact]
    public void DateTranslator() => Verify(Models.DateTranslator, "Dates.Translator.g.cs", nameof(DateTranslator));

    [Fact]
    public void GruDotSeq2Seq() => Verify(Models.GruDotSeq2Seq, "Signals.Forecaster.g.cs", nameof(GruDotSeq2Seq));

    [Fact]
    public void InferenceOnlyDateTranslator() => Verify(Models.InferenceOnlyDateTranslator, "Dates.Translator.g.cs", nameof(InferenceOnlyDateTranslator));

    [Fact]
    public void ConvWakeWord() => Verify(Models.ConvWakeWord, "Audio.WakeWord.g.cs", nameof(ConvWakeWord));

    [Fact]
    public void PooledClassifier() => Verify(Models.PooledClassifier, "Audio.PooledClassifier.g.cs", nameof(PooledClassifier));

    [Fact]
    public void InferenceOnlyKeywordSpotter() => Verify(Models.InferenceOnlyKeywordSpotter, "Audio.KeywordSpotter.g.cs", nameof(InferenceOnlyKeywordSpotter));

    [Fact]
    public void FrozenEmbeddingClassifier() => Verify(Models.FrozenEmbeddingClassifier, "Text.SentenceClassifier.g.cs", nameof(FrozenEmbeddingClassifier));

    [Fact]
    public void TransformerBlock() => Verify(Models.TransformerBlock, "Text.TinyTransformer.g.cs", nameof(TransformerBlock));

    [Fact]
    public void TransformerTranslator() => Verify(Models.TransformerTranslator, "Dates.TransformerTranslator.g.cs", nameof(TransformerTranslator));

    [Fact]
    public void PositionalTagger() => Verify(Models.PositionalTagger, "Text.PositionalTagger.g.cs", nameof(PositionalTagger));

    [Fact]
    public void LearnedPositions() => Verify(Models.LearnedPositions, "Text.PositionTagger.g.cs", nameof(LearnedPositions));

    [Fact]
    public void Int8Denoiser() => Verify(Models.Int8Denoiser, "Audio.Denoiser.g.cs", nameof(Int8Denoiser));

    /// <summary>
    /// A declaration with errors gets only stand-ins for its partial layer properties and constructors (so that its UNR
    /// diagnostics are the build's only errors): their code, compiled without errors.
    /// </summary>
    [Fact]
    public void StandInsForADeclarationWithErrors()
    {
        GeneratorRun run = GeneratorHarness.Run(DiagnosticTests.SeveralIndependentErrors, implicitUsings: true).AssertNoException();
        Assert.NotEmpty(run.GeneratorDiagnostics);
        Assert.Equal("Sensors.Forecaster.g.cs", Assert.Single(run.Sources.Keys));
        Assert.True(run.OutputErrors.Count == 0, "The output compilation has errors:\n" + string.Join("\n", run.OutputErrors));
        Snapshot.Match(nameof(StandInsForADeclarationWithErrors), run.SingleSource);
    }

    /// <summary>
    /// The generated code reads as written by hand: no <c>Layout</c> region of length 0 (a model lists only what it
    /// uses), no <c>+ 0</c> offsets, and one step's buffers described without a time axis.
    /// </summary>
    [Fact]
    public void GeneratedCode_lists_no_empty_regions_zero_offsets_or_time_axes_of_one_step()
    {
        foreach (string source in new[] { Models.CharLm, Models.BidirectionalGruClassifier, Models.ReluRnnRegressor, Models.NestedInternalTagger, Models.StackedBidirectionalLstm, Models.CausalTransformerBlock, Models.DateTranslator, Models.GruDotSeq2Seq, Models.InferenceOnlyKeywordSpotter, Models.Int8Denoiser, Models.ConvWakeWord, Models.PositionalTagger, Models.LearnedPositions, Models.TransformerBlock, Models.FrozenEmbeddingClassifier, Models.TransformerTranslator })
        {
            string code = GeneratorHarness.Run(source).SingleSource;
            Assert.DoesNotMatch(@"public const int \w+ = \d+; // 0:", code);
            Assert.DoesNotMatch(@"\+ 0\b", code);
            Assert.DoesNotMatch(@"public const int Step_\w+ = \d+; // [\d,]+: .*\[(time, batch|batch, time)", code);
        }
    }

    /// <summary>No emitted line is wider than 160 characters (the compiled-in weights' literals, in their own file, may be).</summary>
    [Fact]
    public void GeneratedCode_keeps_its_lines_within_160_characters()
    {
        foreach (string source in new[] { Models.CharLm, Models.BidirectionalGruClassifier, Models.ReluRnnRegressor, Models.NestedInternalTagger, Models.StackedBidirectionalLstm, Models.CausalTransformerBlock, Models.DateTranslator, Models.GruDotSeq2Seq, Models.InferenceOnlyKeywordSpotter, Models.Int8Denoiser, Models.ConvWakeWord, Models.PositionalTagger, Models.LearnedPositions, Models.TransformerBlock, Models.FrozenEmbeddingClassifier, Models.TransformerTranslator, DiagnosticTests.SeveralIndependentErrors })
        {
            foreach (string line in GeneratorHarness.Run(source).SingleSource.Split('\n'))
                Assert.True(line.Length <= Emitting.SourceWriter.MaxWidth, $"{line.Length} characters: {line}");
        }
    }

    /// <summary>The generated code's <c>[GeneratedCode]</c> names the package's version, which the runtime assembly carries too.</summary>
    [Fact]
    public void GeneratedCode_names_the_package_version()
    {
        Version runtime = typeof(Unroll.ModelAttribute).Assembly.GetName().Version!;
        Assert.Equal($"{runtime.Major}.{runtime.Minor}.{runtime.Build}", Emitter.GeneratorVersion);
        Assert.NotEqual("0.0.0", Emitter.GeneratorVersion);
        Assert.Contains($"GeneratedCode(\"Unroll.Generators\", \"{Emitter.GeneratorVersion}\")", GeneratorHarness.Run(Models.CharLm).SingleSource, StringComparison.Ordinal);
    }

    /// <summary>
    /// The generated code must not depend on the user's usings (it writes <c>global::</c> names), so it
    /// compiles in a project without implicit usings too.
    /// </summary>
    [Fact]
    public void GeneratedCode_CompilesWithoutImplicitUsings()
    {
        var failures = new List<string>();
        foreach (string source in new[] { Models.CharLm, Models.BidirectionalGruClassifier, Models.ReluRnnRegressor, Models.NestedInternalTagger, Models.StackedBidirectionalLstm, Models.DateTranslator, Models.GruDotSeq2Seq, Models.InferenceOnlyKeywordSpotter, Models.Int8Denoiser, Models.ConvWakeWord, Models.PositionalTagger, Models.LearnedPositions, Models.TransformerBlock, Models.FrozenEmbeddingClassifier, Models.TransformerTranslator })
        {
            GeneratorRun run = GeneratorHarness.Run(source, implicitUsings: false).AssertNoException();
            failures.AddRange(run.OutputErrors);
        }
        Assert.True(failures.Count == 0, "The generated code needs the user's usings:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// With documentation comments checked (as <c>GenerateDocumentationFile</c> does), every publicly visible
    /// generated member has one and each is well formed: no CS15xx warning in the generated code.
    /// </summary>
    [Fact]
    public void GeneratedMembers_CarryWellFormedXmlDocumentation()
    {
        CSharpParseOptions options = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var failures = new List<string>();
        foreach (string source in new[] { Models.CharLm, Models.BidirectionalGruClassifier, Models.ReluRnnRegressor, Models.StackedBidirectionalLstm, Models.CausalTransformerBlock, Models.DateTranslator, Models.GruDotSeq2Seq, Models.InferenceOnlyKeywordSpotter, Models.Int8Denoiser, Models.ConvWakeWord, Models.PositionalTagger, Models.LearnedPositions, Models.TransformerBlock, Models.FrozenEmbeddingClassifier, Models.TransformerTranslator })
        {
            // A public type without a comment beside the model, which must be reported: the check is on.
            SyntaxTree probe = CSharpSyntaxTree.ParseText("public class Undocumented { }", options, "/src/Probe.cs");
            var compilation = CSharpCompilation.Create("UserAssembly", new[] { CSharpSyntaxTree.ParseText(source, options, GeneratorHarness.UserFilePath), probe },
                GeneratorHarness.References, GeneratorHarness.CompilationOptions);
            CSharpGeneratorDriver.Create(new[] { new UnrollGenerator().AsSourceGenerator() }, parseOptions: options)
                .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
            var generated = output.SyntaxTrees.Except(compilation.SyntaxTrees).ToHashSet();
            Assert.NotEmpty(generated);
            // The documentation compiler runs when a documentation file is written, as with GenerateDocumentationFile.
            using var assembly = new MemoryStream();
            using var documentation = new MemoryStream();
            var diagnostics = output.Emit(assembly, xmlDocumentationStream: documentation).Diagnostics;
            Assert.Contains(diagnostics, d => d.Id == "CS1591" && d.Location.SourceTree == probe);
            failures.AddRange(diagnostics
                .Where(d => d.Id.StartsWith("CS15", StringComparison.Ordinal) && d.Location.SourceTree is { } tree && generated.Contains(tree))
                .Select(d => d.ToString()));
        }
        Assert.True(failures.Count == 0, "Generated members without (or with broken) documentation:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// One file with the expected hint name, no generator diagnostics, an output compilation with no
    /// errors and no warnings in the generated code, then the snapshot. The user's project is a
    /// default one (implicit usings on); <see cref="GeneratedCode_CompilesWithoutImplicitUsings"/> covers the other case.
    /// </summary>
    private static void Verify(string source, string hintName, string snapshot)
    {
        GeneratorRun run = GeneratorHarness.Run(source, implicitUsings: true).AssertNoException();
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(hintName, Assert.Single(run.Sources.Keys));
        Assert.True(run.OutputErrors.Count == 0, "The output compilation has errors:\n" + string.Join("\n", run.OutputErrors));
        Assert.True(run.GeneratedCodeDiagnostics.Count(d => d.Severity >= DiagnosticSeverity.Warning) == 0,
            "The generated code has warnings:\n" + string.Join("\n", run.GeneratedCodeDiagnostics));
        Snapshot.Match(snapshot, run.SingleSource);
    }
}
