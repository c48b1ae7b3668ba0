using Xunit;

namespace Unroll.Tests;

// The models of Golden/make_pooling_golden.py, and streaming ones at strides 1, 2 and 4.

/// <summary>MaxPool1d with stride 2 and padding 1 before a GRU whose steps are averaged (it does not stream: padding on the right).</summary>
[Model(SequenceLength = 9, BatchSize = 3)]
public partial class PoolMaxGru
{
    [Linear(3, 6)] public partial LinearLayer Front { get; }
    [MaxPool1d(3, Stride = 2, Padding = 1)] public partial MaxPool1dLayer Max { get; }
    [Gru(6, 5)] public partial GruLayer Rnn { get; }
    [Pooling(PoolingKind.Mean)] public partial PoolingLayer Pool { get; }
    [Linear(5, 2)] public partial LinearLayer Head { get; }
}

/// <summary>AvgPool1d with its padding counted (every window divides by 4).</summary>
[Model(SequenceLength = 10, BatchSize = 3)]
public partial class PoolAvgCounted
{
    [Linear(3, 4)] public partial LinearLayer Front { get; }
    [AvgPool1d(4, Stride = 2, Padding = 2)] public partial AvgPool1dLayer Avg { get; }
    [Linear(4, 2)] public partial LinearLayer Head { get; }
}

/// <summary>AvgPool1d without counting its padding, a dilated MaxPool1d, then the maximum over time.</summary>
[Model(SequenceLength = 8, BatchSize = 3)]
public partial class PoolAvgMax
{
    [Linear(3, 4)] public partial LinearLayer Front { get; }
    [AvgPool1d(3, Stride = 1, Padding = 1, CountIncludePad = false)] public partial AvgPool1dLayer Avg { get; }
    [MaxPool1d(2, Stride = 1, Dilation = 2)] public partial MaxPool1dLayer Max { get; }
    [Pooling(PoolingKind.Max)] public partial PoolingLayer Pool { get; }
    [Linear(4, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A GRU's state at each row's last real step: it streams one output a step.</summary>
[Model(SequenceLength = 7, BatchSize = 3)]
public partial class PoolLast
{
    [Gru(3, 5)] public partial GruLayer Rnn { get; }
    [Pooling(PoolingKind.Last)] public partial PoolingLayer Pool { get; }
    [Linear(5, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A stride-1 max pool of two steps, then the running mean: a stream yields from its 2nd step on.</summary>
[Model(SequenceLength = 9, BatchSize = 2)]
public partial class PoolStream1
{
    [Linear(3, 4)] public partial LinearLayer Front { get; }
    [MaxPool1d(2, Stride = 1)] public partial MaxPool1dLayer Max { get; }
    [Pooling(PoolingKind.Mean)] public partial PoolingLayer Pool { get; }
    [Linear(4, 2)] public partial LinearLayer Head { get; }
}

/// <summary>Average pooling of step pairs (stride 2) before a GRU, then the running maximum: a stream yields every other step.</summary>
[Model(SequenceLength = 12, BatchSize = 2)]
public partial class PoolStream2
{
    [Linear(3, 4)] public partial LinearLayer Front { get; }
    [AvgPool1d(2)] public partial AvgPool1dLayer Avg { get; }
    [Gru(4, 4)] public partial GruLayer Rnn { get; }
    [Pooling(PoolingKind.Max)] public partial PoolingLayer Pool { get; }
    [Linear(4, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A dilated max pool with stride 4 (a window of 5 steps), then the running mean: a stream yields every 4th step from the 5th.</summary>
[Model(SequenceLength = 13, BatchSize = 3)]
public partial class PoolStream4
{
    [Linear(3, 4)] public partial LinearLayer Front { get; }
    [MaxPool1d(3, Stride = 4, Dilation = 2)] public partial MaxPool1dLayer Max { get; }
    [Pooling(PoolingKind.Mean)] public partial PoolingLayer Pool { get; }
    [Linear(4, 2)] public partial LinearLayer Head { get; }
}

/// <summary>PoolMaxGru for inference only, with PyTorch's weights compiled in (IO/Fixtures/pooling_maxpool_gru.safetensors).</summary>
[InferenceModel(typeof(PoolMaxGru), Weights = "pooling_maxpool_gru.safetensors")]
public partial class CompiledPoolMaxGru;

/// <summary>
/// <c>[Pooling]</c>, <c>[MaxPool1d]</c> and <c>[AvgPool1d]</c> models against PyTorch (Golden/pooling_*.json, made by
/// Golden/make_pooling_golden.py: each row pooled alone on its own steps): outputs, parameter and input gradients with
/// per-row lengths; streaming steps equal to <c>Forward</c> over the steps so far at strides 1, 2 and 4; finite
/// differences; partial batches; compiled-in weights; nothing allocated per call.
/// </summary>
public class PoolingLayerTests
{
    public static TheoryData<string> Cases => new() { "maxpool_gru", "avgpool_counted", "avgpool_max", "last" };

    /// <summary>The case's model, and its output steps for a row's length (null: no time axis in the output).</summary>
    private static (IFeatureInputModel Model, Func<int, int>? OutLength) Create(string name) => name switch
    {
        "maxpool_gru" => (new PoolMaxGru(), null),
        "avgpool_counted" => (new PoolAvgCounted(), t => t / 2 + 1),
        "avgpool_max" => (new PoolAvgMax(), null),
        "last" => (new PoolLast(), null),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_PyTorch_with_rows_of_their_own_lengths(string name)
    {
        var golden = GoldenCase.Load("pooling_" + name);
        var (model, outLength) = Create(name);
        int batch = model.BatchSize, time = model.SequenceLength, width = model.OutputSize;
        golden.LoadParameters(model);
        int[] lengths = golden.Lengths;
        var (_, x) = golden.Tensor("inputs", "x");
        int steps = outLength?.Invoke(time) ?? 1;
        var output = new float[batch * steps * width];
        model.Forward(Layout.ToFloat(x), output, time, lengths);
        double[] expected = golden.Tensor("outputs", "output").Values;
        for (int b = 0; b < batch; b++)
        {
            int real = (outLength?.Invoke(lengths[b]) ?? 1) * width;
            Tolerance.AssertClose(output.AsSpan(b * steps * width, real), expected.AsSpan(b * steps * width, real), $"row {b}'s output", 1e-5, 1e-5);
        }
        golden.AssertGradients(model, output);
    }

    [Fact]
    public void Compiled_in_weights_give_PyTorch_s_output()
    {
        var golden = GoldenCase.Load("pooling_maxpool_gru");
        var model = new CompiledPoolMaxGru();
        var output = new float[3 * 2];
        model.Forward(Layout.ToFloat(golden.Tensor("inputs", "x").Values), output, 9, golden.Lengths);
        Tolerance.AssertClose(output, golden.Tensor("outputs", "output").Values, "output", 1e-5, 1e-5);
    }

    /// <summary>The first <paramref name="length"/> steps of every row of <paramref name="x"/> (<c>[batch, time, inputs]</c>).</summary>
    private static float[] Prefix(float[] x, int batch, int time, int inputs, int length)
    {
        var prefix = new float[batch * length * inputs];
        for (int b = 0; b < batch; b++) x.AsSpan(b * time * inputs, length * inputs).CopyTo(prefix.AsSpan(b * length * inputs));
        return prefix;
    }

    /// <summary>
    /// Steps one input at a time: each step that yields gives the pool of the steps so far, which is <c>Forward</c> over
    /// them; <paramref name="yields"/> are the steps that yield (from 0).
    /// </summary>
    private static void AssertStreamEqualsForward<TModel>(TModel model, Func<TModel, float[], float[], bool> step, Action<TModel> reset, int[] yields, ulong seed)
        where TModel : IFeatureInputModel
    {
        int batch = model.BatchSize, time = model.SequenceLength, inputs = model.InputSize, width = model.OutputSize;
        var x = new float[batch * time * inputs];
        new SeededRandom(seed).FillNormal(x);
        for (int rows = batch; rows >= 1; rows -= batch - 1) // the whole batch, then one row
        {
            reset(model);
            var stepInput = new float[rows * inputs];
            var stepOutput = new float[rows * width];
            var yielded = new List<int>();
            for (int t = 0; t < time; t++)
            {
                for (int b = 0; b < rows; b++) x.AsSpan((b * time + t) * inputs, inputs).CopyTo(stepInput.AsSpan(b * inputs, inputs));
                stepOutput.AsSpan().Fill(float.NaN);
                if (!step(model, stepInput, stepOutput))
                {
                    Assert.All(stepOutput, v => Assert.True(float.IsNaN(v), $"step {t} yielded nothing but wrote the output"));
                    continue;
                }
                yielded.Add(t);
                var expected = new float[batch * width];
                model.Forward(Prefix(x, batch, time, inputs, t + 1), expected, t + 1);
                Tolerance.AssertClose(stepOutput, Layout.ToDouble(expected.AsSpan(0, rows * width)), $"{rows} rows: step {t}", 1e-5, 1e-5);
            }
            Assert.Equal(yields, yielded.ToArray());
        }
    }

    [Fact]
    public void The_last_step_streams_one_output_a_step()
    {
        AssertStreamEqualsForward(new PoolLast(3), (m, x, y) =>
        {
            m.Step(x, y);
            return true;
        }, m => m.ResetState(), [0, 1, 2, 3, 4, 5, 6], 1);
    }

    [Fact]
    public void A_running_mean_after_a_stride_1_window_yields_from_the_2nd_step()
    {
        AssertStreamEqualsForward(new PoolStream1(4), (m, x, y) => m.Step(x, y), m => m.ResetState(), [1, 2, 3, 4, 5, 6, 7, 8], 2);
    }

    [Fact]
    public void A_running_maximum_after_a_stride_2_average_yields_every_other_step()
    {
        AssertStreamEqualsForward(new PoolStream2(5), (m, x, y) => m.Step(x, y), m => m.ResetState(), [1, 3, 5, 7, 9, 11], 3);
    }

    [Fact]
    public void A_running_mean_after_a_stride_4_window_yields_every_4th_step_once_it_fills()
    {
        AssertStreamEqualsForward(new PoolStream4(6), (m, x, y) => m.Step(x, y), m => m.ResetState(), [4, 8, 12], 4);
    }

    [Fact]
    public void ReorderState_moves_the_windows_and_running_pools_with_their_rows()
    {
        var model = new PoolStream2(6);
        var x = new float[2 * 12 * 3];
        new SeededRandom(9).FillNormal(x);
        var swapped = new float[x.Length];
        x.AsSpan(36, 36).CopyTo(swapped);
        x.AsSpan(0, 36).CopyTo(swapped.AsSpan(36));
        var expected = new float[2 * 2];
        model.Forward(Prefix(swapped, 2, 12, 3, 8), expected, 8);

        model.ResetState();
        var input = new float[6];
        var output = new float[4];
        for (int t = 0; t < 7; t++)
        {
            for (int b = 0; b < 2; b++) x.AsSpan((b * 12 + t) * 3, 3).CopyTo(input.AsSpan(b * 3));
            model.Step(input, output);
        }
        model.ReorderState([1, 0]);
        for (int b = 0; b < 2; b++) swapped.AsSpan((b * 12 + 7) * 3, 3).CopyTo(input.AsSpan(b * 3));
        Assert.True(model.Step(input, output)); // step 7 yields the pool of 4 averaged pairs
        Tolerance.AssertClose(output, Layout.ToDouble(expected), "rows swapped", 1e-5, 1e-5);
    }

    [Theory]
    [InlineData("maxpool_gru")]
    [InlineData("avgpool_max")]
    [InlineData("last")]
    [InlineData("stream4")]
    public void Backward_matches_finite_differences_with_rows_of_their_own_lengths(string name)
    {
        IFeatureInputModel model = name == "stream4" ? new PoolStream4(7) : Create(name).Model;
        int batch = model.BatchSize, time = model.SequenceLength, inputs = model.InputSize, width = model.OutputSize;
        int[] lengths = name switch
        {
            "maxpool_gru" => [9, 4, 7],
            "avgpool_max" => [8, 3, 6],
            "last" => [7, 2, 5],
            _ => [13, 9, 11],
        };
        var x = new float[batch * time * inputs];
        new SeededRandom(10).FillNormal(x);
        if (model is PoolMaxGru padded)
        {
            // The max pool's inputs far apart next to the finite differences' step of 0.01, which would otherwise move a
            // window's maximum to another step: Front passes x on (W = [I; I], b = 0), and each row's channel holds
            // distinct multiples of 0.15 from step to step.
            padded.Front.Weight.Clear();
            for (int o = 0; o < 6; o++) padded.Front.Weight[o * 3 + o % 3] = 1;
            padded.Front.Bias.Clear();
            for (int b = 0; b < batch; b++)
            {
                for (int t = 0; t < time; t++)
                {
                    for (int j = 0; j < inputs; j++) x[(b * time + t) * inputs + j] = ((t * 5 + b * 3 + j * 7) % 9 - 4) * 0.15f;
                }
            }
        }
        var weights = new float[batch * width];
        new SeededRandom(11).FillUniform(weights, -1, 1);
        FloatFiniteDifferences.AssertModelGradients(model, weights, output => model.Forward(x, output, time, lengths), x);
    }

    [Fact]
    public void A_partial_batch_gives_the_full_batch_s_rows()
    {
        var model = new PoolMaxGru(8);
        var x = new float[3 * 9 * 3];
        new SeededRandom(12).FillNormal(x);
        var full = new float[3 * 2];
        model.Forward(x, full, 9, [9, 5, 7]);
        var two = new float[2 * 2];
        model.Forward(x.AsSpan(0, 2 * 9 * 3), two, 9, [9, 5]);
        Tolerance.AssertClose(two, Layout.ToDouble(full.AsSpan(0, 4)), "two rows", 0, 0);
    }

    [Fact]
    public void Lengths_too_short_for_the_windows_are_refused_naming_the_argument()
    {
        var model = new PoolStream4(8);
        var x = new float[3 * 13 * 3];
        // The max pool's window reaches 5 steps.
        var e = Assert.Throws<ArgumentOutOfRangeException>("length", () => model.Forward(x.AsSpan(0, 3 * 4 * 3), new float[3 * 2], 4));
        Assert.Contains("between 5 and SequenceLength (13)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("lengths", () => model.Forward(x, new float[3 * 2], 13, [13, 4, 13]));
        model.Forward(x.AsSpan(0, 3 * 5 * 3), new float[3 * 2], 5, [5, 5, 5]);
    }

    [Fact]
    public void The_views_say_what_was_declared()
    {
        var model = new PoolAvgMax();
        Assert.Equal((3, 1, 1, false, 4), (model.Avg.KernelSize, model.Avg.Stride, model.Avg.Padding, model.Avg.CountIncludePad, model.Avg.Channels));
        Assert.Equal((2, 1, 0, 2, 4), (model.Max.KernelSize, model.Max.Stride, model.Max.Padding, model.Max.Dilation, model.Max.Channels));
        Assert.Equal((PoolingKind.Max, 4), (model.Pool.Kind, model.Pool.Features));
        Assert.Equal(2, new PoolStream2().Avg.Stride); // Stride 0: the kernel's size, as PyTorch's stride=None
        Assert.Equal(["Front.weight", "Front.bias", "Head.weight", "Head.bias"], model.NamedParameters.Select(p => p.Name).ToArray());
    }

    [Fact]
    public void Forward_Backward_and_Step_allocate_nothing()
    {
        var model = new PoolStream2(5);
        var x = new float[2 * 12 * 3];
        new SeededRandom(8).FillNormal(x);
        var output = new float[2 * 2];
        var inputGradient = new float[x.Length];
        var step = new float[2 * 2];
        int[] lengths = [12, 7];
        Assert.Equal(0, Allocations.Of(() => model.Forward(x, output, 12, lengths)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(output, inputGradient)));
        Assert.Equal(0, Allocations.Of(() => model.Step(x.AsSpan(0, 6), step)));
        var padded = new PoolMaxGru(5);
        var x3 = new float[3 * 9 * 3];
        new SeededRandom(9).FillNormal(x3);
        var output3 = new float[3 * 2];
        var inputGradient3 = new float[x3.Length];
        int[] lengths3 = [9, 5, 2];
        Assert.Equal(0, Allocations.Of(() => padded.Forward(x3, output3, 9, lengths3)));
        Assert.Equal(0, Allocations.Of(() => padded.Backward(output3, inputGradient3)));
    }
}
