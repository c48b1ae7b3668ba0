using Xunit;

namespace Unroll.Tests;

/// <summary>Ten thousand steps of each recurrent cell, fed inputs large enough to saturate every gate.</summary>
[Model(SequenceLength = 10_000, BatchSize = 2)]
public partial class LongLstm
{
    [Lstm(4, 16)] public partial LstmLayer Rnn { get; }
    [Linear(16, 1)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 10_000, BatchSize = 2)]
public partial class LongGru
{
    [Gru(4, 16)] public partial GruLayer Rnn { get; }
    [Linear(16, 1)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 10_000, BatchSize = 2)]
public partial class LongRnn
{
    [Rnn(4, 16)] public partial RnnLayer Rnn { get; }
    [Linear(16, 1)] public partial LinearLayer Head { get; }
}

/// <summary>
/// Very long sequences and saturating inputs: forward, backward and streaming stay finite (no overflow in the
/// activations, no NaN from saturated gates), and the gradients of 10,000 steps are finite too.
/// </summary>
public class LongSequenceTests
{
    public static TheoryData<float> Scales => new() { 1f, 1e3f, 1e30f };

    [Theory]
    [MemberData(nameof(Scales))]
    public void Ten_thousand_steps_stay_finite_forward_backward_and_streaming(float scale)
    {
        var input = new float[2 * 10_000 * 4];
        new SeededRandom(3).FillUniform(input, -scale, scale);
        var output = new float[2 * 10_000];
        var gradient = new float[output.Length];
        Array.Fill(gradient, 1f);
        var step = new float[2];

        foreach (IFeatureInputModel model in new IFeatureInputModel[] { new LongLstm(1), new LongGru(1), new LongRnn(1) })
        {
            model.Forward(input, output);
            Assert.All(output, v => Assert.True(float.IsFinite(v), $"{model.GetType().Name}: a non-finite output at scale {scale}"));
            model.ZeroGradients();
            model.Backward(gradient);
            Assert.True(AllFinite(model.Gradients), $"{model.GetType().Name}: a non-finite gradient at scale {scale}");

            var streaming = (IStepModel<float>)model;
            streaming.ResetState();
            for (int t = 0; t < 10_000; t++)
            {
                streaming.Step([input[t * 4], input[t * 4 + 1], input[t * 4 + 2], input[t * 4 + 3], input[(10_000 + t) * 4], input[(10_000 + t) * 4 + 1], input[(10_000 + t) * 4 + 2], input[(10_000 + t) * 4 + 3]], step);
            }
            Assert.True(AllFinite(step), $"{model.GetType().Name}: a non-finite streamed output at scale {scale}");
            // A run of steps still equals Forward after 10,000 of them.
            Assert.Equal(output[9_999], step[0], 1e-4);
            Assert.Equal(output[19_999], step[1], 1e-4);
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
