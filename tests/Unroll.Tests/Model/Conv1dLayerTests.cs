using Xunit;

namespace Unroll.Tests;

// The models of Golden/make_conv1d_golden.py, and streaming ones at strides 1, 2 and 4.

/// <summary>Conv1d with stride 2 and padding 1 (it does not stream: padding on the right needs the sequence's end).</summary>
[Model(SequenceLength = 9, BatchSize = 3)]
public partial class ConvStrided
{
    [Conv1d(3, 6, 3, Stride = 2, Padding = 1)] public partial Conv1dLayer Conv { get; }
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Act { get; }
    [Gru(6, 5)] public partial GruLayer Rnn { get; }
    [Linear(5, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A causal, dilated, grouped convolution: it streams one output a step (stride 1).</summary>
[Model(SequenceLength = 8, BatchSize = 2)]
public partial class ConvCausal
{
    [Conv1d(4, 6, 3, Dilation = 2, Groups = 2, Causal = true)] public partial Conv1dLayer Conv { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary>A depthwise convolution with stride 4 and no padding, then a 2-tap one: a stream yields every 4th step from the 9th.</summary>
[Model(SequenceLength = 13, BatchSize = 3)]
public partial class ConvStacked
{
    [Conv1d(4, 4, 5, Stride = 4, Groups = 4, Bias = false)] public partial Conv1dLayer Depthwise { get; }
    [Conv1d(4, 3, 2)] public partial Conv1dLayer Conv { get; }
    [Linear(3, 2)] public partial LinearLayer Head { get; }
}

/// <summary>The course's trigger-word front end in small: a causal convolution with stride 2 before a GRU, which streams every other step.</summary>
[Model(SequenceLength = 11, BatchSize = 2)]
public partial class ConvStream2
{
    [Conv1d(3, 5, 4, Stride = 2, Causal = true)] public partial Conv1dLayer Conv { get; }
    [Gru(5, 4)] public partial GruLayer Rnn { get; }
    [Linear(4, 2)] public partial LinearLayer Head { get; }
}

/// <summary>Reflected padding, each row about its own ends (it does not stream: padding on the right needs the sequence's end).</summary>
[Model(SequenceLength = 7, BatchSize = 2)]
public partial class ConvReflect
{
    [Conv1d(3, 4, 3, Padding = 2, PaddingMode = PaddingMode.Reflect)] public partial Conv1dLayer Conv { get; }
    [Linear(4, 2)] public partial LinearLayer Head { get; }
}

/// <summary>ConvStacked for inference only, with PyTorch's weights compiled in (IO/Fixtures/conv1d_stacked.safetensors).</summary>
[InferenceModel(typeof(ConvStacked), Weights = "conv1d_stacked.safetensors")]
public partial class CompiledConvStacked;

/// <summary>
/// <c>[Conv1d]</c> models against PyTorch (Golden/conv1d_*.json, made by Golden/make_conv1d_golden.py: each row convolved
/// alone on its own steps): outputs, parameter and input gradients with per-row lengths; streaming steps equal to
/// <c>Forward</c> at strides 1, 2 and 4, with <c>Step</c> saying which steps yield; finite differences; partial batches;
/// compiled-in weights; the length checks; nothing allocated per call.
/// </summary>
public class Conv1dLayerTests
{
    public static TheoryData<string> Cases => new() { "strided", "causal", "stacked", "reflect" };

    private static (IFeatureInputModel Model, int Batch, int Time, int In, int Out, Func<int, int> OutLength) Create(string name) => name switch
    {
        "strided" => (new ConvStrided(), 3, 9, 3, 2, t => (t - 1) / 2 + 1),
        "causal" => (new ConvCausal(), 2, 8, 4, 3, t => t),
        "stacked" => (new ConvStacked(), 3, 13, 4, 2, t => (t - 5) / 4),
        "reflect" => (new ConvReflect(), 2, 7, 3, 2, t => t + 2),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_PyTorch_with_rows_of_their_own_lengths(string name)
    {
        var golden = GoldenCase.Load("conv1d_" + name);
        var (model, batch, time, _, width, outLength) = Create(name);
        golden.LoadParameters(model);
        int[] lengths = golden.Lengths;
        var (_, x) = golden.Tensor("inputs", "x");
        int steps = outLength(time);
        var output = new float[batch * steps * width];
        model.Forward(Layout.ToFloat(x), output, time, lengths);
        double[] expected = golden.Tensor("outputs", "output").Values;
        for (int b = 0; b < batch; b++)
        {
            int real = outLength(lengths[b]) * width;
            Tolerance.AssertClose(output.AsSpan(b * steps * width, real), expected.AsSpan(b * steps * width, real), $"row {b}'s output", 1e-5, 1e-5);
        }
        golden.AssertGradients(model, output);
    }

    [Fact]
    public void Compiled_in_weights_give_PyTorch_s_output()
    {
        var golden = GoldenCase.Load("conv1d_stacked");
        var model = new CompiledConvStacked();
        var output = new float[3 * 2 * 2];
        model.Forward(Layout.ToFloat(golden.Tensor("inputs", "x").Values), output);
        // Row 0 has all 13 steps in the fixture; the others are shorter there, so compare row 0.
        Tolerance.AssertClose(output.AsSpan(0, 4), golden.Tensor("outputs", "output").Values.AsSpan(0, 4), "output", 1e-5, 1e-5);
    }

    [Fact]
    public void PyTorch_s_state_dict_loads_and_saves_with_its_names_shapes_and_values()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "conv1d_stacked.safetensors");
        var model = new ConvStacked();
        model.LoadSafetensors(fixture);
        string saved = Path.Combine(Path.GetTempPath(), $"unroll-conv-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.SaveSafetensors(saved);
            SafetensorsFile pytorch = SafetensorsFile.Read(fixture), unroll = SafetensorsFile.Read(saved);
            Assert.Equal(pytorch.Names.Order(), unroll.Names.Order());
            foreach (string name in pytorch.Names)
            {
                Assert.Equal(pytorch.GetShape(name).ToArray(), unroll.GetShape(name).ToArray());
                var expected = new float[model.NamedParameters[name].Length];
                var actual = new float[expected.Length];
                pytorch.CopyTo(name, expected);
                unroll.CopyTo(name, actual);
                Assert.Equal(expected, actual);
            }
        }
        finally
        {
            File.Delete(saved);
        }
    }

    /// <summary>Steps, one input at a time, gathering the outputs of the steps that yield one: they are <c>Forward</c>'s, in order.</summary>
    private static void AssertStreamEqualsForward<TModel>(TModel model, int batch, int time, int inputs, int width, Func<int, int> outLength,
        Func<TModel, float[], float[], bool> step, Action<TModel> reset, ulong seed)
        where TModel : IFeatureInputModel
    {
        var x = new float[batch * time * inputs];
        new SeededRandom(seed).FillNormal(x);
        int steps = outLength(time);
        var expected = new float[batch * steps * width];
        model.Forward(x, expected);

        for (int rows = batch; rows >= 1; rows -= batch - 1) // the whole batch, then one row
        {
            reset(model);
            var stepInput = new float[rows * inputs];
            var stepOutput = new float[rows * width];
            int yielded = 0;
            for (int t = 0; t < time; t++)
            {
                for (int b = 0; b < rows; b++) x.AsSpan((b * time + t) * inputs, inputs).CopyTo(stepInput.AsSpan(b * inputs, inputs));
                stepOutput.AsSpan().Fill(float.NaN);
                if (!step(model, stepInput, stepOutput))
                {
                    Assert.All(stepOutput, v => Assert.True(float.IsNaN(v), $"step {t} yielded nothing but wrote the output"));
                    continue;
                }
                for (int b = 0; b < rows; b++)
                {
                    Tolerance.AssertClose(stepOutput.AsSpan(b * width, width), Layout.ToDouble(expected.AsSpan((b * steps + yielded) * width, width)),
                        $"{rows} rows: output {yielded} (step {t}), row {b}", 1e-5, 1e-5);
                }
                yielded++;
            }
            Assert.Equal(steps, yielded);
        }
    }

    [Fact]
    public void A_causal_convolution_streams_one_output_a_step()
    {
        var model = new ConvCausal(3);
        AssertStreamEqualsForward(model, 2, 8, 4, 3, t => t, (m, x, y) =>
        {
            m.Step(x, y);
            return true;
        }, m => m.ResetState(), 1);
    }

    [Fact]
    public void A_stride_2_convolution_yields_every_other_step_from_the_first()
    {
        var model = new ConvStream2(4);
        var yields = new List<bool>();
        AssertStreamEqualsForward(model, 2, 11, 3, 2, t => (t - 1) / 2 + 1, (m, x, y) => m.Step(x, y), m => m.ResetState(), 2);
        model.ResetState();
        for (int t = 0; t < 6; t++) yields.Add(model.Step(new float[3], new float[2]));
        Assert.Equal([true, false, true, false, true, false], yields);
    }

    [Fact]
    public void A_stride_4_stack_yields_every_4th_step_once_the_windows_fill()
    {
        var model = new ConvStacked(5);
        AssertStreamEqualsForward(model, 3, 13, 4, 2, t => (t - 5) / 4, (m, x, y) => m.Step(x, y), m => m.ResetState(), 3);
        // The depthwise layer yields at steps 4, 8, 12; the 2-tap one needs two of those: steps 8 and 12.
        model.ResetState();
        var yielded = Enumerable.Range(0, 13).Where(_ => model.Step(new float[4], new float[2])).ToArray();
        Assert.Equal([8, 12], yielded);
        // Through the interface, the output changes only on the steps that yield.
        IStepModel<float> stepper = model;
        model.ResetState();
        var output = new float[2];
        output.AsSpan().Fill(7f);
        for (int t = 0; t < 8; t++) stepper.Step(new float[4], output);
        Assert.All(output, v => Assert.Equal(7f, v));
        stepper.Step(new float[4], output);
        Assert.All(output, v => Assert.NotEqual(7f, v));
    }

    [Fact]
    public void ReorderState_moves_the_windows_with_their_rows()
    {
        var model = new ConvStream2(6);
        var x = new float[2 * 5 * 3];
        new SeededRandom(9).FillNormal(x);
        var swapped = new float[x.Length];
        x.AsSpan(15, 15).CopyTo(swapped);
        x.AsSpan(0, 15).CopyTo(swapped.AsSpan(15));
        var expected = new float[2 * 3 * 2];
        model.Forward(swapped, expected, 5);

        model.ResetState();
        var input = new float[6];
        var output = new float[4];
        for (int t = 0; t < 4; t++)
        {
            for (int b = 0; b < 2; b++) x.AsSpan((b * 5 + t) * 3, 3).CopyTo(input.AsSpan(b * 3));
            model.Step(input, output);
        }
        model.ReorderState([1, 0]);
        for (int b = 0; b < 2; b++) swapped.AsSpan((b * 5 + 4) * 3, 3).CopyTo(input.AsSpan(b * 3));
        Assert.True(model.Step(input, output)); // step 4 yields output 2
        for (int b = 0; b < 2; b++) Tolerance.AssertClose(output.AsSpan(b * 2, 2), Layout.ToDouble(expected.AsSpan((b * 3 + 2) * 2, 2)), $"row {b}", 1e-5, 1e-5);
    }

    [Theory]
    [InlineData("stream2")]
    [InlineData("stacked")]
    public void Backward_matches_finite_differences_with_rows_of_their_own_lengths(string name)
    {
        IFeatureInputModel model = name == "stream2" ? new ConvStream2(7) : new ConvStacked(7);
        int batch = model.BatchSize, time = model.SequenceLength, inputs = model.InputSize, width = model.OutputSize;
        int[] lengths = name == "stream2" ? [11, 6] : [13, 9, 11];
        int steps = name == "stream2" ? 6 : 2;
        var x = new float[batch * time * inputs];
        new SeededRandom(10).FillNormal(x);
        var weights = new float[batch * steps * width];
        new SeededRandom(11).FillUniform(weights, -1, 1);
        FloatFiniteDifferences.AssertModelGradients(model, weights, output => model.Forward(x, output, time, lengths), x);
    }

    [Fact]
    public void A_partial_batch_gives_the_full_batch_s_rows()
    {
        var model = new ConvStacked(8);
        var x = new float[3 * 13 * 4];
        new SeededRandom(12).FillNormal(x);
        var full = new float[3 * 2 * 2];
        model.Forward(x, full);
        var two = new float[2 * 2 * 2];
        model.Forward(x.AsSpan(0, 2 * 13 * 4), two);
        Tolerance.AssertClose(two, Layout.ToDouble(full.AsSpan(0, 8)), "two rows", 0, 0);
    }

    [Fact]
    public void Lengths_too_short_for_the_kernels_are_refused_naming_the_argument()
    {
        var model = new ConvStacked(8);
        var x = new float[3 * 13 * 4];
        // The depthwise layer needs 5 steps for one output, the 2-tap one two of those: 9 steps at least.
        Assert.Equal(9, Enumerable.Range(1, 13).First(t => (t - 5) / 4 >= 1 && t >= 5));
        var e = Assert.Throws<ArgumentOutOfRangeException>("length", () => model.Forward(x.AsSpan(0, 3 * 8 * 4), new float[3 * 1 * 2], 8));
        Assert.Contains("between 9 and SequenceLength (13)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("lengths", () => model.Forward(x, new float[3 * 2 * 2], 13, [13, 8, 13]));
        model.Forward(x.AsSpan(0, 3 * 9 * 4), new float[3 * 1 * 2], 9, [9, 9, 9]);
    }

    [Fact]
    public void The_view_says_what_was_declared()
    {
        var model = new ConvStacked();
        Assert.Equal((4, 4, 5, 4, 4, false), (model.Depthwise.InChannels, model.Depthwise.OutChannels, model.Depthwise.KernelSize, model.Depthwise.Stride, model.Depthwise.Groups, model.Depthwise.HasBias));
        Assert.Equal(4 * 1 * 5, model.Depthwise.Weight.Length);
        Assert.True(model.Depthwise.Bias.IsEmpty);
        Assert.Equal(3, model.Conv.Bias.Length);
        Assert.Equal(["Depthwise.weight", "Conv.weight", "Conv.bias", "Head.weight", "Head.bias"], model.NamedParameters.Select(p => p.Name).ToArray());
        Assert.Equal(4 * 5 + 3 * 4 * 2 + 3 + 2 * 3 + 2, ConvStacked.ParameterCount);
    }

    [Fact]
    public void Forward_Backward_and_Step_allocate_nothing()
    {
        var model = new ConvStream2(5);
        var x = new float[2 * 11 * 3];
        new SeededRandom(8).FillNormal(x);
        var output = new float[2 * 6 * 2];
        var inputGradient = new float[x.Length];
        var step = new float[2 * 2];
        int[] lengths = [11, 7];
        Assert.Equal(0, Allocations.Of(() => model.Forward(x, output, 11, lengths)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(output, inputGradient)));
        Assert.Equal(0, Allocations.Of(() => model.Step(x.AsSpan(0, 6), step)));
    }
}
