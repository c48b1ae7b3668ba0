using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Generators.Tests;

/// <summary>
/// Thousands of random declarations, from a fixed seed: layer sequences of every kind with sizes that chain or do
/// not (0, negative, huge), every named option in and out of range, missing, duplicate and half-typed attribute
/// arguments, wrong property types and modifiers, classes, records, structs, static, generic, file-local and nested
/// types, block and file-scoped namespaces. For every one the generator must not throw (no CS8785); every UNR
/// diagnostic must point into the user's file, inside the declaration it is about; and the generated code must add
/// no compiler error: every error of the output compilation was already an error of the user's code without the
/// generator's parts (which is what an accepted declaration compiling means when the user's code is valid).
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Compilations = 250;
    private const int ModelsPerCompilation = 10;

    [Fact]
    public void Random_declarations_never_crash_the_generator_and_are_compiled_or_explained()
    {
        var random = new Random(20261126);
        var clock = Stopwatch.StartNew();
        int accepted = 0, rejected = 0, userErrors = 0;
        var ids = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < Compilations; c++)
        {
            var (source, names) = CompilationUnit(random, c);
            GeneratorRun run = GeneratorHarness.Run(source, implicitUsings: true);
            string context = $"compilation {c}:\n{source}";
            Assert.True(run.Result.Exception is null, $"The generator threw: {run.Result.Exception}\n{context}");
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "CS8785");

            SyntaxTree user = run.Input.SyntaxTrees.First(t => t.FilePath == GeneratorHarness.UserFilePath);
            var declarations = user.GetRoot().DescendantNodes().OfType<TypeDeclarationSyntax>().ToList();
            foreach (Diagnostic d in run.GeneratorDiagnostics)
            {
                Assert.StartsWith("UNR", d.Id);
                Assert.True(d.Location.SourceTree == user, $"{d} does not point into the user's file\n{context}");
                Assert.True(declarations.Any(t => t.FullSpan.Contains(d.Location.SourceSpan)), $"{d} points outside every type declaration\n{context}");
                ids[d.Id] = ids.GetValueOrDefault(d.Id) + 1;
            }

            // No error the user's code did not already have (by id, line and column), and none in generated files.
            var before = run.Input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(Key).ToHashSet();
            var after = run.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var added = after.Where(d => d.Location.SourceTree != user && d.Location.SourceTree is not null || !before.Contains(Key(d))).ToList();
            Assert.True(added.Count == 0, $"The generated code adds errors:\n{string.Join("\n", added.Take(5))}\n{context}");

            foreach (string name in names)
            {
                bool generated = run.Result.GeneratedSources.Any(s => s.HintName.EndsWith("." + name + ".g.cs", StringComparison.Ordinal) || s.HintName == name + ".g.cs");
                if (generated) accepted++;
                else rejected++;
            }
            if (before.Count > 0) userErrors++;
        }
        output.WriteLine($"{Compilations * ModelsPerCompilation} declarations in {clock.Elapsed.TotalSeconds:F1} s: {accepted} compiled, {rejected} rejected or not models; {userErrors} compilations with errors of their own");
        output.WriteLine(string.Join(", ", ids.Select(p => $"{p.Key} ×{p.Value}")));
        // The generator saw both kinds, and the rejections cover most of the descriptors.
        Assert.InRange(accepted, Compilations * ModelsPerCompilation / 10, Compilations * ModelsPerCompilation);
        Assert.True(ids.Count >= 15, "only " + string.Join(", ", ids.Keys));
    }

    private static string Key(Diagnostic d) => $"{d.Id}@{d.Location.GetLineSpan().StartLinePosition}";

    // ---- Random declarations ----

    private static readonly string[] Kinds = { "Embedding", "Linear", "Rnn", "Lstm", "Gru", "Dropout", "LayerNorm", "SelfAttention", "AttentionDecoder" };

    private static readonly string[] OddSizes = { "0", "-3", "1", "100000", "int.MaxValue", "int.MinValue", "1 << 20", "Sizes.Width" };

    /// <summary>A file with <see cref="ModelsPerCompilation"/> random declarations; returns it and the model names.</summary>
    private static (string Source, List<string> Names) CompilationUnit(Random random, int index)
    {
        var text = new StringBuilder("using Unroll;\n");
        bool fileScoped = random.Next(3) == 0;
        if (fileScoped) text.Append($"namespace Fuzz{index};\n");
        else if (random.Next(2) == 0) text.Append($"namespace Fuzz{index}.Block\n{{\n");
        text.Append("static class Sizes { public const int Width = 8; }\n");
        var names = new List<string>();
        for (int m = 0; m < ModelsPerCompilation; m++)
        {
            string name = $"M{m}";
            names.Add(name);
            text.Append(Model(random, name));
        }
        if (!fileScoped && text.ToString().Contains("namespace Fuzz" + index + ".Block", StringComparison.Ordinal)) text.Append("}\n");
        return (text.ToString(), names);
    }

    private static string Pick(Random random, params string[] options) => options[random.Next(options.Length)];

    /// <summary>
    /// One declaration. Two in five are "clean": no mutation of the C# (sizes chain, types and modifiers are right),
    /// so that many compile, while their random layer sequences and options still break the semantic rules at times.
    /// </summary>
    private static string Model(Random random, string name)
    {
        bool clean = random.Next(5) < 2;
        int Mutate(int oneIn) => clean ? 1 : random.Next(oneIn); // 0: mutate
        var text = new StringBuilder();
        // The enclosing type, sometimes.
        string? outer = (clean ? 4 + random.Next(4) : random.Next(8)) switch
        {
            0 => $"public partial class Outer{name}",
            1 => $"public class Outer{name}",
            2 => $"public partial struct Outer{name}",
            3 => $"public static partial class Outer{name}",
            _ => null,
        };
        if (outer is not null) text.Append(outer).Append("\n{\n");

        // The attribute, with random arguments.
        var arguments = new List<string>();
        int sequence = Mutate(10) == 0 ? -1 : random.Next(1, 40);
        if (Mutate(12) != 0) arguments.Add("SequenceLength = " + (Mutate(10) == 0 ? Pick(random, OddSizes) : sequence.ToString()));
        if (random.Next(3) == 0) arguments.Add("BatchSize = " + (Mutate(6) == 0 ? Pick(random, OddSizes) : random.Next(1, 6).ToString()));
        if (random.Next(5) == 0) arguments.Add("InferenceOnly = " + Pick(random, "true", "false"));
        if (Mutate(15) == 0) arguments.Add("Weights = " + Pick(random, "\"w.safetensors\"", "\"\"", "null"));
        if (Mutate(20) == 0) arguments.Add(Pick(random, "SequenceLength = ", "SequenceLength = \"5\"", "SequenceLength = 1.5", "Unknown = 3", "BatchSize"));
        bool decoderModel = random.Next(6) == 0;
        if (decoderModel || Mutate(20) == 0) arguments.Add("TargetLength = " + (Mutate(8) == 0 ? Pick(random, OddSizes) : random.Next(1, 8).ToString()));
        string attribute = Mutate(25) == 0 ? "" : $"[Model({string.Join(", ", arguments)})]";
        if (Mutate(30) == 0) attribute += "[Model(SequenceLength = 3)]";
        text.Append(attribute).Append('\n');

        string typeKind = (clean ? 6 + random.Next(8) : random.Next(14)) switch
        {
            0 => "class",
            1 => "partial record",
            2 => "partial struct",
            3 => "static partial class",
            4 => "partial class",
            5 => "file partial class",
            6 => "sealed partial class",
            7 => "internal partial class",
            _ => "public partial class",
        };
        string generic = Mutate(20) == 0 ? "<T>" : "";
        text.Append($"{typeKind} {name}{generic}\n{{\n");

        // The layers: mostly chained, sometimes not.
        int count = Mutate(12) == 0 ? 0 : random.Next(1, 6);
        int width = random.Next(1, 9);
        bool tokens = random.Next(3) == 0;
        for (int l = 0; l < count; l++)
        {
            string kind = l == 0 && tokens ? "Embedding"
                : decoderModel && l == count - 1 ? "AttentionDecoder"
                : Pick(random, Kinds);
            var (attributeText, next) = Layer(random, kind, width, clean);
            width = next;
            string type = Mutate(25) == 0 ? Pick(random, "LinearLayer", "int", "LstmLayer") : kind + "Layer";
            string accessors = Mutate(25) == 0 ? Pick(random, "{ get; set; }", "{ get => default; }", "{ set; }") : "{ get; }";
            string modifiers = Mutate(25) == 0 ? Pick(random, "public", "public static partial", "private partial", "public virtual partial", "internal partial") : "public partial";
            string property = Mutate(40) == 0 ? Pick(random, "Parameters", "Forward", "Layout", "Step") : $"L{l}";
            if (Mutate(40) == 0) attributeText += Pick(random, "[Dropout(0.1)]", "[Linear(2, 2)]");
            if (Mutate(40) == 0) attributeText = "";
            text.Append($"    {attributeText} {modifiers} {type} {property} {accessors}\n");
        }
        text.Append("}\n");
        if (outer is not null) text.Append("}\n");
        return text.ToString();
    }

    /// <summary>A layer attribute for <paramref name="kind"/> reading <paramref name="width"/> features, and the width it produces.</summary>
    private static (string Attribute, int Next) Layer(Random random, string kind, int width, bool clean)
    {
        bool odd = !clean && random.Next(8) == 0;
        string input = odd ? Pick(random, OddSizes) : !clean && random.Next(6) == 0 ? random.Next(1, 9).ToString() : width.ToString();
        int outWidth = random.Next(1, 9);
        string output = !clean && random.Next(10) == 0 ? Pick(random, OddSizes) : outWidth.ToString();
        var options = new List<string>();
        void Maybe(int oneIn, string option)
        {
            if (random.Next(oneIn) == 0) options.Add(option);
        }
        switch (kind)
        {
            case "Embedding":
                return ($"[Embedding({Pick(random, "5", "30", input)}, {output})]", outWidth);
            case "Linear":
                Maybe(4, "Bias = " + Pick(random, "true", "false"));
                return ($"[Linear({input}, {output}{Options(options)})]", outWidth);
            case "Rnn" or "Lstm" or "Gru":
                Maybe(3, "NumLayers = " + Pick(random, "1", "2", "3", "0", "-1", "100"));
                bool bidirectional = random.Next(4) == 0;
                if (bidirectional) options.Add("Bidirectional = true");
                Maybe(5, "ReturnSequences = " + Pick(random, "true", "false"));
                Maybe(6, "Dropout = " + Pick(random, "0.2", "0", "1", "-0.5", "2"));
                if (kind == "Rnn") Maybe(4, "Nonlinearity = " + Pick(random, "Nonlinearity.Relu", "Nonlinearity.Tanh", "(Nonlinearity)7"));
                return ($"[{kind}({input}, {output}{Options(options)})]", (bidirectional ? 2 : 1) * outWidth);
            case "Dropout":
                return ($"[Dropout({Pick(random, "0.1", "0.5", "0", "1", "-1", "1.5")})]", width);
            case "LayerNorm":
                return ($"[LayerNorm({input})]", width);
            case "SelfAttention":
                Maybe(2, "NumHeads = " + Pick(random, "1", "2", "3", "0", "-2", width.ToString()));
                Maybe(3, "Causal = " + Pick(random, "true", "false"));
                Maybe(3, "Residual = " + Pick(random, "true", "false"));
                return ($"[SelfAttention({input}{Options(options)})]", width);
            default: // AttentionDecoder(input, hidden, output): the hidden size must match the encoder's final state
                Maybe(3, "Vocabulary = " + Pick(random, "5", "0", "-1", "12"));
                Maybe(3, "Attention = " + Pick(random, "AttentionScore.Dot", "AttentionScore.General", "AttentionScore.Additive", "(AttentionScore)9"));
                Maybe(4, "AttentionSize = " + Pick(random, "4", "0", "-4", "16"));
                Maybe(4, "Cell = " + Pick(random, "DecoderCell.Gru", "DecoderCell.Lstm", "(DecoderCell)5"));
                return ($"[AttentionDecoder({Pick(random, "2", "3", input)}, {Pick(random, width.ToString(), width.ToString(), output)}, {output}{Options(options)})]", outWidth);
        }
    }

    private static string Options(List<string> options) => options.Count == 0 ? "" : ", " + string.Join(", ", options);
}
