using Xunit;

namespace Unroll.Tests.Transformer;

/// <summary>
/// <c>[TransformerDecoderLayer]</c> beyond the golden cases: Encode + Step ≡ Forward (outputs and cross-attention weights),
/// the cache's end, ReorderState and beam search, finite differences with dropout on and off, partial batches, PyTorch's
/// weights compiled into an inference twin, a frozen decoder, nothing allocated per call, and bad arguments.
/// </summary>
public class TransformerDecoderLayerTests
{
    private const int B = 3, Ts = 5, Td = 4, O = 6, Heads = 2;

    private static int[] Tokens(int count, int vocabulary, ulong seed)
    {
        var random = new SeededRandom(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)(random.NextUInt32() % (uint)vocabulary);
        return tokens;
    }

    private static double[] Doubles(ReadOnlySpan<float> values) => values.ToArray().Select(v => (double)v).ToArray();

    [Theory]
    [InlineData(null)]
    [InlineData(new[] { 5, 1, 3 })]
    public void Encode_then_Step_gives_what_Forward_gives(int[]? lengths)
    {
        var model = new TokenTransformer(8);
        int[] source = Tokens(B * Ts, 9, 71), target = Tokens(B * Td, 7, 72);
        var output = new float[B * Td * O];
        model.Forward(source, target, output, Ts, Td, lengths);
        float[] weights = model.Decoder.CrossAttentionWeights.ToArray(); // [batch, head, target step, source step]

        model.Encode(source, Ts, lengths);
        var tokens = new int[B];
        var step = new float[B * O];
        for (int t = 0; t < Td; t++)
        {
            for (int b = 0; b < B; b++) tokens[b] = target[b * Td + t];
            model.Step(tokens, step);
            for (int b = 0; b < B; b++)
            {
                Tolerance.AssertClose(step.AsSpan(b * O, O), Doubles(output.AsSpan((b * Td + t) * O, O)), $"step {t} row {b}", 1e-5, 1e-5);
                for (int h = 0; h < Heads; h++)
                {
                    Tolerance.AssertClose(model.Decoder.StepCrossAttentionWeights.Slice((b * Heads + h) * Ts, Ts), Doubles(weights.AsSpan(((b * Heads + h) * Td + t) * Ts, Ts)),
                        $"cross-attention weights, step {t} row {b} head {h}", 1e-6, 1e-5);
                }
            }
        }
        if (lengths is not null)
        {
            for (int h = 0; h < Heads; h++) Assert.All(model.Decoder.StepCrossAttentionWeights.Slice((1 * Heads + h) * Ts + 1, Ts - 1).ToArray(), w => Assert.Equal(0f, w));
        }

        // The cache ends at TargetLength steps; ResetState starts again from position 0 over the same memory.
        var error = Assert.Throws<InvalidOperationException>(() => model.Step(tokens, step));
        Assert.Contains("TargetLength", error.Message);
        model.ResetState();
        for (int b = 0; b < B; b++) tokens[b] = target[b * Td];
        model.Step(tokens, step);
        for (int b = 0; b < B; b++) Tolerance.AssertClose(step.AsSpan(b * O, O), Doubles(output.AsSpan(b * Td * O, O)), "after ResetState", 1e-5, 1e-5);
    }

    [Fact]
    public void ReorderState_moves_the_caches_and_encoded_sources_with_the_rows()
    {
        int[] source = Tokens(B * Ts, 9, 81);
        int[] lengths = { 5, 2, 4 };
        int[] order = { 2, 2, 0 };
        var model = new TokenTransformer(9);
        var reference = new TokenTransformer(9);
        var permutedSource = new int[B * Ts];
        var permutedLengths = new int[B];
        for (int b = 0; b < B; b++)
        {
            source.AsSpan(order[b] * Ts, Ts).CopyTo(permutedSource.AsSpan(b * Ts, Ts));
            permutedLengths[b] = lengths[order[b]];
        }
        int[] first = { 1, 2, 3 }, second = { 4, 0, 5 }, third = { 6, 6, 1 };
        var output = new float[B * O];
        var expected = new float[B * O];

        model.Encode(source, Ts, lengths);
        model.Step(first, output);
        model.Step(second, output);
        model.ReorderState(order);
        model.Step(third, output);

        reference.Encode(permutedSource, Ts, permutedLengths);
        reference.Step(order.Select(r => first[r]).ToArray(), expected);
        reference.Step(order.Select(r => second[r]).ToArray(), expected);
        reference.Step(third, expected);
        Tolerance.AssertIdentical(output, expected, "reordered");
    }

    [Fact]
    public void Beam_search_and_greedy_decoding_drive_the_decoder()
    {
        var trained = new TokenTransformer(10);
        var model = new TokenTransformerBeams();
        trained.Parameters.CopyTo(model.Parameters);
        int[] one = Tokens(Ts, 9, 91);
        model.Encode(Enumerable.Range(0, 4).SelectMany(_ => one).ToArray());
        var search = new BeamSearch(model, maxLength: Td, endToken: 5);
        var tokens = new int[Td];
        int[] prompt = { 0 };
        int count = search.Search(prompt, tokens, out float score);
        Assert.InRange(count, 1, Td);
        Assert.True(score <= 0);
        Assert.Equal(0, Allocations.Of(() => search.Search(prompt, tokens, out _)));

        // Greedy decoding from the same encoded source gives the most likely first token.
        var decoder = new TokenDecoder(model);
        var greedy = new int[Td];
        decoder.Greedy(prompt, greedy);
        model.ResetState();
        var logits = new float[4 * O];
        model.Step(new[] { 0, 0, 0, 0 }, logits);
        Assert.Equal(Sampling.ArgMax(logits.AsSpan(0, O)), greedy[0]);
        Assert.Equal(0, Allocations.Of(() => decoder.Greedy(prompt, greedy)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_matches_finite_differences_with_dropout(bool training)
    {
        var model = new DropoutTransformer(5) { Training = training };
        var source = new float[2 * 4 * 3];
        new SeededRandom(6).FillNormal(source);
        var target = new float[2 * 3 * 6];
        new SeededRandom(7).FillNormal(target);
        var weights = new float[2 * 3 * 3];
        new SeededRandom(8).FillNormal(weights);
        // The same dropout masks on every evaluation: the generator restarts from one state.
        var state = new float[4];
        model.DropoutGenerator.SaveState(state);
        FloatFiniteDifferences.AssertModelGradients(model, weights, output =>
        {
            model.DropoutGenerator.LoadState(state);
            model.Forward(source, target, output, 4, 3, [4, 2]);
        }, step: 1e-3f);
    }

    [Fact]
    public void Dropout_is_active_only_in_training()
    {
        var model = new DropoutTransformer(5);
        var source = new float[2 * 4 * 3];
        new SeededRandom(9).FillNormal(source);
        var target = new float[2 * 3 * 6];
        var a = new float[2 * 3 * 3];
        var b = new float[a.Length];
        model.Forward(source, target, a);
        model.Forward(source, target, b);
        Assert.NotEqual(a, b);
        model.Training = false;
        model.Forward(source, target, a);
        model.Forward(source, target, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_partial_batch_gives_each_row_what_the_full_batch_gives_it()
    {
        var model = new TokenTransformer(3);
        int[] source = Tokens(B * Ts, 9, 11), target = Tokens(B * 3, 7, 12);
        var full = new float[B * 3 * O];
        model.Forward(source, target, full, Ts, 3, [5, 4, 2]);
        var partial = new float[2 * 3 * O];
        model.Forward(source.AsSpan(0, 2 * Ts), target.AsSpan(0, 2 * 3), partial, Ts, 3, [5, 4]);
        Assert.Equal(full.AsSpan(0, 2 * 3 * O).ToArray(), partial);

        // Backward: the partial batch's gradients are the full batch's with no gradient at its third row's outputs.
        var dy = new float[B * 3 * O];
        new SeededRandom(13).FillNormal(dy.AsSpan(0, 2 * 3 * O));
        model.Forward(source, target, full, Ts, 3, [5, 4, 2]);
        model.ZeroGradients();
        model.Backward(dy);
        float[] fullGradients = model.Gradients.ToArray();
        model.Forward(source.AsSpan(0, 2 * Ts), target.AsSpan(0, 2 * 3), partial, Ts, 3, [5, 4]);
        model.ZeroGradients();
        model.Backward(dy.AsSpan(0, 2 * 3 * O));
        Assert.Equal(fullGradients, model.Gradients.ToArray());

        model.Encode(source, Ts, [5, 4, 2]);
        var steps = new float[B * O];
        model.Step(target.AsSpan(0, B), steps);
        model.Encode(source.AsSpan(0, 2 * Ts), Ts, [5, 4]);
        var partialSteps = new float[2 * O];
        model.Step(target.AsSpan(0, 2), partialSteps);
        Assert.Equal(steps.AsSpan(0, 2 * O).ToArray(), partialSteps);
    }

    [Fact]
    public void Weights_round_trip_through_safetensors_under_PyTorch_s_names()
    {
        var model = new TokenTransformer(14);
        string path = Path.Combine(Path.GetTempPath(), $"unroll-transformer-{Environment.ProcessId}.safetensors");
        try
        {
            model.SaveSafetensors(path);
            var loaded = new TokenTransformer(15);
            loaded.LoadSafetensors(path);
            Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
            Assert.Contains("Decoder.layers.1.norm3.bias", loaded.NamedParameters.Select(p => p.Name));
            Assert.Contains("Decoder.embedding.weight", loaded.NamedParameters.Select(p => p.Name));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Compiled_in_weights_give_PyTorch_s_output_and_decode()
    {
        var golden = GoldenCase.Load("transformer_decoder_post");
        var model = new CompiledTransformerPost();
        float[] source = golden.Tensor("inputs", "src").Values.Select(v => (float)v).ToArray();
        int[] target = golden.Tensor("inputs", "tgt_in").Values.Select(v => (int)v).ToArray();
        var output = new float[3 * 4 * 5];
        model.Forward(source, target, output, 5, 4, golden.Lengths);
        Tolerance.AssertClose(output, golden.Tensor("outputs", "output").Values, "output", 1e-5, 1e-5);

        // Its steps give the same outputs.
        model.Encode(source, 5, golden.Lengths);
        var step = new float[3 * 5];
        var tokens = new int[3];
        for (int t = 0; t < 4; t++)
        {
            for (int b = 0; b < 3; b++) tokens[b] = target[b * 4 + t];
            model.Step(tokens, step);
            for (int b = 0; b < 3; b++) Tolerance.AssertClose(step.AsSpan(b * 5, 5), Doubles(output.AsSpan((b * 4 + t) * 5, 5)), $"step {t} row {b}", 1e-5, 1e-5);
        }
    }

    [Fact]
    public void A_frozen_decoder_passes_gradients_to_the_encoder_without_its_own()
    {
        var model = new FrozenDecoderTransformer(1);
        var twin = new TokenTransformer(2);
        long decoderParameters = twin.NamedParameters.Where(p => p.Name.StartsWith("Decoder.")).Sum(p => (long)p.Values.Length);
        Assert.Equal(FrozenDecoderTransformer.ParameterCount, TokenTransformer.ParameterCount - decoderParameters);
        foreach (NamedParameter p in twin.NamedParameters) p.Values.CopyTo(model.NamedParameters[p.Name].Values);
        int[] source = Tokens(B * Ts, 9, 21), target = Tokens(B * Td, 7, 22);
        var output = new float[B * Td * O];
        var expected = new float[output.Length];
        model.Forward(source, target, output, Ts, Td, [5, 3, 4]);
        twin.Forward(source, target, expected, Ts, Td, [5, 3, 4]);
        Assert.Equal(expected, output);
        var dy = new float[output.Length];
        new SeededRandom(4).FillNormal(dy);
        model.ZeroGradients();
        twin.ZeroGradients();
        model.Backward(dy);
        twin.Backward(dy);
        foreach (NamedParameter p in model.NamedParameters.Where(p => !p.IsFrozen))
            Assert.Equal(twin.NamedParameters[p.Name].Gradients.ToArray(), p.Gradients.ToArray());
        Assert.True(model.NamedParameters["Decoder.layers.1.multihead_attn.in_proj_weight"].IsFrozen);
    }

    [Fact]
    public void Forward_Backward_Encode_Step_and_ReorderState_allocate_nothing()
    {
        var model = new DropoutTransformer(11);
        var source = new float[2 * 4 * 3];
        var target = new float[2 * 3 * 6];
        new SeededRandom(12).FillNormal(source);
        var output = new float[2 * 3 * 3];
        var gradient = new float[output.Length];
        var sourceGradient = new float[source.Length];
        var targetGradient = new float[target.Length];
        var step = new float[2 * 3];
        int[] lengths = { 4, 3 }, order = { 1, 0 };
        Assert.Equal(0, Allocations.Of(() => model.Forward(source, target, output, 4, 3, lengths)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(gradient, sourceGradient, targetGradient)));
        Assert.Equal(0, Allocations.Of(() => model.Encode(source, 4, lengths)));
        Assert.Equal(0, Allocations.Of(() =>
        {
            model.ResetState();
            model.Step(target.AsSpan(0, 2 * 6), step);
        }));
        Assert.Equal(0, Allocations.Of(() => model.ReorderState(order)));
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_argument_and_change_nothing()
    {
        var model = new TokenTransformer(12);
        int[] source = Tokens(B * Ts, 9, 111), target = Tokens(B * Td, 7, 112);
        var output = new float[B * Td * O];
        model.Forward(source, target, output);
        float[] before = output.ToArray();

        void Throws(string name, Action action) => Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(action).ParamName);
        Throws("targetInput", () => model.Forward(source, target.AsSpan(1).ToArray(), output));
        Throws("targetLength", () => model.Forward(source, target, output, 5, 5));
        Throws("targetInput", () => model.Forward(source, target.Select(_ => 7).ToArray(), output));
        Throws("tokens", () => model.Step(new[] { 0, 1, 7 }, new float[B * O]));
        Throws("sources", () => model.ReorderState(new[] { 0, 1, 3 }));
        model.Backward(new float[B * Td * O]);

        var fresh = new TokenTransformer(13);
        Assert.Throws<InvalidOperationException>(() => fresh.Step(new[] { 0, 1, 2 }, new float[B * O]));
        model.Encode(source);
        Assert.Throws<InvalidOperationException>(() => model.Backward(new float[B * Td * O]));
        model.Forward(source, target, output);
        Tolerance.AssertIdentical(output, before, "the same Forward again");
    }
}
