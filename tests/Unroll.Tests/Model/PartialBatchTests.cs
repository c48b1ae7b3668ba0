using Xunit;

namespace Unroll.Tests;

/// <summary>A token model that streams (4 rows at most).</summary>
[Model(SequenceLength = 6, BatchSize = 4)]
public partial class PartialTokenLm
{
    [Embedding(11, 5)] public partial EmbeddingLayer Embed { get; }
    [Lstm(5, 7)] public partial LstmLayer Rnn { get; }
    [Linear(7, 11)] public partial LinearLayer Head { get; }
}

/// <summary>A bidirectional many-to-one classifier over float features: an output per row, no Step.</summary>
[Model(SequenceLength = 5, BatchSize = 4)]
public partial class PartialBiGru
{
    [Gru(3, 6, Bidirectional = true, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(12, 2)] public partial LinearLayer Head { get; }
}

/// <summary>Causal attention, which streams with a cache of keys and values.</summary>
[Model(SequenceLength = 6, BatchSize = 3)]
public partial class PartialAttention
{
    [Linear(2, 8)] public partial LinearLayer Input { get; }
    [SelfAttention(8, NumHeads = 2, Causal = true)] public partial SelfAttentionLayer Attention { get; }
    [Activation(ActivationFunction.Gelu)] public partial ActivationLayer Gelu { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

/// <summary>
/// A batch of 1 to <c>BatchSize</c> rows: <c>Forward</c>, <c>Backward</c> and <c>Step</c> give a smaller batch's rows bit
/// for bit what they give those rows in a full batch (the other rows with outputs nobody reads and no gradient), with
/// per-row lengths, allocating nothing; a batch of 0 or too many rows, or lengths for another batch, is refused.
/// </summary>
public class PartialBatchTests
{
    private static float[] Random(int n, ulong seed)
    {
        var values = new float[n];
        new SeededRandom(seed).FillNormal(values);
        return values;
    }

    private static int[] Tokens(int n, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, n).Select(_ => (int)(random.NextUInt32() % 11)).ToArray();
    }

    public static TheoryData<int> SmallerBatches => new() { 1, 2, 3 };

    [Theory]
    [MemberData(nameof(SmallerBatches))]
    public void Token_model_rows_are_those_of_a_full_batch(int rows)
    {
        const int B = 4, T = 6, V = 11;
        int[] tokens = Tokens(B * T, 1);
        int[] lengths = [6, 3, 5, 1];
        var full = new PartialTokenLm(7);
        var partial = new PartialTokenLm(7);

        // Forward: the first rows of the full batch's output.
        var fullOutput = new float[B * T * V];
        full.Forward(tokens, fullOutput, T, lengths);
        var output = new float[rows * T * V];
        partial.Forward(tokens.AsSpan(0, rows * T), output, T, lengths.AsSpan(0, rows));
        Assert.Equal(fullOutput.AsSpan(0, output.Length).ToArray(), output);

        // Backward: the full batch with no gradient past the rows gives the same parameter gradients.
        float[] gradient = Random(B * T * V, 2);
        gradient.AsSpan(rows * T * V).Clear();
        full.ZeroGradients();
        full.Backward(gradient);
        partial.ZeroGradients();
        partial.Backward(gradient.AsSpan(0, rows * T * V));
        Assert.Equal(full.Gradients.ToArray(), partial.Gradients.ToArray());

        // Step: the first rows of the full batch's steps.
        full.ResetState();
        partial.ResetState();
        var fullStep = new float[B * V];
        var step = new float[rows * V];
        for (int t = 0; t < T; t++)
        {
            int[] column = Enumerable.Range(0, B).Select(b => tokens[b * T + t]).ToArray();
            full.Step(column, fullStep);
            partial.Step(column.AsSpan(0, rows), step);
            Assert.Equal(fullStep.AsSpan(0, step.Length).ToArray(), step);
        }
    }

    [Theory]
    [MemberData(nameof(SmallerBatches))]
    public void Many_to_one_float_model_rows_are_those_of_a_full_batch(int rows)
    {
        const int B = 4, T = 5, F = 3, O = 2;
        float[] input = Random(B * T * F, 3);
        int[] lengths = [2, 5, 4, 3];
        var full = new PartialBiGru(8);
        var partial = new PartialBiGru(8);
        var fullOutput = new float[B * O];
        full.Forward(input, fullOutput, T, lengths);
        var output = new float[rows * O];
        partial.Forward(input.AsSpan(0, rows * T * F), output, T, lengths.AsSpan(0, rows));
        Assert.Equal(fullOutput.AsSpan(0, output.Length).ToArray(), output);

        float[] gradient = Random(B * O, 4);
        gradient.AsSpan(rows * O).Clear();
        var fullInputGradient = new float[B * T * F];
        var inputGradient = new float[rows * T * F];
        full.ZeroGradients();
        full.Backward(gradient, fullInputGradient);
        partial.ZeroGradients();
        partial.Backward(gradient.AsSpan(0, rows * O), inputGradient);
        Assert.Equal(full.Gradients.ToArray(), partial.Gradients.ToArray());
        Assert.Equal(fullInputGradient.AsSpan(0, inputGradient.Length).ToArray(), inputGradient);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Causal_attention_rows_are_those_of_a_full_batch_forward_backward_and_streaming(int rows)
    {
        const int B = 3, T = 6, F = 2, O = 2;
        float[] input = Random(B * T * F, 5);
        var full = new PartialAttention(9);
        var partial = new PartialAttention(9);
        // Four of the six steps: the first four of every row.
        float[] shortInput = new float[B * 4 * F];
        for (int b = 0; b < B; b++) input.AsSpan(b * T * F, 4 * F).CopyTo(shortInput.AsSpan(b * 4 * F));
        var fullOutput = new float[B * 4 * O];
        full.Forward(shortInput, fullOutput, 4);
        var output = new float[rows * 4 * O];
        partial.Forward(shortInput.AsSpan(0, rows * 4 * F), output, 4);
        Assert.Equal(fullOutput.AsSpan(0, output.Length).ToArray(), output);

        float[] gradient = Random(B * 4 * O, 6);
        gradient.AsSpan(rows * 4 * O).Clear();
        var fullInputGradient = new float[B * 4 * F];
        var inputGradient = new float[rows * 4 * F];
        full.ZeroGradients();
        full.Backward(gradient, fullInputGradient);
        partial.ZeroGradients();
        partial.Backward(gradient.AsSpan(0, rows * 4 * O), inputGradient);
        Assert.Equal(full.Gradients.ToArray(), partial.Gradients.ToArray());
        Assert.Equal(fullInputGradient.AsSpan(0, inputGradient.Length).ToArray(), inputGradient);

        full.ResetState();
        partial.ResetState();
        var fullStep = new float[B * O];
        var step = new float[rows * O];
        var column = new float[B * F];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++) input.AsSpan((b * T + t) * F, F).CopyTo(column.AsSpan(b * F));
            full.Step(column, fullStep);
            partial.Step(column.AsSpan(0, rows * F), step);
            Assert.Equal(fullStep.AsSpan(0, step.Length).ToArray(), step);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Encoder_decoder_rows_are_those_of_a_full_batch_teacher_forced_and_streaming(int rows)
    {
        // TokenBiLstmAdditive: 3 rows, sources of 5 tokens below 7, targets of 4 tokens below 6, 5 outputs a step.
        const int B = 3, S = 5, T = 4, O = 5;
        var random = new SeededRandom(11);
        int[] source = Enumerable.Range(0, B * S).Select(_ => (int)(random.NextUInt32() % 7)).ToArray();
        int[] target = Enumerable.Range(0, B * T).Select(_ => (int)(random.NextUInt32() % 6)).ToArray();
        int[] sourceLengths = [5, 2, 4];
        var full = new Seq2Seq.TokenBiLstmAdditive(3);
        var partial = new Seq2Seq.TokenBiLstmAdditive(3);
        var fullOutput = new float[B * T * O];
        full.Forward(source, target, fullOutput, S, T, sourceLengths);
        var output = new float[rows * T * O];
        partial.Forward(source.AsSpan(0, rows * S), target.AsSpan(0, rows * T), output, S, T, sourceLengths.AsSpan(0, rows));
        Assert.Equal(fullOutput.AsSpan(0, output.Length).ToArray(), output);

        float[] gradient = Random(B * T * O, 12);
        gradient.AsSpan(rows * T * O).Clear();
        full.ZeroGradients();
        full.Backward(gradient);
        partial.ZeroGradients();
        partial.Backward(gradient.AsSpan(0, rows * T * O));
        Assert.Equal(full.Gradients.ToArray(), partial.Gradients.ToArray());

        full.Encode(source, S, sourceLengths);
        partial.Encode(source.AsSpan(0, rows * S), S, sourceLengths.AsSpan(0, rows));
        var fullStep = new float[B * O];
        var step = new float[rows * O];
        for (int t = 0; t < T; t++)
        {
            int[] column = Enumerable.Range(0, B).Select(b => target[b * T + t]).ToArray();
            full.Step(column, fullStep);
            partial.Step(column.AsSpan(0, rows), step);
            Assert.Equal(fullStep.AsSpan(0, step.Length).ToArray(), step);
        }
    }

    [Fact]
    public void A_smaller_batch_allocates_nothing()
    {
        var model = new PartialTokenLm(1);
        int[] tokens = Tokens(2 * 6, 7);
        var output = new float[2 * 6 * 11];
        var step = new float[2 * 11];
        Assert.Equal(0, Allocations.Of(() => model.Forward(tokens, output)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(output)));
        Assert.Equal(0, Allocations.Of(() => model.Step(tokens.AsSpan(0, 2), step)));
    }

    [Fact]
    public void A_batch_of_no_rows_too_many_rows_or_part_of_a_row_is_refused()
    {
        var model = new PartialBiGru(1);
        var output = new float[5 * 2];
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => model.Forward(Array.Empty<float>(), output)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => model.Forward(new float[5 * 5 * 3], output)).ParamName);
        var e = Assert.Throws<ArgumentException>(() => model.Forward(new float[2 * 5 * 3 + 1], output));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("1 to 4 rows of 15 values", e.Message, StringComparison.Ordinal);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => model.Forward(new float[2 * 5 * 3], new float[3 * 2])).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => model.Forward(new float[2 * 5 * 3], new float[2 * 2], 5, new[] { 5, 5, 5 })).ParamName);

        // Backward takes the last Forward's rows.
        model.Forward(new float[2 * 5 * 3], new float[2 * 2]);
        Assert.Equal("outputGradient", Assert.Throws<ArgumentException>(() => model.Backward(new float[4 * 2])).ParamName);
    }
}

/// <summary>Partial batches in a model compiled for inference only (no Backward): Forward's rows as in a full batch.</summary>
public class InferenceOnlyPartialBatchTests
{
    [Fact]
    public void An_inference_only_model_takes_a_smaller_batch()
    {
        // DeployedEncoder: [Model(SequenceLength = 6, BatchSize = 3, InferenceOnly = true)], 8 features in, 2 out.
        var input = new float[3 * 6 * 8];
        new SeededRandom(21).FillNormal(input);
        var model = new DeployedEncoder(2);
        var full = new float[3 * 6 * 2];
        model.Forward(input, full, 6, [6, 3, 5]);
        var partial = new float[2 * 6 * 2];
        model.Forward(input.AsSpan(0, 2 * 6 * 8), partial, 6, [6, 3]);
        Assert.Equal(full.AsSpan(0, partial.Length).ToArray(), partial);
    }
}
