using Xunit;

namespace Unroll.Tests;

/// <summary>A stacked LSTM and a GRU streaming two rows, compiled for inference in float32 …</summary>
[Model(SequenceLength = 12, BatchSize = 2, InferenceOnly = true)]
public partial class StreamerF32
{
    [Lstm(8, 40, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Gru(40, 24)] public partial GruLayer Gru { get; }
    [Linear(24, 3)] public partial LinearLayer Head { get; }
}

/// <summary>… and with the step weights in bfloat16, …</summary>
[Model(SequenceLength = 12, BatchSize = 2, InferenceOnly = true, WeightPrecision = WeightPrecision.BFloat16)]
public partial class StreamerBf16
{
    [Lstm(8, 40, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Gru(40, 24)] public partial GruLayer Gru { get; }
    [Linear(24, 3)] public partial LinearLayer Head { get; }
}

/// <summary>… half, …</summary>
[Model(SequenceLength = 12, BatchSize = 2, InferenceOnly = true, WeightPrecision = WeightPrecision.Float16)]
public partial class StreamerF16
{
    [Lstm(8, 40, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Gru(40, 24)] public partial GruLayer Gru { get; }
    [Linear(24, 3)] public partial LinearLayer Head { get; }
}

/// <summary>… and int8.</summary>
[Model(SequenceLength = 12, BatchSize = 2, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8)]
public partial class StreamerInt8
{
    [Lstm(8, 40, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Gru(40, 24)] public partial GruLayer Gru { get; }
    [Linear(24, 3)] public partial LinearLayer Head { get; }
}

/// <summary>The compiled-in <c>st_gru.safetensors</c> model (<see cref="CompiledGru"/>) with int8 step weights.</summary>
[Model(SequenceLength = 5, BatchSize = 2, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8, Weights = "st_gru.safetensors")]
public partial class CompiledInt8Gru
{
    [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary>
/// <c>[Model(WeightPrecision = …)]</c>: <c>Step</c> runs on the rounded weights, within the precision's error of the
/// float32 model and not bit for bit; <c>Forward</c> and <c>Parameters</c> stay float32; nothing allocates; new
/// parameters are packed again; compiled-in weights work the same way.
/// </summary>
public class ReducedPrecisionModelTests
{
    private const int Steps = 12, Batch = 2, Input = 8, Output = 3;

    /// <summary>The largest difference of <paramref name="model"/>'s steps from the float32 model's, over a sequence.</summary>
    private static double StepDeviation(IStepModel<float> model, IStepModel<float> reference, float[] inputs)
    {
        model.ResetState();
        reference.ResetState();
        float[] y = new float[Batch * Output], expected = new float[Batch * Output];
        double deviation = 0;
        for (int t = 0; t < Steps; t++)
        {
            ReadOnlySpan<float> x = inputs.AsSpan(t * Batch * Input, Batch * Input);
            model.Step(x, y);
            reference.Step(x, expected);
            for (int i = 0; i < y.Length; i++) deviation = Math.Max(deviation, Math.Abs(y[i] - expected[i]));
        }
        return deviation;
    }

    private static float[] Inputs()
    {
        var inputs = new float[Steps * Batch * Input];
        new SeededRandom(3).FillUniform(inputs, -1f, 1f);
        return inputs;
    }

    public static TheoryData<string, double> Precisions => new()
    {
        { nameof(WeightPrecision.BFloat16), 2e-2 },
        { nameof(WeightPrecision.Float16), 2e-3 },
        { nameof(WeightPrecision.Int8), 3e-2 },
    };

    private static IStepModel<float> Create(string precision, StreamerF32 source)
    {
        IStepModel<float> model = precision switch
        {
            nameof(WeightPrecision.BFloat16) => new StreamerBf16(),
            nameof(WeightPrecision.Float16) => new StreamerF16(),
            _ => new StreamerInt8(),
        };
        source.Parameters.CopyTo(model.Parameters);
        return model;
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void Steps_stay_within_the_precisions_error_of_float32_and_Forward_stays_float32(string precision, double bound)
    {
        var reference = new StreamerF32(7);
        IStepModel<float> model = Create(precision, reference);
        float[] inputs = Inputs();
        double deviation = StepDeviation(model, reference, inputs);
        Assert.InRange(deviation, 1e-7, bound); // rounded, so not bit for bit, but near

        // Forward keeps the float32 weights: the same bits as the float32 model.
        float[] batchFirst = new float[Batch * Steps * Input];
        for (int t = 0; t < Steps; t++)
            for (int b = 0; b < Batch; b++)
                inputs.AsSpan((t * Batch + b) * Input, Input).CopyTo(batchFirst.AsSpan((b * Steps + t) * Input));
        float[] expected = new float[Batch * Steps * Output], actual = new float[expected.Length];
        reference.Forward(batchFirst, expected);
        ((IInferenceModel<float>)model).Forward(batchFirst, actual);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void Steps_allocate_nothing_and_new_parameters_are_packed_again(string precision, double bound)
    {
        var first = new StreamerF32(1);
        var second = new StreamerF32(2);
        IStepModel<float> model = Create(precision, first);
        float[] inputs = Inputs(), y = new float[Batch * Output];
        model.Step(inputs.AsSpan(0, Batch * Input), y);
        Assert.Equal(0, Allocations.Of(() => model.Step(inputs.AsSpan(0, Batch * Input), y)));

        second.Parameters.CopyTo(model.Parameters);
        Assert.InRange(StepDeviation(model, second, inputs), 0, bound);
    }

    [Theory]
    [InlineData(typeof(StreamerBf16), WeightPrecision.BFloat16)]
    [InlineData(typeof(StreamerF16), WeightPrecision.Float16)]
    [InlineData(typeof(StreamerInt8), WeightPrecision.Int8)]
    public void The_arena_shrinks_by_what_the_packed_step_weights_save(Type model, WeightPrecision precision)
    {
        // The three fused steps: LSTM 8 → 40, LSTM 40 → 40, GRU 40 → 24.
        static int Size(WeightPrecision p) =>
            Kernels.Cells.LstmStepSize(8, 40, p) + Kernels.Cells.LstmStepSize(40, 40, p) + Kernels.Cells.GruStepSize(40, 24, p);
        int saved = InferenceOnlyTests.ArenaLength(typeof(StreamerF32)) - InferenceOnlyTests.ArenaLength(model);
        Assert.InRange(saved, Size(WeightPrecision.Float32) - Size(precision) - 3 * 16, Size(WeightPrecision.Float32) - Size(precision) + 3 * 16); // give or take alignment
        Assert.InRange(Size(precision), Size(WeightPrecision.Float32) / (precision == WeightPrecision.Int8 ? 4 : 2), Size(WeightPrecision.Float32) * 6 / 10);
    }

    [Fact]
    public void Compiled_in_weights_stream_in_int8()
    {
        var reference = new CompiledGru();
        var model = new CompiledInt8Gru();
        Assert.Equal(reference.Parameters.ToArray(), model.Parameters.ToArray());
        var inputs = new float[5 * Batch * 4];
        new SeededRandom(9).FillUniform(inputs, -1f, 1f);
        float[] y = new float[Batch * 3], expected = new float[Batch * 3];
        double deviation = 0;
        for (int t = 0; t < 5; t++)
        {
            model.Step(inputs.AsSpan(t * Batch * 4, Batch * 4), y);
            reference.Step(inputs.AsSpan(t * Batch * 4, Batch * 4), expected);
            for (int i = 0; i < y.Length; i++) deviation = Math.Max(deviation, Math.Abs(y[i] - expected[i]));
        }
        Assert.InRange(deviation, 1e-7, 3e-2);
    }
}
