using Xunit;

namespace Unroll.Tests;

/// <summary>A causal transformer block feeding an LSTM: it streams with a key/value cache.</summary>
[Model(SequenceLength = 7, BatchSize = 3)]
public partial class StreamingAttentionModel
{
    [Embedding(11, 8)] public partial EmbeddingLayer Embed { get; }
    [SelfAttention(8, NumHeads = 2, Causal = true, Residual = true)] public partial SelfAttentionLayer Attn { get; }
    [LayerNorm(8)] public partial LayerNormLayer Norm { get; }
    [Lstm(8, 6)] public partial LstmLayer Rnn { get; }
    [Linear(6, 11)] public partial LinearLayer Head { get; }
}

/// <summary>
/// Causal self-attention streams: each <c>Step</c> appends its keys and values to a cache and attends over
/// it, so a run of steps gives what <c>Forward</c> gives; beam search and sampling drive such models too.
/// </summary>
public class AttentionStreamingTests
{
    private static int[] Tokens(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)(random.NextUInt32() % 11);
        return tokens;
    }

    [Fact]
    public void Steps_give_what_Forward_gives_and_ResetState_empties_the_cache()
    {
        const int B = 3, T = 7, V = 11;
        var model = new StreamingAttentionModel(1);
        int[] tokens = Tokens(B * T, 2);
        var output = new float[B * T * V];
        model.Forward(tokens, output);

        for (int pass = 0; pass < 2; pass++)
        {
            model.ResetState();
            var step = new int[B];
            var stepOutput = new float[B * V];
            for (int t = 0; t < T; t++)
            {
                for (int b = 0; b < B; b++) step[b] = tokens[b * T + t];
                model.Step(step, stepOutput);
                for (int b = 0; b < B; b++)
                {
                    Tolerance.AssertClose(stepOutput.AsSpan(b * V, V), output.AsSpan((b * T + t) * V, V).ToArray().Select(v => (double)v).ToArray(), $"pass {pass} step {t} row {b}", 1e-6, 1e-5);
                }
            }
            Assert.Throws<InvalidOperationException>(() => model.Step(step, stepOutput));
        }
    }

    [Fact]
    public void ReorderState_moves_the_cached_keys_and_values()
    {
        const int B = 3, V = 11;
        var model = new StreamingAttentionModel(3);
        var reference = new StreamingAttentionModel(3);
        int[] order = { 2, 0, 2 };
        int[] first = { 1, 2, 3 }, second = { 4, 5, 6 }, third = { 7, 8, 9 };
        var output = new float[B * V];
        var expected = new float[B * V];
        model.ResetState();
        model.Step(first, output);
        model.Step(second, output);
        model.ReorderState(order);
        model.Step(third, output);

        reference.ResetState();
        reference.Step(order.Select(r => first[r]).ToArray(), expected);
        reference.Step(order.Select(r => second[r]).ToArray(), expected);
        reference.Step(third, expected);
        Tolerance.AssertIdentical(output, expected, "reordered");
    }

    [Fact]
    public void Decoders_drive_it_without_allocating()
    {
        var model = new StreamingAttentionModel(4);
        var decoder = new TokenDecoder(model);
        var search = new BeamSearch(model, maxLength: 5, endToken: 10);
        int[] prompt = { 1, 2 };
        var output = new int[5];
        var random = new SeededRandom(5);
        Assert.Equal(5, decoder.Greedy(prompt, output));
        Assert.InRange(search.Search(prompt, output, out _), 1, 5);
        Assert.Equal(0, Allocations.Of(() => decoder.Sample(prompt, output, random, temperature: 0.8f, topK: 4)));
        Assert.Equal(0, Allocations.Of(() => search.Search(prompt, output, out _)));
    }
}
