using Xunit;

namespace Unroll.Tests.Decoding;

/// <summary>
/// <see cref="CtcDecoder"/>: greedy and prefix beam search on hand-worked cases, against the exact most probable
/// labelling found by enumerating every alignment, whole sequences equal to streaming, pruning, argument checks and
/// allocations.
/// </summary>
public class CtcDecoderTests
{
    [Fact]
    public void Greedy_takes_the_best_class_per_step_merges_repeats_and_drops_blanks()
    {
        // Best classes a a _ a b b _ (blank 0): "a a b".
        int[] best = [1, 1, 0, 1, 2, 2, 0];
        float[] logits = OneHotLogits(best, 3, 2f);
        var decoder = CtcDecoder.Greedy(1, best.Length, 3);
        decoder.Decode(logits, [best.Length]);
        Assert.Equal([1, 1, 2], decoder.Labels(0).ToArray());
        double perStep = 2 - Math.Log(Math.Exp(2) + 2);   // log p of the best class of each step
        Assert.Equal(best.Length * perStep, decoder.LogProbability(0), 5);
        Assert.Equal(0, decoder.BeamWidth);
    }

    [Fact]
    public void BeamSearch_finds_the_labelling_whose_paths_add_up_where_greedy_takes_the_best_path()
    {
        // Two steps of p(blank) = 0.6, p(a) = 0.4: the best path is "_ _" (0.36, the empty labelling), but "a" has
        // the paths "a a", "a _", "_ a": 0.16 + 0.24 + 0.24 = 0.64.
        float[] logits = [MathF.Log(0.6f), MathF.Log(0.4f), MathF.Log(0.6f), MathF.Log(0.4f)];
        var greedy = CtcDecoder.Greedy(1, 2, 2);
        greedy.Decode(logits, [2]);
        Assert.Empty(greedy.Labels(0).ToArray());
        Assert.Equal(Math.Log(0.36), greedy.LogProbability(0), 6);

        var beam = CtcDecoder.BeamSearch(1, 2, 2, beamWidth: 2);
        beam.Decode(logits, [2]);
        Assert.Equal([1], beam.Labels(0).ToArray());
        Assert.Equal(Math.Log(0.64), beam.LogProbability(0), 6);
    }

    [Fact]
    public void BeamSearch_keeps_repeated_labels_apart_only_through_a_blank()
    {
        // a _ a is "a a"; a a is "a".
        var beam = CtcDecoder.BeamSearch(2, 3, 2, beamWidth: 4);
        float[] logits = [.. OneHotLogits([1, 0, 1], 2, 20f), .. OneHotLogits([1, 1, 1], 2, 20f)];
        beam.Decode(logits, [3, 3]);
        Assert.Equal([1, 1], beam.Labels(0).ToArray());
        Assert.Equal([1], beam.Labels(1).ToArray());
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(3, 1)]
    [InlineData(3, 2)]
    public void BeamSearch_wide_enough_finds_the_most_probable_labelling_of_every_alignment(int classes, int blank)
    {
        var random = new SeededRandom((ulong)(classes * 10 + blank));
        for (int steps = 1; steps <= 6; steps++)
        {
            for (int trial = 0; trial < 8; trial++)
            {
                float[] logits = new float[steps * classes];
                random.FillNormal(logits);
                for (int i = 0; i < logits.Length; i++) logits[i] *= 1.5f;
                (int[] exact, double exactLogP, int[] bestPath) = BruteForce(logits, steps, classes, blank);

                var beam = CtcDecoder.BeamSearch(1, steps, classes, beamWidth: 200, blank: blank);
                beam.Decode(logits, [steps]);
                Assert.Equal(exact, beam.Labels(0).ToArray());
                Assert.Equal(exactLogP, beam.LogProbability(0), 5);

                var greedy = CtcDecoder.Greedy(1, steps, classes, blank);
                greedy.Decode(logits, [steps]);
                Assert.Equal(bestPath, greedy.Labels(0).ToArray());
            }
        }
    }

    [Fact]
    public void BeamSearch_following_only_the_best_class_is_greedy()
    {
        const int Steps = 20, Classes = 6;
        float[] logits = new float[3 * Steps * Classes];
        new SeededRandom(8).FillNormal(logits);
        int[] lengths = [20, 13, 5];
        var greedy = CtcDecoder.Greedy(3, Steps, Classes, blank: 2);
        var beam = CtcDecoder.BeamSearch(3, Steps, Classes, beamWidth: 3, blank: 2, topK: 1);
        greedy.Decode(logits, lengths);
        beam.Decode(logits, lengths);
        for (int b = 0; b < 3; b++) Assert.Equal(greedy.Labels(b).ToArray(), beam.Labels(b).ToArray());
    }

    public static TheoryData<string> Decoders => ["greedy", "beam", "beam_top_k", "beam_threshold"];

    private static CtcDecoder Make(string kind, int batch, int steps, int classes) => kind switch
    {
        "greedy" => CtcDecoder.Greedy(batch, steps, classes),
        "beam" => CtcDecoder.BeamSearch(batch, steps, classes, beamWidth: 5),
        "beam_top_k" => CtcDecoder.BeamSearch(batch, steps, classes, beamWidth: 4, topK: 3),
        _ => CtcDecoder.BeamSearch(batch, steps, classes, beamWidth: 6, minLogProbability: -2.5f),
    };

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_equals_streaming_step_by_step(string kind)
    {
        const int Batch = 3, Steps = 16, Classes = 5;
        float[] logits = new float[Batch * Steps * Classes];
        new SeededRandom(21).FillNormal(logits);
        for (int i = 0; i < logits.Length; i++) logits[i] *= 2f;

        // Rows of different lengths, against a one-row decoder fed each row's steps.
        int[] lengths = [16, 11, 0];
        CtcDecoder whole = Make(kind, Batch, Steps, Classes), row = Make(kind, 1, Steps, Classes);
        whole.Decode(logits, lengths);
        for (int b = 0; b < Batch; b++)
        {
            row.Reset();
            for (int t = 0; t < lengths[b]; t++) row.Step(logits.AsSpan((b * Steps + t) * Classes, Classes));
            Assert.Equal(row.Labels(0).ToArray(), whole.Labels(b).ToArray());
            Assert.Equal(row.LogProbability(0), whole.LogProbability(b));
        }

        // Every row at once: Step with [batch, classes] per step; the current best after every step.
        CtcDecoder stream = Make(kind, Batch, Steps, Classes), prefix = Make(kind, Batch, Steps, Classes);
        float[] step = new float[Batch * Classes];
        for (int t = 0; t < Steps; t++)
        {
            for (int b = 0; b < Batch; b++) logits.AsSpan((b * Steps + t) * Classes, Classes).CopyTo(step.AsSpan(b * Classes));
            stream.Step(step);
            prefix.Decode(logits, [t + 1, t + 1, t + 1]);
            for (int b = 0; b < Batch; b++) Assert.Equal(prefix.Labels(b).ToArray(), stream.Labels(b).ToArray());
        }
        Assert.Throws<InvalidOperationException>(() => stream.Step(step));
        stream.Reset();
        stream.Step(step);
    }

    [Fact]
    public void Decoders_check_their_arguments()
    {
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoder.Greedy(0, 5, 3)).ParamName);
        Assert.Equal("maxSteps", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoder.Greedy(1, 0, 3)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoder.Greedy(1, 5, 0)).ParamName);
        Assert.Equal("blank", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoder.Greedy(1, 5, 3, blank: 3)).ParamName);
        Assert.Equal("beamWidth", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoder.BeamSearch(1, 5, 3, 0)).ParamName);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoder.BeamSearch(1, 5, 3, 2, topK: -1)).ParamName);
        Assert.Equal("minLogProbability", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoder.BeamSearch(1, 5, 3, 2, minLogProbability: float.NaN)).ParamName);

        var decoder = CtcDecoder.BeamSearch(2, 4, 3, 2);
        float[] logits = new float[2 * 4 * 3];
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => decoder.Decode(logits.AsSpan(1), [4, 4])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => decoder.Decode(new float[2 * 5 * 3], [4, 4])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => decoder.Decode([], [])).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => decoder.Decode(logits, [4])).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Decode(logits, [5, 4])).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Decode(logits, [-1, 4])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => decoder.Step(new float[3])).ParamName);
        Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Labels(2)).ParamName);
        Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.LogProbability(-1)).ParamName);
        Assert.Equal((2, 4, 3, 0, 2), (decoder.BatchSize, decoder.MaxSteps, decoder.Classes, decoder.Blank, decoder.BeamWidth));
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decoders_allocate_nothing(string kind)
    {
        const int Batch = 4, Steps = 40, Classes = 29;
        float[] logits = new float[Batch * Steps * Classes];
        new SeededRandom(4).FillNormal(logits);
        int[] lengths = [40, 33, 20, 1];
        CtcDecoder decoder = Make(kind, Batch, Steps, Classes);
        Assert.Equal(0, Allocations.Of(() => decoder.Decode(logits, lengths)));
        Assert.Equal(0, Allocations.Of(() =>
        {
            decoder.Reset();
            for (int t = 0; t < Steps; t++) decoder.Step(logits.AsSpan(t * Batch * Classes, Batch * Classes));
        }));
    }

    /// <summary>Logits whose best class at step t is <paramref name="best"/>[t], by <paramref name="margin"/> over the others.</summary>
    private static float[] OneHotLogits(int[] best, int classes, float margin)
    {
        float[] logits = new float[best.Length * classes];
        for (int t = 0; t < best.Length; t++) logits[t * classes + best[t]] = margin;
        return logits;
    }

    /// <summary>Every one of the classes^steps alignments: the labelling with the largest total probability, its log, and the labelling of the best single path.</summary>
    private static (int[] Labels, double LogProbability, int[] BestPath) BruteForce(float[] logits, int steps, int classes, int blank)
    {
        float[] logProbabilities = new float[logits.Length];
        Probabilities.LogSoftmax(logits, logProbabilities, classes);
        var totals = new Dictionary<string, double>();
        var labellings = new Dictionary<string, int[]>();
        double bestPathLogP = double.NegativeInfinity;
        int[] bestPath = [];
        int[] path = new int[steps];
        for (int index = 0; index < (int)Math.Pow(classes, steps); index++)
        {
            double logP = 0;
            for (int t = 0, rest = index; t < steps; t++, rest /= classes)
            {
                path[t] = rest % classes;
                logP += logProbabilities[t * classes + path[t]];
            }
            int[] labels = path.Where((c, t) => c != blank && (t == 0 || c != path[t - 1])).ToArray();
            string key = string.Join(",", labels);
            totals[key] = totals.TryGetValue(key, out double sum) ? sum + Math.Exp(logP) : Math.Exp(logP);
            labellings[key] = labels;
            if (logP > bestPathLogP)
            {
                bestPathLogP = logP;
                bestPath = labels;
            }
        }
        string best = totals.MaxBy(kv => kv.Value).Key;
        return (labellings[best], Math.Log(totals[best]), bestPath);
    }
}
