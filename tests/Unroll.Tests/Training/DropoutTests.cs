using Xunit;

namespace Unroll.Tests;

/// <summary>A token model with dropout on the embeddings and between stacked LSTM layers.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class DropoutLm
{
    [Embedding(7, 4)] public partial EmbeddingLayer Embed { get; }
    [Dropout(0.3)] public partial DropoutLayer EmbedDrop { get; }
    [Lstm(4, 6, NumLayers = 2, Dropout = 0.4)] public partial LstmLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary>Dropout straight on a linear layer's output, to look at the mask itself.</summary>
[Model(SequenceLength = 1)]
public partial class DropoutMask
{
    [Linear(1, 4000, Bias = false)] public partial LinearLayer Ones { get; }
    [Dropout(0.25)] public partial DropoutLayer Drop { get; }
}

/// <summary>
/// Inverted dropout: the masks' statistics and scaling, reproducibility from the generator's state,
/// inference mode, and the backward pass against finite differences with the masks held fixed.
/// </summary>
public class DropoutTests
{
    private static readonly int[] Tokens = [1, 4, 2, 6, 0, 3, 3, 5, 1, 2];
    private const int Outputs = DropoutLm.BatchSize * DropoutLm.SequenceLength * DropoutLm.OutputSize;

    [Fact]
    public void Mask_zeroes_a_fraction_p_and_scales_the_rest_by_1_over_1_minus_p()
    {
        var model = new DropoutMask(1);
        model.Ones.Weight.Fill(1f);
        var output = new float[4000];
        model.Forward([1f], output);
        int zeros = output.Count(v => v == 0f);
        Assert.InRange(zeros / 4000.0, 0.22, 0.28);
        Assert.All(output.Where(v => v != 0f), v => Assert.Equal(1f / 0.75f, v));

        model.Training = false;
        model.Forward([1f], output);
        Assert.All(output, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Masks_are_reproducible_from_the_seed_and_the_generator_state()
    {
        float[] Run(DropoutLm model)
        {
            var output = new float[Outputs];
            model.Forward(Tokens, output);
            return output;
        }

        var a = new DropoutLm(3);
        var b = new DropoutLm(3);
        Tolerance.AssertIdentical(Run(a), Run(b), "same seed, same masks");

        var state = new float[SeededRandom.StateLength];
        a.DropoutGenerator.SaveState(state);
        float[] first = Run(a);
        float[] second = Run(a);
        Assert.False(first.AsSpan().SequenceEqual(second), "each Forward draws fresh masks");
        a.DropoutGenerator.LoadState(state);
        Tolerance.AssertIdentical(Run(a), first, "restored generator state");
    }

    [Fact]
    public void Inference_mode_and_Step_do_not_drop()
    {
        var model = new DropoutLm(5);
        var training = new float[Outputs];
        model.Forward(Tokens, training);

        model.Training = false;
        var inference = new float[Outputs];
        model.Forward(Tokens, inference);
        Assert.False(training.AsSpan().SequenceEqual(inference));

        model.ResetState();
        var step = new float[DropoutLm.BatchSize * DropoutLm.OutputSize];
        int T = DropoutLm.SequenceLength, O = DropoutLm.OutputSize;
        for (int t = 0; t < T; t++)
        {
            model.Step([Tokens[t], Tokens[T + t]], step);
            for (int b = 0; b < 2; b++)
                Tolerance.AssertClose(step.AsSpan(b * O, O), Layout.ToDouble(inference.AsSpan((b * T + t) * O, O)), $"step {t}", 1e-6, 0);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_matches_finite_differences_with_the_masks_held_fixed(bool training)
    {
        var model = new DropoutLm(7) { Training = training };
        var weights = new float[Outputs];
        new SeededRandom(11).FillUniform(weights, -1, 1);
        var state = new float[SeededRandom.StateLength];
        model.DropoutGenerator.SaveState(state);
        var output = new float[Outputs];

        // The loss Σ w ⊙ output, each time from the same generator state, so with the same masks.
        double Loss()
        {
            model.DropoutGenerator.LoadState(state);
            model.Forward(Tokens, output);
            double loss = 0;
            for (int i = 0; i < output.Length; i++) loss += (double)weights[i] * output[i];
            return loss;
        }

        Loss();
        model.ZeroGradients();
        model.Backward(weights);
        float[] analytic = model.Gradients.ToArray();

        FloatFiniteDifferences.AssertMatches(model.Parameters, analytic, Loss, "∂parameters");
    }
}
