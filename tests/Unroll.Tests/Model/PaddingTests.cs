using Xunit;

namespace Unroll.Tests;

[Model(SequenceLength = 6, BatchSize = 3)]
public partial class PaddedBiGru
{
    [Gru(3, 4, NumLayers = 2, Bidirectional = true)] public partial GruLayer Rnn { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 6, BatchSize = 3)]
public partial class PaddedLstmClassifier
{
    [Embedding(9, 3)] public partial EmbeddingLayer Embed { get; }
    [Lstm(3, 4, Bidirectional = true, ReturnSequences = false)] public partial LstmLayer Rnn { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 6, BatchSize = 3)]
public partial class PaddedAttention
{
    [Linear(3, 4)] public partial LinearLayer Embed { get; }
    [SelfAttention(4, NumHeads = 2)] public partial SelfAttentionLayer Attn { get; }
    [Rnn(4, 3)] public partial RnnLayer Rnn { get; }
}

/// <summary>
/// Per-row lengths (<c>Forward(…, length, lengths)</c>) as PyTorch's packed sequences and key padding masks: a
/// padded row gives, at its real steps, what it gives alone and unpadded; gradients match finite differences.
/// </summary>
public class PaddingTests
{
    private static float[] Random(int count, ulong seed)
    {
        var values = new float[count];
        new SeededRandom(seed).FillUniform(values, -1f, 1f);
        return values;
    }

    /// <summary>Runs the batch padded, then each row alone at its own length, and compares the real steps.</summary>
    private static void AssertPaddedRowsMatch<T>(ISequenceModel<T> model, T[] input, int width, int[] lengths, bool sequenceOutput)
        where T : unmanaged
    {
        int B = model.BatchSize, T0 = model.SequenceLength, O = model.OutputSize;
        var output = new float[B * (sequenceOutput ? T0 : 1) * O];
        model.Forward(input, output, T0, lengths);
        for (int b = 0; b < B; b++)
        {
            int length = lengths[b];
            var alone = new T[B * length * width];
            for (int r = 0; r < B; r++) input.AsSpan(b * T0 * width, length * width).CopyTo(alone.AsSpan(r * length * width));
            var aloneOutput = new float[B * (sequenceOutput ? length : 1) * O];
            model.Forward(alone, aloneOutput, length);
            int count = (sequenceOutput ? length : 1) * O;
            Tolerance.AssertClose(output.AsSpan(b * (sequenceOutput ? T0 : 1) * O, count),
                aloneOutput.AsSpan(0, count).ToArray().Select(v => (double)v).ToArray(), $"row {b}", 1e-6, 1e-5);
        }
    }

    [Fact]
    public void Stacked_bidirectional_rows_ignore_their_padding()
    {
        var model = new PaddedBiGru(1);
        AssertPaddedRowsMatch(model, Random(3 * 6 * 3, 2), 3, new[] { 6, 2, 4 }, sequenceOutput: true);
    }

    [Fact]
    public void Many_to_one_reads_each_rows_last_real_step()
    {
        var model = new PaddedLstmClassifier(3);
        var tokens = new int[3 * 6];
        var random = new SeededRandom(4);
        for (int i = 0; i < tokens.Length; i++) tokens[i] = (int)(random.NextUInt32() % 9);
        AssertPaddedRowsMatch(model, tokens, 1, new[] { 3, 6, 1 }, sequenceOutput: false);
    }

    [Fact]
    public void Attention_gives_padding_exactly_zero_weight()
    {
        var model = new PaddedAttention(5);
        int[] lengths = { 4, 6, 1 };
        AssertPaddedRowsMatch(model, Random(3 * 6 * 3, 6), 3, lengths, sequenceOutput: true);
        model.Forward(Random(3 * 6 * 3, 6), new float[3 * 6 * 3], 6, lengths);
        for (int b = 0; b < 3; b++)
            for (int h = 0; h < 2; h++)
                for (int t = 0; t < 6; t++)
                    for (int j = lengths[b]; j < 6; j++)
                        Assert.Equal(0f, model.Attn.Weights[((b * 2 + h) * 6 + t) * 6 + j]);
    }

    [Theory]
    [InlineData(new[] { 6, 2, 4 })]
    [InlineData(new[] { 1, 5, 3 })]
    public void Backward_with_lengths_matches_finite_differences(int[] lengths)
    {
        foreach (IFeatureInputModel model in new IFeatureInputModel[] { new PaddedBiGru(7), new PaddedAttention(8) })
        {
            float[] input = Random(3 * 6 * 3, 9);
            var output = new float[3 * 6 * model.OutputSize];
            float[] r = Random(output.Length, 10);
            double Loss()
            {
                model.Forward(input, output, 6, lengths);
                double loss = 0;
                for (int i = 0; i < output.Length; i++) loss += r[i] * (double)output[i];
                return loss;
            }

            Loss();
            model.ZeroGradients();
            var inputGradient = new float[input.Length];
            model.Backward(r, inputGradient);
            FloatFiniteDifferences.AssertMatches(model.Parameters, model.Gradients.ToArray(), Loss, model.GetType().Name + " ∂parameters");
            FloatFiniteDifferences.AssertMatches(input, inputGradient, Loss, model.GetType().Name + " ∂input");
        }
    }

    [Fact]
    public void Bad_lengths_throw_and_change_nothing()
    {
        var model = new PaddedBiGru(11);
        float[] input = Random(3 * 6 * 3, 12);
        var output = new float[3 * 6 * 2];
        model.Forward(input, output);
        float[] before = model.Rnn.FinalHidden.ToArray();
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(input, output, 6, new[] { 6, 7, 1 })).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(input, output, 6, new[] { 6, 0, 1 })).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => model.Forward(input, output, 6, new[] { 6, 6 })).ParamName);
        Tolerance.AssertIdentical(model.Rnn.FinalHidden, before, "h_n");
        int[] lengths = { 6, 2, 4 };
        Assert.Equal(0, Allocations.Of(() => model.Forward(input, output, 6, lengths)));
    }
}
