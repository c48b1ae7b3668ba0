using Xunit;

namespace Unroll.Tests.Decoding;

/// <summary>Reference computations with the one-row model: plain Step loops, log-softmax in double, exhaustive search.</summary>
internal static class DecReference
{
    public const int V = DecWeights.Vocabulary;

    public static readonly int[][] Prompts = [[0], [3], [1, 4, 2], [5, 5], [2, 0, 3, 1]];

    public static DecLm1 Model(int seed = 1) => DecWeights.With(new DecLm1(), seed);

    /// <summary>Feeds the prompt from the initial state; returns the logits of its last step.</summary>
    public static float[] Prime(DecLm1 model, ReadOnlySpan<int> prompt)
    {
        var logits = new float[V];
        model.ResetState();
        foreach (int token in prompt) model.Step([token], logits);
        return logits;
    }

    public static double[] LogSoftmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float x in logits) max = Math.Max(max, x);
        double sum = 0;
        foreach (float x in logits) sum += Math.Exp(x - max);
        double log = max + Math.Log(sum);
        var result = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++) result[i] = logits[i] - log;
        return result;
    }

    /// <summary>log p(sequence | prompt): the sum of the log-softmax of each generated token.</summary>
    public static double LogProbability(DecLm1 model, ReadOnlySpan<int> prompt, ReadOnlySpan<int> sequence)
    {
        float[] logits = Prime(model, prompt);
        double sum = 0;
        for (int i = 0; i < sequence.Length; i++)
        {
            sum += LogSoftmax(logits)[sequence[i]];
            if (i + 1 < sequence.Length) model.Step([sequence[i]], logits);
        }
        return sum;
    }

    /// <summary>Hugging Face's length-penalised score: log-probability / length^penalty.</summary>
    public static double Score(DecLm1 model, ReadOnlySpan<int> prompt, ReadOnlySpan<int> sequence, double lengthPenalty) =>
        LogProbability(model, prompt, sequence) / Math.Pow(sequence.Length, lengthPenalty);

    /// <summary>The hand-rolled greedy loop: Step, ArgMax, feed back.</summary>
    public static int[] Greedy(DecLm1 model, ReadOnlySpan<int> prompt, int length, int endToken = -1)
    {
        float[] logits = Prime(model, prompt);
        var result = new List<int>();
        while (true)
        {
            int token = Sampling.ArgMax(logits);
            result.Add(token);
            if (token == endToken || result.Count == length) return result.ToArray();
            model.Step([token], logits);
        }
    }

    /// <summary>
    /// Every sequence a search of up to <paramref name="maxLength"/> tokens can return (the end token
    /// only last; shorter than maxLength only when ended), scored; the best first.
    /// </summary>
    public static List<(int[] Tokens, double Score)> Exhaustive(DecLm1 model, ReadOnlySpan<int> prompt, int maxLength, double lengthPenalty, int endToken)
    {
        var all = new List<(int[], double)>();
        for (int n = 1; n <= maxLength; n++)
        {
            int count = (int)Math.Pow(V, n);
            for (int code = 0; code < count; code++)
            {
                var tokens = new int[n];
                for (int i = 0, c = code; i < n; i++, c /= V) tokens[i] = c % V;
                if (tokens.AsSpan(0, n - 1).Contains(endToken)) continue;
                if (n < maxLength && tokens[n - 1] != endToken) continue;
                all.Add((tokens, Score(model, prompt, tokens, lengthPenalty)));
            }
        }
        return all.OrderByDescending(h => h.Item2).ToList();
    }

    /// <summary>
    /// A plain beam search (lists, LINQ, every prefix replayed on the one-row model) that never stops
    /// before <paramref name="maxLength"/> (unless no beam is left, or, with
    /// <paramref name="earlyStopping"/>, <paramref name="width"/> hypotheses have ended) and keeps
    /// every finished hypothesis: what the real search must return, since its stopping rule may only
    /// skip steps that cannot change the result.
    /// </summary>
    public static (int[] Tokens, double Score) BeamSearch(DecLm1 model, int[] prompt, int width, int maxLength, double lengthPenalty, int endToken, bool earlyStopping = false)
    {
        var beams = new List<(int[] Tokens, double Sum)> { ([], 0) };
        var finished = new List<(int[] Tokens, double Score)>();
        for (int length = 0; length < maxLength && beams.Count > 0; length++)
        {
            var candidates = beams
                .SelectMany((beam, b) =>
                {
                    double[] logProbabilities = LogSoftmax(Prime(model, [.. prompt, .. beam.Tokens]));
                    return Enumerable.Range(0, V).Select(v => (Score: beam.Sum + logProbabilities[v], Beam: b, Token: v));
                })
                .OrderByDescending(c => c.Score).ThenBy(c => c.Beam).ThenBy(c => c.Token)
                .Take(2 * width).ToList();
            var next = new List<(int[], double)>();
            for (int r = 0; r < candidates.Count && next.Count < width; r++)
            {
                var (score, b, token) = candidates[r];
                int[] tokens = [.. beams[b].Tokens, token];
                if (token != endToken) next.Add((tokens, score));
                else if (r < width) finished.Add((tokens, score / Math.Pow(length + 1, lengthPenalty)));
            }
            beams = next;
            if (length + 1 == maxLength) finished.AddRange(beams.Select(beam => (beam.Tokens, beam.Sum / Math.Pow(maxLength, lengthPenalty))));
            if (earlyStopping && finished.Count >= width) break;
        }
        return finished.OrderByDescending(h => h.Score).First();
    }

    public static void AssertScore(double expected, float actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 + 1e-5 * Math.Abs(expected), $"{what}: score {actual:R}, recomputed {expected:R}");
}

/// <summary>Greedy decoding and sampling with <see cref="TokenDecoder"/>.</summary>
public class DecoderTests
{
    private const int V = DecReference.V;

    public static TheoryData<int> PromptIndices => new() { 0, 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(PromptIndices))]
    public void Greedy_equals_a_hand_rolled_Step_and_ArgMax_loop(int p)
    {
        int[] prompt = DecReference.Prompts[p];
        var decoder = new TokenDecoder(DecReference.Model());
        var output = new int[12];
        Assert.Equal(12, decoder.Greedy(prompt, output));
        Assert.Equal(DecReference.Greedy(DecReference.Model(), prompt, 12), output);
        // Repeatable: every call starts from the initial state.
        var again = new int[12];
        decoder.Greedy(prompt, again);
        Assert.Equal(output, again);
    }

    [Fact]
    public void A_batch_model_decodes_the_prompt_in_every_row_and_reads_row_0()
    {
        var single = new TokenDecoder(DecReference.Model(3));
        var batch = new TokenDecoder(DecWeights.With(new DecLm3(), 3));
        foreach (int[] prompt in DecReference.Prompts)
        {
            int[] a = new int[10], b = new int[10];
            single.Greedy(prompt, a);
            batch.Greedy(prompt, b);
            Assert.Equal(a, b);
            single.Sample(prompt, a, new SeededRandom(5));
            batch.Sample(prompt, b, new SeededRandom(5));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void Sampling_matches_a_hand_rolled_loop_and_is_reproducible()
    {
        var model = DecReference.Model();
        var decoder = new TokenDecoder(model);
        int[] prompt = [1, 4];
        var output = new int[15];
        Assert.Equal(15, decoder.Sample(prompt, output, new SeededRandom(21), temperature: 1.3f, topK: 4, topP: 0.9f));

        var random = new SeededRandom(21);
        var scratch = new float[2 * V];
        float[] logits = DecReference.Prime(model, prompt);
        var expected = new int[15];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = Sampling.Sample(logits, random, scratch, 1.3f, 4, 0.9f);
            model.Step([expected[i]], logits);
        }
        Assert.Equal(expected, output);

        var again = new int[15];
        decoder.Sample(prompt, again, new SeededRandom(21), temperature: 1.3f, topK: 4, topP: 0.9f);
        Assert.Equal(output, again);

        // Other seeds draw other sequences.
        var distinct = new HashSet<string>();
        for (int seed = 0; seed < 6; seed++)
        {
            decoder.Sample(prompt, again, new SeededRandom((ulong)seed), temperature: 1.5f);
            distinct.Add(string.Join(",", again));
        }
        Assert.True(distinct.Count > 1, "six seeds drew the same sequence");
    }

    [Theory]
    [MemberData(nameof(PromptIndices))]
    public void Sampling_with_temperature_0_or_a_single_candidate_is_greedy(int p)
    {
        int[] prompt = DecReference.Prompts[p];
        var decoder = new TokenDecoder(DecReference.Model());
        int[] greedy = new int[10], sampled = new int[10];
        decoder.Greedy(prompt, greedy);
        decoder.Sample(prompt, sampled, new SeededRandom(1), temperature: 0);
        Assert.Equal(greedy, sampled);
        decoder.Sample(prompt, sampled, new SeededRandom(2), topK: 1);
        Assert.Equal(greedy, sampled);
        decoder.Sample(prompt, sampled, new SeededRandom(3), topP: 1e-6f);
        Assert.Equal(greedy, sampled);
    }

    [Fact]
    public void The_end_token_stops_generation_and_is_written()
    {
        var decoder = new TokenDecoder(DecReference.Model());
        int[] prompt = [2];
        var free = new int[12];
        decoder.Greedy(prompt, free);
        int end = free[3], first = Array.IndexOf(free, end);

        var output = Enumerable.Repeat(-7, 12).ToArray();
        int count = decoder.Greedy(prompt, output, endToken: end);
        Assert.Equal(first + 1, count);
        Assert.Equal(free.AsSpan(0, count).ToArray(), output.AsSpan(0, count).ToArray());
        Assert.Equal(end, output[count - 1]);
        Assert.All(output.AsSpan(count).ToArray(), t => Assert.Equal(-7, t));
        Assert.Equal(DecReference.Greedy(DecReference.Model(), prompt, 12, end), output.AsSpan(0, count).ToArray());

        // Sampling with the same seed draws the same tokens up to the end token.
        decoder.Sample(prompt, free, new SeededRandom(8), temperature: 2);
        end = free[4];
        first = Array.IndexOf(free, end);
        output.AsSpan().Fill(-7);
        count = decoder.Sample(prompt, output, new SeededRandom(8), temperature: 2, endToken: end);
        Assert.Equal(first + 1, count);
        Assert.Equal(free.AsSpan(0, count).ToArray(), output.AsSpan(0, count).ToArray());
        Assert.All(output.AsSpan(count).ToArray(), t => Assert.Equal(-7, t));
    }

    [Fact]
    public void A_full_output_stops_generation()
    {
        var decoder = new TokenDecoder(DecReference.Model());
        var output = new int[3];
        Assert.Equal(3, decoder.Greedy([1], output, endToken: -1));
        Assert.Equal(1, decoder.Greedy([1], output.AsSpan(0, 1)));
        Assert.Equal(output[0], DecReference.Greedy(DecReference.Model(), [1], 1)[0]);
    }

    [Fact]
    public void Greedy_and_Sample_allocate_nothing()
    {
        var decoder = new TokenDecoder(DecReference.Model());
        int[] prompt = [1, 2, 3];
        var output = new int[20];
        var random = new SeededRandom(4);
        Assert.Equal(0, Allocations.Of(() => decoder.Greedy(prompt, output)));
        Assert.Equal(0, Allocations.Of(() => decoder.Greedy(prompt, output, endToken: 2)));
        Assert.Equal(0, Allocations.Of(() => decoder.Sample(prompt, output, random, 0.8f, 3, 0.9f)));
        Assert.Equal(0, Allocations.Of(() => decoder.Sample(prompt, output, random)));
    }

    [Fact]
    public void Bad_arguments_are_rejected_before_the_state_changes()
    {
        var model = DecReference.Model();
        var decoder = new TokenDecoder(model);
        var output = new int[4];
        var random = new SeededRandom(1);
        decoder.Greedy([1, 2], output);
        float[] hidden = model.Rnn.FinalHidden.ToArray();

        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => new TokenDecoder(null!)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => decoder.Greedy([], output)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => decoder.Greedy([1], [])).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Greedy([1], output, endToken: V)).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Greedy([1], output, endToken: -2)).ParamName);
        Assert.Equal("random", Assert.Throws<ArgumentNullException>(() => decoder.Sample([1], output, null!)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => decoder.Sample([], output, random)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => decoder.Sample([1], [], random)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Sample([1], output, random, temperature: -1)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Sample([1], output, random, temperature: float.NaN)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Sample([1], output, random, temperature: float.PositiveInfinity)).ParamName);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Sample([1], output, random, topK: -1)).ParamName);
        Assert.Equal("topP", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Sample([1], output, random, topP: 0)).ParamName);
        Assert.Equal("topP", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Sample([1], output, random, topP: 1.5f)).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Sample([1], output, random, endToken: V)).ParamName);

        // A prompt token outside the vocabulary is refused before the state changes.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Greedy([1, V], output));
        Assert.Equal("prompt", error.ParamName);
        Assert.Contains("index 1", error.Message);
        Assert.Equal("prompt", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Greedy([-1], output)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(DecWeights.With(new DecLm3(), 1), 3).Search([V], output, out _)).ParamName);
        Tolerance.AssertIdentical(model.Rnn.FinalHidden, hidden, "h_n after rejected calls");
    }
}

/// <summary>Beam search with <see cref="BeamSearch"/>: against greedy decoding and an exhaustive search.</summary>
public class BeamSearchTests
{
    private const int V = DecReference.V;

    public static TheoryData<float> LengthPenalties => new() { 1f, 0f, 2f, -0.5f };

    private static IStreamingModel<int> Beam(int width, int seed) => width switch
    {
        1 => DecWeights.With(new DecLm1(), seed),
        3 => DecWeights.With(new DecLm3(), seed),
        6 => DecWeights.With(new DecLm6(), seed),
        36 => DecWeights.With(new DecLm36(), seed),
        _ => throw new ArgumentOutOfRangeException(nameof(width)),
    };

    [Theory]
    [MemberData(nameof(LengthPenalties))]
    public void Width_1_without_an_end_token_is_greedy(float lengthPenalty)
    {
        var reference = DecReference.Model();
        var search = new BeamSearch(Beam(1, 1), maxLength: 6, lengthPenalty);
        Assert.Equal(1, search.Width);
        foreach (int[] prompt in DecReference.Prompts)
        {
            var output = new int[6];
            Assert.Equal(6, search.Search(prompt, output, out float score));
            int[] greedy = DecReference.Greedy(reference, prompt, 6);
            Assert.Equal(greedy, output);
            DecReference.AssertScore(DecReference.Score(reference, prompt, greedy, lengthPenalty), score, "width 1");
        }
    }

    [Theory]
    [MemberData(nameof(LengthPenalties))]
    public void Width_1_with_an_end_token_is_greedy_with_early_stopping_and_never_worse_without(float lengthPenalty)
    {
        var reference = DecReference.Model();
        foreach (int[] prompt in DecReference.Prompts)
        {
            int end = DecReference.Greedy(reference, prompt, 8)[2]; // greedy reaches it within 3 tokens
            int[] greedy = DecReference.Greedy(reference, prompt, 8, end);
            double greedyScore = DecReference.Score(reference, prompt, greedy, lengthPenalty);

            var output = new int[8];
            var early = new BeamSearch(Beam(1, 1), 8, lengthPenalty, end, earlyStopping: true);
            int count = early.Search(prompt, output, out float score);
            Assert.Equal(greedy, output.AsSpan(0, count).ToArray());
            DecReference.AssertScore(greedyScore, score, "width 1, early stopping");

            var full = new BeamSearch(Beam(1, 1), 8, lengthPenalty, end);
            count = full.Search(prompt, output, out score);
            DecReference.AssertScore(DecReference.Score(reference, prompt, output.AsSpan(0, count), lengthPenalty), score, "width 1");
            Assert.True(score >= greedyScore - 1e-5, $"width 1 found {score}, greedy {greedyScore}");
        }
    }

    public static TheoryData<int, int, float, int> ExhaustiveCases()
    {
        var data = new TheoryData<int, int, float, int>();
        foreach (float lengthPenalty in new[] { 1f, 0f, 2f, -0.5f })
        {
            foreach (int end in new[] { -1, 0, 4 })
            {
                data.Add(6, 1, lengthPenalty, end);
                data.Add(6, 2, lengthPenalty, end);
                data.Add(36, 3, lengthPenalty, end);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ExhaustiveCases))]
    public void A_wide_enough_beam_finds_the_exhaustive_optimum(int width, int maxLength, float lengthPenalty, int end)
    {
        foreach (int seed in new[] { 1, 2 })
        {
            var reference = DecReference.Model(seed);
            var search = new BeamSearch(Beam(width, seed), maxLength, lengthPenalty, end);
            foreach (int[] prompt in DecReference.Prompts)
            {
                var ranked = DecReference.Exhaustive(reference, prompt, maxLength, lengthPenalty, end);
                var output = new int[maxLength];
                int count = search.Search(prompt, output, out float score);
                string what = $"seed {seed}, prompt [{string.Join(",", prompt)}], found [{string.Join(",", output.AsSpan(0, count).ToArray())}], best [{string.Join(",", ranked[0].Tokens)}]";
                DecReference.AssertScore(ranked[0].Score, score, what);
                if (ranked.Count == 1 || ranked[0].Score - ranked[1].Score > 1e-4)
                    Assert.True(ranked[0].Tokens.AsSpan().SequenceEqual(output.AsSpan(0, count)), what);
                DecReference.AssertScore(DecReference.Score(reference, prompt, output.AsSpan(0, count), lengthPenalty), score, what + " (recomputed)");
            }
        }
    }

    [Fact]
    public void The_exhaustive_cases_exercise_ended_and_unended_results()
    {
        // The cases above would prove little if the end token never (or always) won.
        var reference = DecReference.Model(1);
        int ended = 0, unended = 0;
        foreach (int[] prompt in DecReference.Prompts)
        {
            foreach (int end in new[] { 0, 4 })
            {
                foreach (double lengthPenalty in new[] { 1.0, 0.0, 2.0, -0.5 })
                {
                    var best = DecReference.Exhaustive(reference, prompt, 3, lengthPenalty, end)[0].Tokens;
                    if (best[^1] == end) ended++; else unended++;
                }
            }
        }
        Assert.True(ended > 0 && unended > 0, $"{ended} ended, {unended} not");
    }

    public static TheoryData<int, float, int> GreedyComparisonCases()
    {
        var data = new TheoryData<int, float, int>();
        foreach (int width in new[] { 3, 6, 36 })
        {
            foreach (float lengthPenalty in new[] { 1f, 0f, 2f })
            {
                foreach (int end in new[] { -1, 0, 4 }) data.Add(width, lengthPenalty, end);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GreedyComparisonCases))]
    public void Beam_search_is_not_worse_than_greedy_and_its_score_is_the_recomputed_one(int width, float lengthPenalty, int end)
    {
        const int maxLength = 7;
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var reference = DecReference.Model(seed);
            var search = new BeamSearch(Beam(width, seed), maxLength, lengthPenalty, end);
            Assert.Equal(width, search.Width);
            foreach (int[] prompt in DecReference.Prompts)
            {
                var output = new int[maxLength + 2];
                output.AsSpan().Fill(-7);
                int count = search.Search(prompt, output, out float score);
                Span<int> found = output.AsSpan(0, count);
                string what = $"seed {seed}, prompt [{string.Join(",", prompt)}], found [{string.Join(",", found.ToArray())}]";
                Assert.InRange(count, 1, maxLength);
                Assert.All(output.AsSpan(count).ToArray(), t => Assert.Equal(-7, t));
                Assert.True(count == maxLength || found[^1] == end, what + ": shorter than maxLength without the end token");
                Assert.False(found[..^1].Contains(end), what + ": the end token inside the sequence");
                DecReference.AssertScore(DecReference.Score(reference, prompt, found, lengthPenalty), score, what);

                int[] greedy = DecReference.Greedy(reference, prompt, maxLength, end);
                double greedyScore = DecReference.Score(reference, prompt, greedy, lengthPenalty);
                Assert.True(score >= greedyScore - 1e-5, $"{what}: {score} below greedy [{string.Join(",", greedy)}] {greedyScore}");
            }
        }
    }

    public static TheoryData<int, float, int> ReferenceCases()
    {
        var data = new TheoryData<int, float, int>();
        foreach (int width in new[] { 1, 3, 6 })
        {
            foreach (float lengthPenalty in new[] { 1f, 0f, 2f, -0.5f })
            {
                foreach (int end in new[] { -1, 0, 4 }) data.Add(width, lengthPenalty, end);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Search_equals_a_plain_beam_search_that_runs_to_maxLength(int width, float lengthPenalty, int end)
    {
        const int maxLength = 7;
        foreach (bool earlyStopping in new[] { false, true })
        {
            foreach (int seed in new[] { 1, 2, 3 })
            {
                var reference = DecReference.Model(seed);
                var search = new BeamSearch(Beam(width, seed), maxLength, lengthPenalty, end, earlyStopping);
                foreach (int[] prompt in DecReference.Prompts)
                {
                    var (tokens, expected) = DecReference.BeamSearch(reference, prompt, width, maxLength, lengthPenalty, end, earlyStopping);
                    var output = new int[maxLength];
                    int count = search.Search(prompt, output, out float score);
                    string what = $"early {earlyStopping}, seed {seed}, prompt [{string.Join(",", prompt)}], found [{string.Join(",", output.AsSpan(0, count).ToArray())}], reference [{string.Join(",", tokens)}]";
                    DecReference.AssertScore(expected, score, what);
                    Assert.True(tokens.AsSpan().SequenceEqual(output.AsSpan(0, count)), what);
                }
            }
        }
    }

    [Fact]
    public void Search_allocates_nothing()
    {
        var search = new BeamSearch(Beam(6, 1), maxLength: 8, lengthPenalty: 1.2f, endToken: 0);
        var plain = new BeamSearch(Beam(3, 1), maxLength: 8);
        int[] prompt = [1, 2, 3];
        var output = new int[8];
        Assert.Equal(0, Allocations.Of(() => search.Search(prompt, output, out _)));
        Assert.Equal(0, Allocations.Of(() => plain.Search(prompt, output, out _)));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        var model = (DecLm3)Beam(3, 1);
        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => new BeamSearch(null!, 4)).ParamName);
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(model, 0)).ParamName);
        Assert.Equal("lengthPenalty", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(model, 4, float.NaN)).ParamName);
        Assert.Equal("lengthPenalty", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(model, 4, float.PositiveInfinity)).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(model, 4, endToken: V)).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(model, 4, endToken: -2)).ParamName);

        var search = new BeamSearch(model, 4, endToken: 0);
        var output = new int[4];
        search.Search([1], output, out _);
        float[] hidden = model.Rnn.FinalHidden.ToArray();
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => search.Search([], output, out _)).ParamName);
        var error = Assert.Throws<ArgumentException>(() => search.Search([1], new int[3], out _));
        Assert.Equal("output", error.ParamName);
        Assert.Contains("4", error.Message);
        Assert.Contains("3", error.Message);
        Tolerance.AssertIdentical(model.Rnn.FinalHidden, hidden, "h_n after rejected calls");
        Assert.Equal("prompt", Assert.Throws<ArgumentOutOfRangeException>(() => search.Search([V], output, out _)).ParamName);
    }
}
