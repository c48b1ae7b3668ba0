using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;
using Xunit;
using Steps = Unroll.Generators.UnrollGenerator.Steps;

namespace Unroll.Generators.Tests;

/// <summary>
/// The pipeline caches: an edit that does not change a model re-emits nothing, an edit that does
/// re-emits, and the cached values hold nothing of the compilation (which would defeat the cache and
/// keep old compilations alive).
/// </summary>
public sealed class IncrementalTests
{
    private static readonly string[] AllSteps = { Steps.Parse, Steps.Plan, Steps.Source, Steps.Diagnostics };

    private const string OtherFilePath = "/src/Other.cs";

    private const string OtherFile = """
        namespace Acme;

        public static class Helpers
        {
            public static int Twice(int x) => 2 * x;
        }
        """;

    /// <summary>Runs the char-LM and an unrelated file once, then runs the same driver on <paramref name="edit"/> of that compilation.</summary>
    private static (GeneratorRun First, GeneratorRun Second) RunTwice(Func<CSharpCompilation, CSharpCompilation> edit, string model = Models.CharLm)
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(new[] { (model, GeneratorHarness.UserFilePath), (OtherFile, OtherFilePath) });
        GeneratorRun first = GeneratorHarness.Run(compilation).AssertNoException();
        GeneratorRun second = GeneratorHarness.Run(first.Driver, edit(compilation)).AssertNoException();
        return (first, second);
    }

    private static CSharpCompilation ReplaceText(CSharpCompilation compilation, string path, string text)
    {
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        return compilation.ReplaceSyntaxTree(old, GeneratorHarness.ParseTree(text, path));
    }

    /// <summary>The run reasons of every output of the named step.</summary>
    private static IncrementalStepRunReason[] Reasons(GeneratorRun run, string step)
    {
        Assert.True(run.Result.TrackedSteps.TryGetValue(step, out ImmutableArray<IncrementalGeneratorRunStep> steps), $"No tracked step '{step}'.");
        return steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
    }

    private static void AssertAllStepsCachedOrUnchanged(GeneratorRun run)
    {
        foreach (string step in AllSteps)
        {
            IncrementalStepRunReason[] reasons = Reasons(run, step);
            Assert.NotEmpty(reasons);
            Assert.True(reasons.All(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged),
                $"Step {step}: {string.Join(", ", reasons)}");
        }
    }

    [Fact]
    public void UnrelatedEdit_InAnotherFile_IsCached()
    {
        var (first, second) = RunTwice(c => ReplaceText(c, OtherFilePath, OtherFile + "\npublic class AddedLater { public int Value { get; set; } }\n"));
        AssertAllStepsCachedOrUnchanged(second);
        Assert.Equal(first.SingleSource, second.SingleSource);
    }

    [Fact]
    public void UnrelatedEdit_AnotherFileAdded_IsCached()
    {
        var (first, second) = RunTwice(c => c.AddSyntaxTrees(GeneratorHarness.ParseTree("class Unrelated { }", "/src/Unrelated.cs")));
        AssertAllStepsCachedOrUnchanged(second);
        Assert.Equal(first.SingleSource, second.SingleSource);
    }

    [Fact]
    public void UnrelatedEdit_InTheModelsFile_AfterTheModel_IsUnchanged()
    {
        var (first, second) = RunTwice(c => ReplaceText(c, GeneratorHarness.UserFilePath,
            Models.CharLm + "\n// a comment typed later\npublic class Vocabulary { public const string Letters = \"abc\"; }\n"));
        AssertAllStepsCachedOrUnchanged(second);
        Assert.Equal(first.SingleSource, second.SingleSource);
    }

    /// <summary>The same text in a brand-new compilation (as after a project reload) compares equal at every step.</summary>
    [Fact]
    public void SameText_NewCompilation_IsUnchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Models.CharLm);
        GeneratorRun first = GeneratorHarness.Run(compilation).AssertNoException();
        GeneratorRun second = GeneratorHarness.Run(first.Driver, GeneratorHarness.CreateCompilation(Models.CharLm)).AssertNoException();
        AssertAllStepsCachedOrUnchanged(second);
        Assert.Equal(first.SingleSource, second.SingleSource);
    }

    /// <summary>
    /// A comment above the model moves its locations: the parse result changes (it keeps where to report
    /// diagnostics), but the plan does not, so no source is emitted again.
    /// </summary>
    [Fact]
    public void EditAboveTheModel_MovesLocations_ButDoesNotReemitSource()
    {
        var (first, second) = RunTwice(c => ReplaceText(c, GeneratorHarness.UserFilePath, "// Character model, see DESIGN.md.\n" + Models.CharLm));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, Steps.Parse));
        Assert.All(Reasons(second, Steps.Source), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(second, Steps.Diagnostics), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.Equal(first.SingleSource, second.SingleSource);
    }

    [Fact]
    public void SizeChange_Regenerates()
    {
        string smaller = Models.CharLm
            .Replace("[Lstm(32, 128, NumLayers = 2)]", "[Lstm(32, 64, NumLayers = 2)] ")
            .Replace("[Linear(128, 65)]", "[Linear(64, 65)] ");
        Assert.NotEqual(Models.CharLm, smaller);

        var (first, second) = RunTwice(c => ReplaceText(c, GeneratorHarness.UserFilePath, smaller));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, Steps.Parse));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, Steps.Plan));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(second, Steps.Source));
        Assert.Empty(second.GeneratorDiagnostics);
        Assert.NotEqual(first.SingleSource, second.SingleSource);
        Assert.Contains("LSTM(32 → 128, 2 layers)", first.SingleSource);
        Assert.Contains("LSTM(32 → 64, 2 layers)", second.SingleSource);
    }

    /// <summary>A model that goes from one error to another changes only the diagnostics output; there is no source either way.</summary>
    [Fact]
    public void DiagnosticOnlyChange_DoesNotTouchSource()
    {
        string broken = Models.CharLm.Replace("[Linear(128, 65)]", "[Linear(100, 65)]");
        string brokenDifferently = Models.CharLm.Replace("[Linear(128, 65)]", "[Linear(120, 65)]");

        var (first, second) = RunTwice(c => ReplaceText(c, GeneratorHarness.UserFilePath, brokenDifferently), broken);
        Assert.Equal("UNR0004", Assert.Single(first.GeneratorDiagnostics).Id);
        Assert.Contains("expects 120", Assert.Single(second.GeneratorDiagnostics).GetMessage());
        Assert.All(Reasons(second, Steps.Source), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(second, Steps.Diagnostics));
        Assert.Contains("Unroll has not compiled", Assert.Single(second.Sources.Values)); // the stand-ins only
    }

    [Fact]
    public void FixingAnError_EmitsSource()
    {
        string broken = Models.CharLm.Replace("[Linear(128, 65)]", "[Linear(100, 65)]");
        var (first, second) = RunTwice(c => ReplaceText(c, GeneratorHarness.UserFilePath, Models.CharLm), broken);
        Assert.Contains("Unroll has not compiled", Assert.Single(first.Sources.Values)); // the stand-ins only
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(second, Steps.Source));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(second, Steps.Diagnostics));
        Assert.Empty(second.GeneratorDiagnostics);
        Assert.Equal("CharLm.g.cs", Assert.Single(second.Sources.Keys));
    }

    // ---- What the pipeline keeps ----

    /// <summary>Types that tie a value to one compilation. None may be reachable from a Parse or Plan output.</summary>
    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxNode), typeof(SyntaxTree),
        typeof(SyntaxToken), typeof(SyntaxTrivia), typeof(SyntaxReference), typeof(Location), typeof(AttributeData),
        typeof(TypedConstant), typeof(IOperation),
    };

    public static TheoryData<string> WalkedModels => new()
    {
        Models.CharLm,
        Models.BidirectionalGruClassifier,
        Models.NestedInternalTagger,
        Models.StackedBidirectionalLstm,
        Models.PositionalTagger,
        Models.LearnedPositions,
        // With diagnostics: DiagnosticInfo and LocationInfo in the outputs.
        Models.CharLm.Replace("[Linear(128, 65)]", "[Linear(100, 65)]"),
        Models.CharLm.Replace("public partial class CharLm", "public class CharLm"),
    };

    [Theory]
    [MemberData(nameof(WalkedModels))]
    public void ParseAndPlanOutputs_HoldNoCompilationObjects(string model)
    {
        GeneratorRun run = GeneratorHarness.Run(model).AssertNoException();
        var walker = new ObjectGraphWalker(Forbidden);
        foreach (string step in new[] { Steps.Parse, Steps.Plan })
        {
            ImmutableArray<IncrementalGeneratorRunStep> steps = run.Result.TrackedSteps[step];
            Assert.NotEmpty(steps);
            foreach (var (value, _) in steps.SelectMany(s => s.Outputs))
            {
                Assert.True(value is ParseResult or PlanResult, $"{step} produced {value?.GetType()}");
                walker.Walk(value, step);
            }
        }

        Assert.True(walker.Problems.Count == 0, string.Join("\n", walker.Problems));
        // The walk went all the way down (a broken walker would pass vacuously).
        Assert.Contains(typeof(ParseResult), walker.Seen);
        Assert.Contains(typeof(PlanResult), walker.Seen);
        Assert.True(walker.Seen.Any(t => t.IsSubclassOf(typeof(LayerSpec))) || walker.Seen.Contains(typeof(DiagnosticInfo)), "The walk did not reach the layers or the diagnostics.");
        Assert.Contains(typeof(LocationInfo), walker.Seen);
    }

    [Fact]
    public void ObjectGraphWalker_FindsASymbolHiddenInAnArray()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation("class C { }");
        var walker = new ObjectGraphWalker(Forbidden);
        walker.Walk(new { Items = ImmutableArray.Create<object>(1, new object[] { "x", compilation.GetTypeByMetadataName("C")! }) }, "test");
        Assert.Single(walker.Problems);
    }

    /// <summary>
    /// Walks every field (public or not, inherited too) of an object graph: records, structs such as
    /// <c>EquatableArray</c> and <c>ImmutableArray</c> (through their backing arrays), arrays, boxed values.
    /// </summary>
    private sealed class ObjectGraphWalker(Type[] forbidden)
    {
        private readonly HashSet<object> _visited = new(ReferenceEqualityComparer.Instance);

        public List<string> Problems { get; } = new();

        public HashSet<Type> Seen { get; } = new();

        public void Walk(object? value, string path)
        {
            if (value is null) return;
            Type type = value.GetType();
            Seen.Add(type);
            if (IsForbidden(type))
            {
                Problems.Add($"{path}: holds a {type.FullName}");
                return;
            }
            if (type.IsPrimitive || type.IsEnum || value is string || value is decimal) return;
            if (!type.IsValueType && !_visited.Add(value)) return;
            if (value is Type or Delegate or MemberInfo)
            {
                Problems.Add($"{path}: holds a {type.FullName}, which a pipeline value should not");
                return;
            }

            if (value is Array array)
            {
                int i = 0;
                foreach (object? item in array) Walk(item, $"{path}[{i++}]");
                return;
            }

            for (Type? t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (IsForbidden(field.FieldType))
                    {
                        Problems.Add($"{path}.{field.Name}: declared as {field.FieldType.FullName}");
                        continue;
                    }
                    Walk(field.GetValue(value), $"{path}.{Readable(field.Name)}");
                }
            }
        }

        private bool IsForbidden(Type type) => forbidden.Any(f => f.IsAssignableFrom(type));

        /// <summary>"&lt;Plan&gt;k__BackingField" → "Plan".</summary>
        private static string Readable(string field) =>
            field.StartsWith('<') && field.IndexOf('>') is > 0 and var end ? field.Substring(1, end - 1) : field;
    }
}
