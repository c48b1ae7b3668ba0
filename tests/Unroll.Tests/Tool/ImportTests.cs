using System.Runtime.CompilerServices;
using System.Text.Json;
using Unroll.Tool.Importing;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests.Tool;

/// <summary>
/// What the tests of every import format share: a fixture imported as <c>unroll import</c> does, its declaration against
/// the committed one (Tool/Imported/*.cs, compiled here by the generator; <c>UNROLL_REGENERATE_IMPORTED=1</c> rewrites
/// them from the importer), the committed model with the written weights against the fixture's reference output, and a
/// bad file's error with nothing written.
/// </summary>
public abstract class ImportTests(ITestOutputHelper output, string folder, string extension, string reference)
{
    protected const string Namespace = "Unroll.Tests.Tool.Imported";

    /// <summary>Where the test writes what it wants to show (an error's message).</summary>
    protected ITestOutputHelper Output { get; } = output;

    protected string Fixtures { get; } = Path.Combine(AppContext.BaseDirectory, "Tool", "Fixtures", folder);

    /// <summary>The file of a fixture holding its input and reference output (by default the model's name with .json).</summary>
    protected virtual string ReferenceFile(string fixture) => fixture + ".json";

    private protected ImportedModel Import(string fixture, string name, int? sequenceLength = null)
    {
        string path = Path.Combine(Fixtures, fixture + extension);
        return Importers.For(path).Import(path, new ImportOptions(name, sequenceLength, BatchSize: 2));
    }

    private static string Committed(string name, [CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "Imported", name + ".cs");

    /// <summary>Importing the fixture writes exactly the committed declaration.</summary>
    protected void AssertCommittedDeclaration(string fixture, string name, int? sequenceLength)
    {
        string source = DeclarationWriter.Source(Import(fixture, name, sequenceLength), Namespace);
        if (Environment.GetEnvironmentVariable("UNROLL_REGENERATE_IMPORTED") == "1") File.WriteAllText(Committed(name), source);
        Assert.Equal(File.ReadAllText(Committed(name)).ReplaceLineEndings("\n"), source);
    }

    /// <summary>The committed model of a fixture (by its class name), in evaluation mode (BatchNorm's running statistics, no dropout).</summary>
    protected static IInferenceModel Create(string name)
    {
        Type type = typeof(ImportTests).Assembly.GetType($"{Namespace}.{name}") ?? throw new ArgumentOutOfRangeException(nameof(name), name, "No such committed model.");
        var model = (IInferenceModel)Activator.CreateInstance(type)!;
        if (model is ISequenceModel trained) trained.Training = false;
        return model;
    }

    /// <summary>The written declaration is the committed one, and that model with the written weights gives the reference's output within 1e-5.</summary>
    protected void AssertReproducesReference(string fixture, string name, int? sequenceLength)
    {
        string directory = TemporaryDirectory();
        try
        {
            (string declaration, string weights) = DeclarationWriter.Write(Import(fixture, name, sequenceLength), directory, Namespace);
            Assert.Equal(File.ReadAllText(Committed(name)).ReplaceLineEndings("\n"), File.ReadAllText(declaration));

            IInferenceModel model = Create(name);
            model.LoadSafetensors(weights);
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, ReferenceFile(fixture))));
            float[] expected = json.RootElement.GetProperty("output").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var actual = new float[expected.Length];
            JsonElement input = json.RootElement.GetProperty("input");
            if (model is IInferenceModel<int> tokens) tokens.Forward(input.EnumerateArray().Select(e => e.GetInt32()).ToArray(), actual);
            else ((IInferenceModel<float>)model).Forward(input.EnumerateArray().Select(e => e.GetSingle()).ToArray(), actual);

            float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Output.WriteLine($"{fixture}: max |Unroll - {reference}| = {worst:E2} over {expected.Length} values");
            Assert.True(worst <= 1e-5f, $"{fixture}: max |Unroll - {reference}| = {worst}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Imports and writes as <c>unroll import</c> does, expecting <typeparamref name="T"/>; checks that no file was written.</summary>
    protected static T ImportFails<T>(string path, int? sequenceLength = null) where T : Exception
    {
        string directory = TemporaryDirectory();
        try
        {
            T error = Assert.Throws<T>(() =>
            {
                ImportedModel model = Importers.For(path).Import(path, new ImportOptions("Bad", sequenceLength, 1));
                DeclarationWriter.Write(model, directory, Namespace);
            });
            Assert.Empty(Directory.GetFileSystemEntries(directory));
            return error;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    protected static string TemporaryDirectory() => Directory.CreateTempSubdirectory("unroll-import-").FullName;
}
