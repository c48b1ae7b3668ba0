using Xunit;

namespace Unroll.Tests.Seq2Seq;

/// <summary>
/// Encoder–decoder models at sizes and options the golden case does not cover: gradients against finite
/// differences (every parameter and float input, with the attention weights and final states in the loss),
/// run-time lengths, per-row source lengths, Step ≡ Forward, ReorderState, allocations and bad arguments.
/// </summary>
public class Seq2SeqTests
{
    private static float[] Random(int count, ulong seed, float scale = 1f)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        random.FillUniform(values, -scale, scale);
        return values;
    }

    private static int[] Tokens(int count, int vocabulary, ulong seed)
    {
        var random = new SeededRandom(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)(random.NextUInt32() % (uint)vocabulary);
        return tokens;
    }

    /// <summary>
    /// loss = Σ r ⊙ output + Σ u ⊙ attention weights + Σ q ⊙ s_n (+ Σ k ⊙ c_n): seeds the gradients of the
    /// decoder view and returns the loss and ∂loss/∂output.
    /// </summary>
    private sealed class LinearLoss
    {
        private readonly float[] _r, _u, _q, _k;
        private readonly int _weights;

        public LinearLoss(int outputs, int weights, int states)
        {
            _r = Random(outputs, 11);
            _u = Random(weights, 12);
            _q = Random(states, 13);
            _k = Random(states, 14);
            _weights = weights;
        }

        public float[] OutputGradient => _r;

        public double Value(ReadOnlySpan<float> output, AttentionDecoderLayer decoder)
        {
            double loss = 0;
            for (int i = 0; i < output.Length; i++) loss += _r[i] * (double)output[i];
            for (int i = 0; i < _weights; i++) loss += _u[i] * (double)decoder.AttentionWeights[i];
            for (int i = 0; i < _q.Length; i++) loss += _q[i] * (double)decoder.FinalHidden[i];
            for (int i = 0; i < decoder.FinalCell.Length; i++) loss += _k[i] * (double)decoder.FinalCell[i];
            return loss;
        }

        public void Seed(AttentionDecoderLayer decoder)
        {
            _u.CopyTo(decoder.AttentionWeightsGradient);
            _q.CopyTo(decoder.FinalHiddenGradient);
            if (!decoder.FinalCellGradient.IsEmpty) _k.CopyTo(decoder.FinalCellGradient);
        }
    }

    [Theory]
    [InlineData(5, 4, null)]
    [InlineData(5, 3, new[] { 5, 2, 4 })]
    [InlineData(3, 2, new[] { 1, 3, 2 })]
    public void Tokens_bidirectional_additive_backward_matches_finite_differences(int sourceLength, int targetLength, int[]? lengths)
    {
        var model = new TokenBiLstmAdditive(3);
        const int B = TokenBiLstmAdditive.BatchSize, O = TokenBiLstmAdditive.OutputSize;
        int[] source = Tokens(B * sourceLength, 7, 21), target = Tokens(B * targetLength, 6, 22);
        var output = new float[B * targetLength * O];
        var loss = new LinearLoss(output.Length, B * targetLength * sourceLength, B * 8);
        double Loss()
        {
            model.Forward(source, target, output, sourceLength, targetLength, lengths);
            return loss.Value(output, model.Decoder);
        }

        Loss();
        if (lengths is not null)
        {
            for (int b = 0; b < B; b++)
                for (int t = 0; t < targetLength; t++)
                    for (int j = lengths[b]; j < sourceLength; j++)
                        Assert.Equal(0f, model.Decoder.AttentionWeights[(b * targetLength + t) * sourceLength + j]);
        }
        loss.Seed(model.Decoder);
        model.ZeroGradients();
        model.Backward(loss.OutputGradient);
        FloatFiniteDifferences.AssertMatches(model.Parameters, model.Gradients.ToArray(), Loss, "∂parameters");
    }

    [Theory]
    [InlineData(6, 3, null)]
    [InlineData(4, 2, new[] { 2, 4 })]
    public void Float_gru_dot_backward_matches_finite_differences(int sourceLength, int targetLength, int[]? lengths)
    {
        var model = new FloatGruDot(4);
        const int B = FloatGruDot.BatchSize;
        float[] source = Random(B * sourceLength * 3, 31), target = Random(B * targetLength * 2, 32);
        var output = new float[B * targetLength * FloatGruDot.OutputSize];
        var loss = new LinearLoss(output.Length, B * targetLength * sourceLength, B * 4);
        double Loss()
        {
            model.Forward(source, target, output, sourceLength, targetLength, lengths);
            return loss.Value(output, model.Decoder);
        }

        Loss();
        Assert.True(model.Decoder.FinalCell.IsEmpty);
        loss.Seed(model.Decoder);
        model.ZeroGradients();
        var sourceGradient = new float[source.Length];
        var targetGradient = new float[target.Length];
        model.Backward(loss.OutputGradient, sourceGradient, targetGradient);
        FloatFiniteDifferences.AssertMatches(model.Parameters, model.Gradients.ToArray(), Loss, "∂parameters");
        FloatFiniteDifferences.AssertMatches(source, sourceGradient, Loss, "∂source");
        FloatFiniteDifferences.AssertMatches(target, targetGradient, Loss, "∂target");
    }

    [Fact]
    public void Float_stacked_general_backward_matches_finite_differences()
    {
        var model = new FloatStackedGeneral(5);
        const int B = 2, Ts = 4, Td = 3;
        float[] source = Random(B * Ts * 3, 41), target = Random(B * Td * 2, 42);
        var output = new float[B * Td * 3];
        var loss = new LinearLoss(output.Length, B * Td * Ts, B * 4);
        int[] lengths = { 3, 4 };
        double Loss()
        {
            model.Forward(source, target, output, Ts, Td, lengths);
            return loss.Value(output, model.Decoder);
        }

        Loss();
        loss.Seed(model.Decoder);
        model.Encoder.FinalHiddenGradient.Fill(0.5f); // the encoder's own final-state gradients enter too
        model.ZeroGradients();
        var sourceGradient = new float[source.Length];
        var targetGradient = new float[target.Length];
        model.Backward(loss.OutputGradient, sourceGradient, targetGradient);
        double LossWithEncoderState() => Loss() + 0.5 * Sum(model.Encoder.FinalHidden);
        FloatFiniteDifferences.AssertMatches(model.Parameters, model.Gradients.ToArray(), LossWithEncoderState, "∂parameters");
        FloatFiniteDifferences.AssertMatches(source, sourceGradient, LossWithEncoderState, "∂source");
        FloatFiniteDifferences.AssertMatches(target, targetGradient, LossWithEncoderState, "∂target");
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += v;
        return sum;
    }

    [Fact]
    public void Elman_encoder_starts_an_lstm_decoder_with_zero_cell_state()
    {
        var model = new RnnToLstm(6);
        const int B = 2, Ts = 4, Td = 3;
        float[] source = Random(B * Ts * 2, 51), target = Random(B * Td * 2, 52);
        var output = new float[B * Td * 2];
        var loss = new LinearLoss(output.Length, B * Td * Ts, B * 3);
        double Loss()
        {
            model.Forward(source, target, output);
            return loss.Value(output, model.Decoder);
        }

        Loss();
        Assert.All(model.Decoder.InitialCell.ToArray(), c => Assert.Equal(0f, c));
        Tolerance.AssertIdentical(model.Decoder.InitialHidden, model.Encoder.FinalHidden, "s_0 = h_n");
        loss.Seed(model.Decoder);
        model.ZeroGradients();
        var sourceGradient = new float[source.Length];
        var targetGradient = new float[target.Length];
        model.Backward(loss.OutputGradient, sourceGradient, targetGradient);
        FloatFiniteDifferences.AssertMatches(model.Parameters, model.Gradients.ToArray(), Loss, "∂parameters");
        FloatFiniteDifferences.AssertMatches(source, sourceGradient, Loss, "∂source");
    }

    [Fact]
    public void Bidirectional_encoder_final_states_side_by_side_start_the_decoder()
    {
        var model = new TokenBiLstmAdditive(7);
        int[] source = Tokens(3 * 5, 7, 61), target = Tokens(3 * 4, 6, 62);
        model.Forward(source, target, new float[3 * 4 * 5]);
        for (int b = 0; b < 3; b++)
        {
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(model.Encoder.FinalHidden[b * 4 + k], model.Decoder.InitialHidden[b * 8 + k]);
                Assert.Equal(model.Encoder.FinalHidden[12 + b * 4 + k], model.Decoder.InitialHidden[b * 8 + 4 + k]);
                Assert.Equal(model.Encoder.FinalCell[12 + b * 4 + k], model.Decoder.InitialCell[b * 8 + 4 + k]);
            }
        }
    }

    /// <summary>
    /// Per-row source lengths behave as PyTorch's packed sequences: a padded row gives what the same row gives
    /// unpadded (the encoder ignores the padding in both directions, the attention gives it no weight).
    /// </summary>
    [Theory]
    [InlineData(new[] { 5, 2, 4 })]
    [InlineData(new[] { 1, 3, 5 })]
    public void Padded_rows_give_what_they_give_unpadded(int[] lengths)
    {
        const int B = 3, Ts = 5, Td = 4, O = 5;
        var model = new TokenBiLstmAdditive(14);
        int[] source = Tokens(B * Ts, 7, 121), target = Tokens(B * Td, 6, 122);
        var output = new float[B * Td * O];
        model.Forward(source, target, output, Ts, Td, lengths);
        float[] weights = model.Decoder.AttentionWeights.Slice(0, B * Td * Ts).ToArray();

        for (int b = 0; b < B; b++)
        {
            int length = lengths[b];
            var alone = new int[B * length];
            var aloneTarget = new int[B * Td];
            for (int r = 0; r < B; r++)
            {
                source.AsSpan(b * Ts, length).CopyTo(alone.AsSpan(r * length, length));
                target.AsSpan(b * Td, Td).CopyTo(aloneTarget.AsSpan(r * Td, Td));
            }
            var aloneOutput = new float[B * Td * O];
            model.Forward(alone, aloneTarget, aloneOutput, length, Td);
            Tolerance.AssertClose(output.AsSpan(b * Td * O, Td * O), aloneOutput.AsSpan(0, Td * O).ToArray().Select(v => (double)v).ToArray(), $"row {b}", 1e-6, 1e-5);
            for (int t = 0; t < Td; t++)
            {
                Tolerance.AssertClose(weights.AsSpan((b * Td + t) * Ts, length), model.Decoder.AttentionWeights.Slice(t * length, length).ToArray().Select(v => (double)v).ToArray(), $"row {b} weights {t}", 1e-6, 1e-5);
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(new[] { 5, 1, 3 })]
    public void Encode_then_Step_gives_what_Forward_gives(int[]? lengths)
    {
        var model = new TokenBiLstmAdditive(8);
        const int B = 3, Ts = 5, Td = 4, O = 5;
        int[] source = Tokens(B * Ts, 7, 71), target = Tokens(B * Td, 6, 72);
        var output = new float[B * Td * O];
        model.Forward(source, target, output, Ts, Td, lengths);
        float[] weights = model.Decoder.AttentionWeights.Slice(0, B * Td * Ts).ToArray();
        float[] finalHidden = model.Decoder.FinalHidden.ToArray();

        model.Encode(source, Ts, lengths);
        var tokens = new int[B];
        var step = new float[B * O];
        for (int t = 0; t < Td; t++)
        {
            for (int b = 0; b < B; b++) tokens[b] = target[b * Td + t];
            model.Step(tokens, step);
            for (int b = 0; b < B; b++)
            {
                Tolerance.AssertClose(step.AsSpan(b * O, O), output.AsSpan((b * Td + t) * O, O).ToArray().Select(v => (double)v).ToArray(), $"step {t} row {b}", 1e-6, 1e-5);
                Tolerance.AssertClose(model.Decoder.StepAttentionWeights.Slice(b * Ts, Ts), weights.AsSpan((b * Td + t) * Ts, Ts).ToArray().Select(v => (double)v).ToArray(), $"weights {t} row {b}", 1e-6, 1e-5);
            }
        }
        Tolerance.AssertClose(model.Decoder.FinalHidden, finalHidden.Select(v => (double)v).ToArray(), "s_n", 1e-6, 1e-5);

        // ResetState returns to the encoder's final state: the same steps again give the same outputs.
        model.ResetState();
        for (int b = 0; b < B; b++) tokens[b] = target[b * Td];
        var again = new float[B * O];
        model.Step(tokens, again);
        for (int b = 0; b < B; b++) Tolerance.AssertClose(again.AsSpan(b * O, O), output.AsSpan(b * Td * O, O).ToArray().Select(v => (double)v).ToArray(), "after ResetState", 1e-6, 1e-5);
    }

    [Fact]
    public void ReorderState_moves_states_and_encoded_sources_with_the_rows()
    {
        const int B = 3, Ts = 5, O = 5;
        int[] source = Tokens(B * Ts, 7, 81);
        int[] lengths = { 5, 2, 4 };
        int[] order = { 2, 2, 0 };
        var model = new TokenBiLstmAdditive(9);
        var reference = new TokenBiLstmAdditive(9);
        var permutedSource = new int[B * Ts];
        var permutedLengths = new int[B];
        for (int b = 0; b < B; b++)
        {
            source.AsSpan(order[b] * Ts, Ts).CopyTo(permutedSource.AsSpan(b * Ts, Ts));
            permutedLengths[b] = lengths[order[b]];
        }
        int[] first = { 1, 2, 3 }, second = { 4, 0, 5 };
        var output = new float[B * O];
        var expected = new float[B * O];

        model.Encode(source, Ts, lengths);
        model.Step(first, output);
        model.ReorderState(order);
        model.Step(second, output);

        reference.Encode(permutedSource, Ts, permutedLengths);
        reference.Step(order.Select(r => first[r]).ToArray(), expected);
        reference.Step(second, expected);
        Tolerance.AssertIdentical(output, expected, "reordered");
    }

    [Fact]
    public void Beam_search_drives_the_decoder()
    {
        var model = new TokenBiLstmAdditive(10);
        int[] one = Tokens(5, 7, 91);
        model.Encode(Enumerable.Range(0, 3).SelectMany(_ => one).ToArray());
        var search = new BeamSearch(model, maxLength: 4, endToken: 4);
        var tokens = new int[4];
        int[] prompt = { 0 };
        int count = search.Search(prompt, tokens, out float score);
        Assert.InRange(count, 1, 4);
        Assert.True(score <= 0);
        Assert.Equal(0, Allocations.Of(() => search.Search(prompt, tokens, out _)));

        // Greedy decoding from the same encoded source gives the beam search's first token (the most likely one).
        var decoder = new TokenDecoder(model);
        var greedy = new int[4];
        decoder.Greedy(prompt, greedy);
        model.ResetState();
        var logits = new float[3 * 5];
        model.Step(new[] { 0, 0, 0 }, logits);
        Assert.Equal(Sampling.ArgMax(logits.AsSpan(0, 5)), greedy[0]);
        Assert.Equal(0, Allocations.Of(() => decoder.Greedy(prompt, greedy)));
    }

    [Fact]
    public void Forward_Backward_Encode_Step_and_ReorderState_allocate_nothing()
    {
        var model = new TokenBiLstmAdditive(11);
        int[] source = Tokens(15, 7, 101), target = Tokens(12, 6, 102), lengths = { 5, 3, 4 }, tokens = { 1, 2, 3 }, order = { 1, 0, 2 };
        var output = new float[3 * 4 * 5];
        var gradient = Random(output.Length, 103);
        var step = new float[15];
        Assert.Equal(0, Allocations.Of(() => model.Forward(source, target, output, 5, 4, lengths)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(gradient)));
        Assert.Equal(0, Allocations.Of(() => model.Encode(source, 5, lengths)));
        Assert.Equal(0, Allocations.Of(() => model.Step(tokens, step)));
        Assert.Equal(0, Allocations.Of(() => model.ReorderState(order)));
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_argument_and_change_nothing()
    {
        var model = new TokenBiLstmAdditive(12);
        int[] source = Tokens(15, 7, 111), target = Tokens(12, 6, 112);
        var output = new float[60];
        model.Forward(source, target, output);
        float[] before = output.ToArray();
        float[] weights = model.Decoder.AttentionWeights.ToArray();

        void Throws(string name, Action action) => Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(action).ParamName);
        Throws("source", () => model.Forward(source.AsSpan(1).ToArray(), target, output));
        Throws("targetInput", () => model.Forward(source, target.AsSpan(1).ToArray(), output));
        Throws("output", () => model.Forward(source, target, new float[59]));
        Throws("sourceLength", () => model.Forward(source, target, output, 6, 4));
        Throws("targetLength", () => model.Forward(source, target, output, 5, 5));
        Throws("targetLength", () => model.Forward(source, target, output, 5, 0));
        Throws("sourceLengths", () => model.Forward(source, target, output, 5, 4, new[] { 5, 0, 5 }));
        Throws("sourceLengths", () => model.Forward(source.AsSpan(0, 12).ToArray(), target, output, 4, 4, new[] { 4, 4 }));
        Throws("sourceLengths", () => model.Forward(source.AsSpan(0, 12).ToArray(), target, output, 4, 4, new[] { 4, 5, 4 }));
        Throws("source", () => model.Forward(source.Select(t => t == 0 ? 7 : t).ToArray(), target, output));
        Throws("targetInput", () => model.Forward(source, target.Select(_ => 6).ToArray(), output));
        Throws("tokens", () => model.Step(new[] { 0, 1, 2, 3 }, new float[15])); // more rows than the batch holds (fewer are a smaller batch)
        Throws("outputGradient", () => model.Backward(new float[59]));
        Throws("sources", () => model.ReorderState(new[] { 0, 1, 3 }));

        // Nothing changed: Backward still differentiates the first Forward, whose weights are intact.
        Tolerance.AssertIdentical(model.Decoder.AttentionWeights, weights, "weights after failed calls");
        model.Backward(new float[60]);

        // Step needs Encode; Encode replaces what Backward needs.
        var fresh = new TokenBiLstmAdditive(13);
        Assert.Throws<InvalidOperationException>(() => fresh.Step(new[] { 0, 1, 2 }, new float[15]));
        Assert.Throws<InvalidOperationException>(() => fresh.Backward(new float[60]));
        model.Encode(source);
        Assert.Throws<InvalidOperationException>(() => model.Backward(new float[60]));
        model.Forward(source, target, output);
        Tolerance.AssertIdentical(output, before, "the same Forward again");
    }
}
