using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests;

// The models of Golden/make_positional_golden.py (one batch row more than the golden cases have, so that they run as
// partial batches), and models of odd sizes for finite differences and streaming.

/// <summary>The transformer tutorial's sinusoidal encoding between two linear maps.</summary>
[Model(SequenceLength = 8, BatchSize = 4)]
public partial class PosSinusoidal
{
    [Linear(3, 6)] public partial LinearLayer Front { get; }
    [PositionalEncoding(10)] public partial PositionalEncodingLayer Pos { get; }
    [Linear(6, 2)] public partial LinearLayer Head { get; }
}

/// <summary>An odd width: the last column is a sine without its cosine.</summary>
[Model(SequenceLength = 7, BatchSize = 3)]
public partial class PosOdd
{
    [Linear(3, 5)] public partial LinearLayer Front { get; }
    [PositionalEncoding(9, Kind = PositionalEncodingKind.Sinusoidal)] public partial PositionalEncodingLayer Pos { get; }
    [Linear(5, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A learned table of 10 positions (2 more than the model runs) before a GRU.</summary>
[Model(SequenceLength = 8, BatchSize = 4)]
public partial class PosLearned
{
    [Linear(3, 4)] public partial LinearLayer Front { get; }
    [PositionalEncoding(10, Kind = PositionalEncodingKind.Learned)] public partial PositionalEncodingLayer Pos { get; }
    [Gru(4, 3)] public partial GruLayer Rnn { get; }
    [Linear(3, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A learned encoding of an odd width under causal self-attention, which streams.</summary>
[Model(SequenceLength = 7, BatchSize = 3)]
public partial class PosLearnedAttention
{
    [Linear(3, 5)] public partial LinearLayer Front { get; }
    [PositionalEncoding(7, Kind = PositionalEncodingKind.Learned)] public partial PositionalEncodingLayer Pos { get; }
    [SelfAttention(5, Causal = true)] public partial SelfAttentionLayer Attend { get; }
    [Linear(5, 3)] public partial LinearLayer Head { get; }
}

/// <summary>PosSinusoidal's layers for inference only.</summary>
[InferenceModel(typeof(PosSinusoidal))]
public partial class PosSinusoidalTwin;

/// <summary>PosSinusoidal's layers declared by hand for inference only, one row at a time.</summary>
[Model(SequenceLength = 8, BatchSize = 1, InferenceOnly = true)]
public partial class PosSinusoidalDeployed
{
    [Linear(3, 6)] public partial LinearLayer Front { get; }
    [PositionalEncoding(10)] public partial PositionalEncodingLayer Pos { get; }
    [Linear(6, 2)] public partial LinearLayer Head { get; }
}

/// <summary>PosLearned for inference only, with PyTorch's weights compiled in (IO/Fixtures/positional_learned.safetensors).</summary>
[InferenceModel(typeof(PosLearned), Weights = "positional_learned.safetensors")]
public partial class CompiledPosLearned;

/// <summary>
/// <c>[PositionalEncoding]</c> against PyTorch (Golden/positional_*.json, made by Golden/make_positional_golden.py: each row
/// alone on its own steps): outputs, parameter and input gradients with per-row lengths in partial batches; the sinusoidal
/// table against the tutorial's; finite differences; streaming steps equal to <c>Forward</c> and refused past
/// <c>SequenceLength</c>; inference-only twins; compiled-in weights; state dicts both ways; nothing allocated per call.
/// </summary>
public class PositionalEncodingTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new() { "sinusoidal", "odd", "learned" };

    private static IFeatureInputModel Create(string name) => name switch
    {
        "sinusoidal" => new PosSinusoidal(),
        "odd" => new PosOdd(),
        "learned" => new PosLearned(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_PyTorch_with_rows_of_their_own_lengths_in_a_partial_batch(string name)
    {
        var golden = GoldenCase.Load("positional_" + name);
        IFeatureInputModel model = Create(name);
        golden.LoadParameters(model);
        int[] lengths = golden.Lengths;
        int rows = lengths.Length, time = model.SequenceLength, width = model.OutputSize;
        Assert.True(rows < model.BatchSize); // a partial batch
        var (_, x) = golden.Tensor("inputs", "x");
        var actual = new float[rows * time * width];
        model.Forward(Layout.ToFloat(x), actual, time, lengths);
        double[] expected = golden.Tensor("outputs", "output").Values;
        double most = 0;
        for (int b = 0; b < rows; b++)
        {
            int real = lengths[b] * width;
            Tolerance.AssertClose(actual.AsSpan(b * time * width, real), expected.AsSpan(b * time * width, real), $"row {b}'s output", 1e-5, 1e-5);
            most = Math.Max(most, Tolerance.LargestDifference(actual.AsSpan(b * time * width, real), expected.AsSpan(b * time * width, real)));
        }
        golden.AssertGradients(model, actual);
        output.WriteLine($"{name}: max |output − PyTorch| {most:E2}");
        foreach (string parameter in golden.Names("grad_params"))
            output.WriteLine($"{name}: max |∂{parameter} − PyTorch| {Tolerance.LargestDifference(model.NamedParameters[parameter].Gradients, golden.Tensor("grad_params", parameter).Values):E2}");
    }

    [Fact]
    public void The_learned_table_gets_no_gradient_past_the_longest_row()
    {
        var golden = GoldenCase.Load("positional_learned");
        var model = new PosLearned();
        golden.LoadParameters(model);
        var actual = new float[3 * 8 * 2];
        model.Forward(Layout.ToFloat(golden.Tensor("inputs", "x").Values), actual, 8, golden.Lengths);
        golden.AssertGradients(model, actual);
        Span<float> gradient = model.Pos.WeightGradient;
        Assert.Contains(gradient.Slice(0, 8 * 4).ToArray(), v => v != 0);
        Assert.All(gradient.Slice(8 * 4).ToArray(), v => Assert.Equal(0f, v)); // positions 8 and 9: no step reaches them
    }

    [Theory]
    [InlineData("256x16")]
    [InlineData("100x5")]
    [InlineData("64x1")]
    [InlineData("40x7")]
    public void The_sinusoidal_table_is_the_PyTorch_tutorial_s(string size)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", "positional_table.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement table = document.RootElement.GetProperty(size);
        int[] shape = table.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] expected = table.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = new float[shape[0] * shape[1]];
        Unroll.Kernels.Positions.Sinusoidal(actual, shape[0], shape[1]);
        double most = Tolerance.LargestDifference(actual, expected);
        int equal = actual.Where((v, i) => v == expected[i]).Count();
        output.WriteLine($"{size}: max |PE − PyTorch's| {most:E2}, {equal} of {actual.Length} values bit for bit");
        // The same float32 angles; PyTorch's float32 sin and cos (SLEEF's, within an ulp) against the rounded double ones:
        // at most two ulps of 1 (6e-8 each).
        Tolerance.AssertClose(actual, expected, "PE", 1.2e-7, 0);
    }

    [Fact]
    public void The_model_s_table_holds_what_the_kernel_computes_for_its_steps()
    {
        // Front passes x on (W = [I; 0], b = 0) and Head reads features 0 and 1: PE[t, 0 | 1] = sin t | cos t.
        var model = new PosSinusoidal(3);
        model.Front.Weight.Clear();
        for (int o = 0; o < 3; o++) model.Front.Weight[o * 3 + o] = 1;
        model.Front.Bias.Clear();
        model.Head.Weight.Clear();
        model.Head.Weight[0] = 1;
        model.Head.Weight[6 + 1] = 1;
        model.Head.Bias.Clear();
        var y = new float[4 * 8 * 2];
        model.Forward(new float[4 * 8 * 3], y);
        for (int b = 0; b < 4; b++)
        {
            for (int t = 0; t < 8; t++)
            {
                Assert.Equal((float)Math.Sin(t), y[(b * 8 + t) * 2], 6);
                Assert.Equal((float)Math.Cos(t), y[(b * 8 + t) * 2 + 1], 6);
            }
        }
    }

    [Theory]
    [InlineData("odd")]
    [InlineData("learned")]
    [InlineData("attention")]
    public void Backward_matches_finite_differences_with_rows_of_their_own_lengths(string name)
    {
        IFeatureInputModel model = name == "attention" ? new PosLearnedAttention(5) : Create(name);
        int batch = model.BatchSize, time = model.SequenceLength, width = model.OutputSize;
        int[] lengths = name switch
        {
            "odd" => [7, 3, 5],
            "learned" => [8, 5, 1, 7],
            _ => [7, 2, 6],
        };
        var x = new float[batch * time * model.InputSize];
        new SeededRandom(14).FillNormal(x);
        var weights = new float[batch * time * width];
        new SeededRandom(15).FillUniform(weights, -1, 1);
        for (int b = 0; b < batch; b++) weights.AsSpan((b * time + lengths[b]) * width, (time - lengths[b]) * width).Clear(); // the loss sees real steps
        FloatFiniteDifferences.AssertModelGradients(model, weights, y => model.Forward(x, y, time, lengths), x);
    }

    /// <summary>Steps a sequence one input at a time: each step's output is that step of <c>Forward</c>; one step more is refused until <c>ResetState</c>.</summary>
    private static void AssertStepsEqualForward(IStreamingModel<float> model, Action reset, ulong seed)
    {
        int batch = model.BatchSize, time = model.SequenceLength, inputs = model.InputSize, width = model.OutputSize;
        var x = new float[batch * time * inputs];
        new SeededRandom(seed).FillNormal(x);
        var whole = new float[batch * time * width];
        model.Forward(x, whole);
        for (int rows = batch; rows >= 1; rows -= batch - 1) // the whole batch, then one row
        {
            reset();
            var input = new float[rows * inputs];
            var step = new float[rows * width];
            for (int t = 0; t < time; t++)
            {
                for (int b = 0; b < rows; b++) x.AsSpan((b * time + t) * inputs, inputs).CopyTo(input.AsSpan(b * inputs));
                model.Step(input, step);
                for (int b = 0; b < rows; b++)
                    Tolerance.AssertClose(step.AsSpan(b * width, width), Layout.ToDouble(whole.AsSpan((b * time + t) * width, width)), $"{rows} rows: step {t}, row {b}", 1e-5, 1e-5);
            }
            var e = Assert.Throws<InvalidOperationException>(() => model.Step(input, step));
            Assert.Contains("positional encodings", e.Message, StringComparison.Ordinal);
        }
        reset();
        model.Step(x.AsSpan(0, batch * inputs), new float[batch * width]); // a fresh start
    }

    [Fact]
    public void Sinusoidal_steps_equal_Forward_and_stop_at_SequenceLength()
    {
        var model = new PosOdd(6);
        AssertStepsEqualForward(model, model.ResetState, 16);
    }

    [Fact]
    public void Learned_steps_equal_Forward_before_a_GRU_and_under_causal_attention()
    {
        var model = new PosLearned(7);
        AssertStepsEqualForward(model, model.ResetState, 17);
        var attention = new PosLearnedAttention(8);
        AssertStepsEqualForward(attention, attention.ResetState, 18);
    }

    [Fact]
    public void The_inference_only_twins_give_the_trained_model_s_outputs_bit_for_bit()
    {
        var trained = new PosSinusoidal(9);
        var twin = new PosSinusoidalTwin();
        var deployed = new PosSinusoidalDeployed();
        trained.Parameters.CopyTo(twin.Parameters);
        trained.Parameters.CopyTo(deployed.Parameters);
        Assert.Equal(PosSinusoidal.ParameterCount, PosSinusoidalTwin.ParameterCount);
        var x = new float[4 * 8 * 3];
        new SeededRandom(19).FillNormal(x);
        float[] expected = new float[4 * 8 * 2], actual = new float[expected.Length];
        trained.Forward(x, expected, 8, [8, 6, 3, 1]);
        twin.Forward(x, actual, 8, [8, 6, 3, 1]);
        Assert.Equal(expected, actual);
        var row = new float[6 * 2];
        deployed.Forward(x.AsSpan(8 * 3, 6 * 3), row, 6);
        Tolerance.AssertIdentical(row, expected.AsSpan(8 * 2, 6 * 2), "row 1 alone");
        deployed.ResetState();
        var step = new float[2];
        for (int t = 0; t < 6; t++)
        {
            deployed.Step(x.AsSpan((8 + t) * 3, 3), step);
            Tolerance.AssertClose(step, Layout.ToDouble(expected.AsSpan((8 + t) * 2, 2)), $"step {t}", 1e-6, 1e-6);
        }
    }

    [Fact]
    public void Compiled_in_weights_give_PyTorch_s_output()
    {
        var golden = GoldenCase.Load("positional_learned");
        var model = new CompiledPosLearned();
        var actual = new float[3 * 8 * 2];
        model.Forward(Layout.ToFloat(golden.Tensor("inputs", "x").Values), actual, 8, golden.Lengths);
        double[] expected = golden.Tensor("outputs", "output").Values;
        for (int b = 0; b < 3; b++)
        {
            int real = golden.Lengths[b] * 2;
            Tolerance.AssertClose(actual.AsSpan(b * 16, real), expected.AsSpan(b * 16, real), $"row {b}", 1e-5, 1e-5);
        }
        Assert.Equal(Layout.ToFloat(golden.Tensor("params", "Pos.weight").Values), model.Pos.Weight.ToArray());
    }

    [Fact]
    public void Only_the_learned_kind_has_a_state_dict_entry_and_it_saves_and_loads()
    {
        Assert.Equal(["Front.weight", "Front.bias", "Head.weight", "Head.bias"], new PosSinusoidal().NamedParameters.Select(p => p.Name).ToArray());
        var model = new PosLearned(10);
        NamedParameter weight = model.NamedParameters["Pos.weight"];
        Assert.Equal([10, 4], weight.Shape.ToArray());
        Assert.Equal(["Front.weight", "Front.bias", "Pos.weight", "Rnn.weight_ih_l0"], model.NamedParameters.Select(p => p.Name).Take(4).ToArray());
        Assert.True(model.Pos.Weight.SequenceEqual(weight.Values));

        // nn.Embedding's N(0, 1): 40 draws with a mean near 0 and a spread near 1.
        float[] values = model.Pos.Weight.ToArray();
        double mean = values.Average(), deviation = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, -0.5, 0.5);
        Assert.InRange(deviation, 0.6, 1.4);

        string path = Path.Combine(Path.GetTempPath(), $"unroll-positional-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.SaveSafetensors(path);
            var loaded = new PosLearned(11);
            loaded.LoadSafetensors(path);
            Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
            // PyTorch's state dict (written by the golden script) loads as is.
            loaded.LoadSafetensors(Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "positional_learned.safetensors"));
            Assert.Equal(Layout.ToFloat(GoldenCase.Load("positional_learned").Tensor("params", "Pos.weight").Values), loaded.Pos.Weight.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_state_dict_with_the_tutorial_s_pe_buffer_is_refused_by_name_and_changes_nothing()
    {
        var model = new PosSinusoidal(12);
        float[] before = model.Parameters.ToArray();
        string path = Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "positional_sinusoidal_pe.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => model.LoadSafetensors(path));
        Assert.Contains("Pos.pe", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void The_views_say_what_was_declared()
    {
        var sinusoidal = new PosOdd();
        Assert.Equal((PositionalEncodingKind.Sinusoidal, 9, 5), (sinusoidal.Pos.Kind, sinusoidal.Pos.MaxLength, sinusoidal.Pos.Features));
        Assert.True(sinusoidal.Pos.Weight.IsEmpty);
        Assert.True(sinusoidal.Pos.WeightGradient.IsEmpty);
        var learned = new PosLearned();
        Assert.Equal((PositionalEncodingKind.Learned, 10, 4), (learned.Pos.Kind, learned.Pos.MaxLength, learned.Pos.Features));
        Assert.Equal(40, learned.Pos.WeightGradient.Length);
        Assert.True(new CompiledPosLearned().Pos.WeightGradient.IsEmpty);
        Assert.Contains("PositionalEncoding(learned, 10 positions)", PosLearned.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_Backward_and_Step_allocate_nothing()
    {
        foreach (IStreamingModel<float> model in new IStreamingModel<float>[] { new PosOdd(5), new PosLearned(5) })
        {
            var feature = (IFeatureInputModel)model;
            int batch = model.BatchSize, time = model.SequenceLength;
            var x = new float[batch * time * model.InputSize];
            new SeededRandom(20).FillNormal(x);
            var y = new float[batch * time * model.OutputSize];
            var inputGradient = new float[x.Length];
            var step = new float[batch * model.OutputSize];
            int[] lengths = Enumerable.Range(0, batch).Select(b => time - b).ToArray();
            Assert.Equal(0, Allocations.Of(() => model.Forward(x, y, time, lengths)));
            Assert.Equal(0, Allocations.Of(() => feature.Backward(y, inputGradient)));
            Assert.Equal(0, Allocations.Of(() =>
            {
                model.ResetState();
                model.Step(x.AsSpan(0, batch * model.InputSize), step);
            }));
        }
    }
}
