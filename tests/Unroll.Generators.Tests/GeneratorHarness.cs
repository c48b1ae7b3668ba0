using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Unroll.Generators;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// Runs <see cref="UnrollGenerator"/> over source text, as the compiler would: a compilation against
/// the shared framework and the Unroll runtime, a driver that tracks every incremental step.
/// </summary>
public static class GeneratorHarness
{
    /// <summary>The path given to the user's syntax tree (diagnostic locations point into it).</summary>
    public const string UserFilePath = "/src/Model.cs";

    /// <summary>Partial properties need C# 13; Preview also covers what later issues may use.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    public static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        allowUnsafe: true,
        deterministic: true);

    /// <summary>
    /// The shared framework (<c>Microsoft.NETCore.App</c>, from the host's trusted platform assemblies:
    /// Basic.Reference.Assemblies is not on the mirror) and the Unroll runtime. Built once: reading
    /// ~170 assemblies' metadata is most of the cost of a test compilation.
    /// </summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var references = trusted.Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                           && string.Equals(Path.GetDirectoryName(path), framework, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(Unroll.ModelAttribute).Assembly.Location));
        return references.ToImmutableArray();
    });

    /// <summary>The global usings the SDK adds to a project with <c>ImplicitUsings</c> enabled (the default for new projects).</summary>
    public const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    public const string ImplicitUsingsFilePath = "/obj/UserAssembly.GlobalUsings.g.cs";

    /// <param name="implicitUsings">Adds the SDK's implicit global usings in a second tree, as a default project has.</param>
    public static CSharpCompilation CreateCompilation(string source, bool implicitUsings = false) =>
        CreateCompilation(implicitUsings
            ? new[] { (source, UserFilePath), (ImplicitUsings, ImplicitUsingsFilePath) }
            : new[] { (source, UserFilePath) });

    public static CSharpCompilation CreateCompilation(IEnumerable<(string Source, string Path)> files) =>
        CSharpCompilation.Create(
            "UserAssembly",
            files.Select(f => ParseTree(f.Source, f.Path)),
            References,
            CompilationOptions);

    public static SyntaxTree ParseTree(string source, string path = UserFilePath) =>
        CSharpSyntaxTree.ParseText(SourceText.From(source, System.Text.Encoding.UTF8), ParseOptions, path);

    /// <summary>A fresh driver holding the generator; it tracks each step so tests can read the run reasons.</summary>
    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText>? additionalTexts = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new UnrollGenerator().AsSourceGenerator() },
            additionalTexts: additionalTexts,
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Compiles <paramref name="source"/> and runs the generator once.</summary>
    public static GeneratorRun Run(string source, bool implicitUsings = false) => Run(CreateCompilation(source, implicitUsings));

    public static GeneratorRun Run(Compilation compilation) => Run(CreateDriver(), compilation);

    /// <summary>Compiles <paramref name="source"/> with <paramref name="additionalFiles"/> as AdditionalFiles items and runs the generator once.</summary>
    public static GeneratorRun Run(string source, IEnumerable<string> additionalFiles) => Run(CreateDriver(additionalFiles.Select(path => new BinaryFile(path))), CreateCompilation(source));

    /// <summary>Runs <paramref name="driver"/> (fresh, or returned by an earlier run for incremental tests) over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        return new GeneratorRun(compilation, output, driver, result, generatorDiagnostics);
    }
}

/// <summary>What one generator run produced.</summary>
/// <param name="Input">The user's compilation.</param>
/// <param name="Output">The user's compilation plus the generated trees.</param>
/// <param name="Driver">The driver after the run (run it again for incremental tests).</param>
/// <param name="Result">The generator's own result: sources, diagnostics, exception, tracked steps.</param>
/// <param name="GeneratorDiagnostics">The diagnostics the driver reported (the generator's, and CS8785 if it threw).</param>
public sealed record GeneratorRun(
    Compilation Input,
    Compilation Output,
    GeneratorDriver Driver,
    GeneratorRunResult Result,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>The generated files, by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources =>
        Result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    /// <summary>The only generated file's text (fails when there is not exactly one).</summary>
    public string SingleSource => Assert.Single(Result.GeneratedSources).SourceText.ToString();

    /// <summary>Everything the compiler reports about the output compilation (user code plus generated code).</summary>
    public ImmutableArray<Diagnostic> OutputDiagnostics => Output.GetDiagnostics();

    /// <summary>Errors of the output compilation, formatted for an assertion message.</summary>
    public IReadOnlyList<string> OutputErrors =>
        OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();

    /// <summary>Diagnostics of the output compilation located in generated trees.</summary>
    public IReadOnlyList<Diagnostic> GeneratedCodeDiagnostics =>
        OutputDiagnostics.Where(d => d.Location.SourceTree is { } tree && !Input.SyntaxTrees.Contains(tree)).ToList();

    /// <summary>The output compilation as a loaded assembly (it binds to the Unroll runtime the tests use), to run a generated model.</summary>
    public System.Reflection.Assembly Load()
    {
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return System.Reflection.Assembly.Load(image.ToArray());
    }

    /// <summary>Fails unless the generator ran without throwing.</summary>
    public GeneratorRun AssertNoException()
    {
        Assert.True(Result.Exception is null, $"The generator threw: {Result.Exception}");
        Assert.DoesNotContain(GeneratorDiagnostics, d => d.Id == "CS8785");
        return this;
    }
}

/// <summary>
/// An AdditionalFiles item as the compiler hands it over, for a binary file: the generator must read it from
/// <see cref="Path"/>, because decoding it as text (which the compiler reports as an error for a binary file) loses bytes.
/// </summary>
public sealed class BinaryFile(string path) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"The generator decoded the binary file '{Path}' as text.");
}
