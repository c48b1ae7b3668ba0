using System.Runtime.CompilerServices;
using System.Text.Json;
using Unroll.Tool.Importing;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests.Tool;

/// <summary>
/// <c>unroll import model.json</c> on RTNeural's JSON models (Tool/Fixtures/rtneural/make_rtneural_fixtures.py, with each
/// model's output computed in NumPy from Keras' equations, which RTNeural's layers run one sample at a time): the
/// declaration is the committed one (Tool/Imported/RtNeural*.cs, compiled here by the generator), the written weights make
/// it give RTNeural's outputs, and what Unroll cannot declare is an error naming the layer that writes nothing.
/// </summary>
public class RtNeuralImportTests(ITestOutputHelper output) : ImportTests(output, "rtneural", ".json", "RTNeural")
{
    /// <summary>A fixture's input and output are in <c>{fixture}.output.json</c> beside the model's JSON.</summary>
    protected override string ReferenceFile(string fixture) => fixture + ".output.json";

    /// <summary>Each good fixture, the class its declaration names, and the --sequence-length it needs (its time axis is open).</summary>
    public static TheoryData<string, string, int?> Models => new()
    {
        { "dense_tanh", "RtNeuralDenseTanh", null },
        { "lstm", "RtNeuralLstm", 10 },
        { "gru", "RtNeuralGru", 10 },
        { "conv1d", "RtNeuralConv1d", 9 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Importing_writes_the_committed_declaration(string fixture, string name, int? sequenceLength) => AssertCommittedDeclaration(fixture, name, sequenceLength);

    [Theory]
    [MemberData(nameof(Models))]
    public void The_committed_model_with_the_written_weights_gives_RTNeurals_output(string fixture, string name, int? sequenceLength) => AssertReproducesReference(fixture, name, sequenceLength);

    [Fact]
    public void A_streamed_model_steps_as_RTNeural_runs_it()
    {
        // RTNeural's models run one sample at a time: Unroll's Step from ResetState gives the same outputs.
        var model = new Imported.RtNeuralConv1d();
        string directory = TemporaryDirectory();
        try
        {
            (_, string weights) = DeclarationWriter.Write(Import("conv1d", "RtNeuralConv1d", 9), directory, Namespace);
            model.LoadSafetensors(weights);
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "conv1d.output.json")));
            float[] input = json.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            float[] expected = json.RootElement.GetProperty("output").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            model.ResetState();
            var step = new float[2];
            var stepInput = new float[2 * 2];
            for (int t = 0; t < 9; t++)
            {
                for (int b = 0; b < 2; b++) input.AsSpan((b * 9 + t) * 2, 2).CopyTo(stepInput.AsSpan(b * 2));
                model.Step(stepInput, step);
                for (int b = 0; b < 2; b++) Assert.True(Math.Abs(step[b] - expected[b * 9 + t]) <= 1e-5f, $"step {t}, row {b}: {step[b]} vs {expected[b * 9 + t]}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // What Unroll cannot declare: an error naming the layer, and nothing written

    /// <summary>A fixture's JSON edited in code, written to a temporary .json file.</summary>
    private string Edited(string fixture, Func<string, string> edit)
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-{fixture}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, edit(File.ReadAllText(Path.Combine(Fixtures, fixture + ".json"))));
        return path;
    }

    [Fact]
    public void A_prelu_is_named_with_its_index()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_prelu.json"), sequenceLength: 9);
        Output.WriteLine(error.Message);
        Assert.Contains("'bad_prelu.json': layer 2 of 3 (prelu): Unroll has no PReLU", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weight_of_the_wrong_shape_names_the_layer_and_the_shapes()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_shape.json"), sequenceLength: 9);
        Output.WriteLine(error.Message);
        Assert.Contains("layer 1 of 1 (lstm): its weight 2 has shape [6, 20], but an LSTM of 6 on 1 features needs [6, 24]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"activation\": \"\", \"shape\": [null, 8, 2]", "\"activation\": \"softmax\", \"shape\": [null, 8, 2]", "layer 2 of 2 (dense): its activation is softmax")]
    [InlineData("\"activation\": \"tanh\"", "\"activation\": \"elu\"", "layer 1 of 2 (dense): its activation is 'elu'")]
    [InlineData("\"type\": \"dense\", \"activation\": \"\"", "\"type\": \"conv2d\", \"activation\": \"\"", "layer 2 of 2 (conv2d): Unroll has no layer")]
    public void What_unroll_has_no_layer_for_is_named(string from, string to, string message)
    {
        string path = Edited("dense_tanh", text => text.Replace(from, to, StringComparison.Ordinal));
        try
        {
            var error = ImportFails<ImportException>(path, sequenceLength: 9);
            Output.WriteLine(error.Message);
            Assert.Contains(message, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_truncated_file_is_invalid_data()
    {
        string path = Edited("lstm", text => text[..(text.Length / 2)]);
        try
        {
            var error = ImportFails<InvalidDataException>(path, sequenceLength: 9);
            Assert.Contains("is not valid JSON", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_open_time_axis_asks_for_the_sequence_length()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "lstm.json"));
        Assert.Contains("--sequence-length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rtneural_importer_reads_json_files()
    {
        Assert.IsType<Unroll.Tool.Importing.RtNeural.RtNeuralImporter>(Importers.For("model.json"));
    }
}
