using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Metrics;

/// <summary>
/// Corpus BLEU (<see cref="BleuScorer"/>, <see cref="Bleu"/>) against NLTK's <c>corpus_bleu</c>
/// (Fixtures/bleu.json, written by make_bleu_fixtures.py), a worked example, a naive re-count of the
/// statistics on random corpora, argument checks and allocation.
/// </summary>
public class BleuTests
{
    private const double Tolerance = 1e-12;

    private static readonly (string Key, BleuSmoothing Smoothing)[] Smoothings =
        [("none", BleuSmoothing.None), ("epsilon", BleuSmoothing.Epsilon), ("add_one", BleuSmoothing.AddOne), ("nist", BleuSmoothing.Nist)];

    private static readonly Lazy<JsonElement[]> FixtureCases = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Decoding", "Fixtures", "bleu.json");
        using var stream = File.OpenRead(path);
        return JsonDocument.Parse(stream).RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    });

    /// <summary>The fixture's case names, as theory data.</summary>
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in FixtureCases.Value) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static (int[][] Hypotheses, int[][][] References, int MaxOrder) Corpus(JsonElement c) =>
        (c.GetProperty("hypotheses").EnumerateArray().Select(Ints).ToArray(),
         c.GetProperty("references").EnumerateArray().Select(refs => refs.EnumerateArray().Select(Ints).ToArray()).ToArray(),
         c.GetProperty("max_order").GetInt32());

    private static BleuScorer ScorerFor(int[][] hypotheses, int[][][] references, int maxOrder)
    {
        int maxLength = Math.Max(1, hypotheses.Concat(references.SelectMany(r => r)).Max(s => s.Length));
        return new BleuScorer(maxLength, references.Max(r => r.Length), maxOrder);
    }

    private static void AssertClose(double actual, double expected, string what) =>
        Assert.True(Math.Abs(actual - expected) <= Tolerance, $"{what}: {actual:R} vs NLTK {expected:R} (|diff| {Math.Abs(actual - expected):E2})");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Matches_nltk_corpus_bleu(string name)
    {
        JsonElement c = FixtureCases.Value.Single(e => e.GetProperty("name").GetString() == name);
        var (hypotheses, references, maxOrder) = Corpus(c);
        BleuScorer scorer = ScorerFor(hypotheses, references, maxOrder);
        for (int i = 0; i < hypotheses.Length; i++) scorer.Add(hypotheses[i], references[i]);

        // NLTK's own statistics, exactly.
        JsonElement stats = c.GetProperty("statistics");
        Assert.Equal(Ints(stats.GetProperty("matches")).Select(v => (long)v), scorer.Matches.ToArray());
        Assert.Equal(Ints(stats.GetProperty("totals")).Select(v => (long)v), scorer.Totals.ToArray());
        Assert.Equal(stats.GetProperty("hypothesis_length").GetInt64(), scorer.HypothesisLength);
        Assert.Equal(stats.GetProperty("reference_length").GetInt64(), scorer.ReferenceLength);
        Assert.Equal(hypotheses.Length, scorer.Sentences);

        JsonElement bleu = c.GetProperty("bleu");
        foreach (var (key, smoothing) in Smoothings)
        {
            double expected = bleu.GetProperty(key).GetDouble(), actual = scorer.Score(smoothing);
            AssertClose(actual, expected, $"{name} {key}");
            AssertClose(Bleu.Corpus(hypotheses, references, smoothing, maxOrder), expected, $"{name} {key} (Bleu.Corpus)");
            if (smoothing == BleuSmoothing.None && scorer.Matches.Contains(0L))
                Assert.Equal(0.0, actual); // NLTK gives about 1e-77 or less here (log of sys.float_info.min); the definition gives 0
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void The_add_overloads_agree(string name)
    {
        JsonElement c = FixtureCases.Value.Single(e => e.GetProperty("name").GetString() == name);
        var (hypotheses, references, maxOrder) = Corpus(c);
        BleuScorer arrays = ScorerFor(hypotheses, references, maxOrder), packed = ScorerFor(hypotheses, references, maxOrder);
        for (int i = 0; i < hypotheses.Length; i++)
        {
            arrays.Add(hypotheses[i], references[i]);
            if (references[i].Length == 1) packed.Add(hypotheses[i], references[i][0]);
            else packed.Add(hypotheses[i], references[i].SelectMany(r => r).ToArray(), references[i].Select(r => r.Length).ToArray());
        }
        Assert.Equal(arrays.Matches.ToArray(), packed.Matches.ToArray());
        Assert.Equal(arrays.Totals.ToArray(), packed.Totals.ToArray());
        Assert.Equal(arrays.HypothesisLength, packed.HypothesisLength);
        Assert.Equal(arrays.ReferenceLength, packed.ReferenceLength);
        foreach (var (_, smoothing) in Smoothings) Assert.Equal(arrays.Score(smoothing), packed.Score(smoothing));
    }

    [Fact]
    public void The_docstring_examples_of_nltk()
    {
        // The values NLTK's docstrings print (truncated: "0.5045..."), for the fixture's id-coded sentences.
        static void Printed(double printed, double actual) => Assert.InRange(actual, printed, printed + 1e-4);
        JsonElement Case(string name) => FixtureCases.Value.Single(e => e.GetProperty("name").GetString() == name);
        double Score(string name, BleuSmoothing smoothing)
        {
            var (h, r, n) = Corpus(Case(name));
            return Bleu.Corpus(h, r, smoothing, n);
        }
        Printed(0.5045, Score("nltk_sentence_bleu_hypothesis1", BleuSmoothing.None));
        Assert.Equal(0.0, Score("nltk_sentence_bleu_hypothesis2", BleuSmoothing.None));
        Printed(0.5920, Score("nltk_corpus_bleu", BleuSmoothing.None));
        Printed(0.4118, Score("nltk_smoothing_function", BleuSmoothing.None));
        Printed(0.4118, Score("nltk_smoothing_function", BleuSmoothing.Epsilon));
        Printed(0.4452, Score("nltk_smoothing_function", BleuSmoothing.AddOne));
        Printed(0.4118, Score("nltk_smoothing_function", BleuSmoothing.Nist));

        // Corpus BLEU is not the mean of sentence BLEUs (0.6223... in NLTK's docstring).
        var (hyps, refs, _) = Corpus(Case("nltk_corpus_bleu"));
        double mean = (Bleu.Sentence(hyps[0], refs[0]) + Bleu.Sentence(hyps[1], refs[1])) / 2;
        Printed(0.6223, mean);
    }

    /// <summary>
    /// A worked example, by hand. Sentence 1: hypothesis [7 7 8 9], references A = [7 8 9 5 6] and
    /// B = [7 7 5].
    /// <code>
    /// 1-grams  7 ×2 (A has 1, B has 2: clip at 2), 8 (A: 1), 9 (A: 1)          4 / 4
    /// 2-grams  (7 7) in B, (7 8) in A, (8 9) in A                             3 / 3
    /// 3-grams  (7 7 8) nowhere, (7 8 9) in A                                  1 / 2
    /// 4-grams  (7 7 8 9) nowhere                                              0 / 1
    /// length   c = 4; A (5) and B (3) are both 1 away: the shorter wins, r = 3
    /// </code>
    /// Sentence 2: hypothesis [4 5], reference [4 5 6 7 8 9]: 1-grams 2 / 2, 2-grams 1 / 1, and no
    /// 3- or 4-grams, but NLTK's denominator is at least 1: 0 / 1 each; c = 2, r = 6.
    /// <code>
    /// corpus   p1 = 6/6, p2 = 4/4, p3 = 1/3, p4 = 0/2;  c = 6, r = 9:  BP = exp(1 − 9/6) = e^−0.5
    /// none     p4 = 0                                    BLEU = 0
    /// epsilon  p4 = 0.1/2 = 1/20                         BLEU = e^−0.5 · (1 · 1 · 1/3 · 1/20)^¼ = e^−0.5 · 60^−¼
    /// add one  p2 = 5/5, p3 = 2/4, p4 = 1/3              BLEU = e^−0.5 · (1 · 1 · 1/2 · 1/3)^¼  = e^−0.5 ·  6^−¼
    /// NIST     p4 = 1/(2¹ · 2) = 1/4                     BLEU = e^−0.5 · (1 · 1 · 1/3 · 1/4)^¼  = e^−0.5 · 12^−¼
    /// </code>
    /// Sentence 1 alone (c = 4 &gt; r = 3: BP = 1): epsilon (1/2 · 1/10)^¼ = 20^−¼, add one
    /// (3/3 · 2/3 · 1/2)^¼ = 3^−¼, NIST (1/2 · 1/2)^¼ = 2^−½.
    /// </summary>
    [Fact]
    public void A_worked_example()
    {
        var scorer = new BleuScorer(maxLength: 6, maxReferences: 2);
        scorer.Add([7, 7, 8, 9], [[7, 8, 9, 5, 6], [7, 7, 5]]);
        Assert.Equal([4L, 3, 1, 0], scorer.Matches.ToArray());
        Assert.Equal([4L, 3, 2, 1], scorer.Totals.ToArray());
        Assert.Equal(4, scorer.HypothesisLength);
        Assert.Equal(3, scorer.ReferenceLength);
        Assert.Equal(1.0, scorer.BrevityPenalty);
        Assert.Equal(0.0, scorer.Score());
        Assert.Equal(Math.Pow(20, -0.25), scorer.Score(BleuSmoothing.Epsilon), 14);
        Assert.Equal(Math.Pow(3, -0.25), scorer.Score(BleuSmoothing.AddOne), 14);
        Assert.Equal(Math.Sqrt(0.5), scorer.Score(BleuSmoothing.Nist), 14);

        scorer.Add([4, 5], [4, 5, 6, 7, 8, 9]);
        Assert.Equal([6L, 4, 1, 0], scorer.Matches.ToArray());
        Assert.Equal([6L, 4, 3, 2], scorer.Totals.ToArray());
        Assert.Equal(6, scorer.HypothesisLength);
        Assert.Equal(9, scorer.ReferenceLength);
        Assert.Equal(2, scorer.Sentences);
        Assert.Equal(Math.Exp(-0.5), scorer.BrevityPenalty, 15);
        Assert.Equal(0.0, scorer.Score());
        Assert.Equal(Math.Exp(-0.5) * Math.Pow(60, -0.25), scorer.Score(BleuSmoothing.Epsilon), 14);
        Assert.Equal(Math.Exp(-0.5) * Math.Pow(6, -0.25), scorer.Score(BleuSmoothing.AddOne), 14);
        Assert.Equal(Math.Exp(-0.5) * Math.Pow(12, -0.25), scorer.Score(BleuSmoothing.Nist), 14);
        // A different epsilon: p4 = 0.5/2.
        Assert.Equal(Math.Exp(-0.5) * Math.Pow(12, -0.25), scorer.Score(BleuSmoothing.Epsilon, epsilon: 0.5), 14);

        // The same numbers from the statistics alone.
        Assert.Equal(scorer.Score(BleuSmoothing.Nist), Bleu.Score([6, 4, 1, 0], [6, 4, 3, 2], 6, 9, BleuSmoothing.Nist));

        scorer.Reset();
        Assert.Equal(0, scorer.Sentences);
        Assert.Equal(0, scorer.HypothesisLength);
        Assert.Equal(0, scorer.ReferenceLength);
        Assert.Equal([0L, 0, 0, 0], scorer.Matches.ToArray());
        Assert.Equal([0L, 0, 0, 0], scorer.Totals.ToArray());
        Assert.Equal(0.0, scorer.Score(BleuSmoothing.Epsilon)); // nothing added: 0
        scorer.Add([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
        Assert.Equal(1.0, scorer.Score());
    }

    [Fact]
    public void Identical_sentences_score_1_and_short_ones_are_penalised()
    {
        int[] s = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
        Assert.Equal(1.0, Bleu.Sentence(s, [s]));
        Assert.Equal(1.0, Bleu.Sentence(s, [s[..4], s, [.. s, 1, 1]]));
        // Six of the ten tokens: every n-gram matches, BP = exp(1 − 10/6).
        Assert.Equal(Math.Exp(1 - 10.0 / 6), Bleu.Sentence(s[..6], [s]), 15);
        // BLEU-1 of a unigram: 1.
        Assert.Equal(1.0, Bleu.Sentence([5], [[5]], maxOrder: 1));
    }

    [Fact]
    public void Statistics_match_a_naive_count_on_random_corpora()
    {
        var random = new Random(1234);
        for (int trial = 0; trial < 30; trial++)
        {
            int maxOrder = random.Next(1, 7), maxLength = random.Next(1, 80), maxReferences = random.Next(1, 5), vocabulary = random.Next(1, 8);
            var scorer = new BleuScorer(maxLength, maxReferences, maxOrder);
            var matches = new long[maxOrder];
            var totals = new long[maxOrder];
            long c = 0, r = 0;
            for (int sentence = 0; sentence < 10; sentence++)
            {
                int[] Sentence() => Enumerable.Range(0, random.Next(0, maxLength + 1)).Select(_ => random.Next(vocabulary) - 2).ToArray();
                int[] hypothesis = Sentence();
                int[][] references = Enumerable.Range(0, random.Next(1, maxReferences + 1)).Select(_ => Sentence()).ToArray();
                scorer.Add(hypothesis, references);

                for (int n = 1; n <= maxOrder; n++)
                {
                    Dictionary<string, int> hypothesisCounts = NGrams(hypothesis, n);
                    foreach (var (gram, count) in hypothesisCounts)
                        matches[n - 1] += Math.Min(count, references.Max(reference => NGrams(reference, n).GetValueOrDefault(gram)));
                    totals[n - 1] += Math.Max(1, hypothesis.Length - n + 1);
                }
                c += hypothesis.Length;
                r += references.Select(x => x.Length).OrderBy(x => Math.Abs(x - hypothesis.Length)).ThenBy(x => x).First();
            }
            Assert.Equal(matches, scorer.Matches.ToArray());
            Assert.Equal(totals, scorer.Totals.ToArray());
            Assert.Equal(c, scorer.HypothesisLength);
            Assert.Equal(r, scorer.ReferenceLength);
        }

        static Dictionary<string, int> NGrams(int[] sentence, int n)
        {
            var counts = new Dictionary<string, int>();
            for (int i = 0; i + n <= sentence.Length; i++)
            {
                string key = string.Join(",", sentence[i..(i + n)]);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
            return counts;
        }
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BleuScorer(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BleuScorer(10, maxReferences: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BleuScorer(10, maxOrder: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BleuScorer(int.MaxValue, maxReferences: 4));

        var scorer = new BleuScorer(maxLength: 5, maxReferences: 2);
        int[] ok = [1, 2, 3], tooLong = [1, 2, 3, 4, 5, 6];

        var e = Assert.Throws<ArgumentException>(() => scorer.Add(tooLong, ok));
        Assert.Equal("hypothesis", e.ParamName);
        Assert.Contains("6", e.Message);
        Assert.Contains("5", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, tooLong));
        Assert.Equal("reference", e.ParamName);
        Assert.Contains("6", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, [ok, tooLong]));
        Assert.Equal("references", e.ParamName);
        Assert.Contains("Reference 1 has 6 tokens", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, [ok, ok, ok]));
        Assert.Equal("references", e.ParamName);
        Assert.Contains("3", e.Message);
        Assert.Contains("2", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, ReadOnlySpan<int[]>.Empty));
        Assert.Equal("references", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => scorer.Add(ok, [ok, null!]));

        // Packed references.
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, [1, 2, 3, 4], [3, 2]));
        Assert.Equal("referenceLengths", e.ParamName);
        Assert.Contains("5", e.Message);
        Assert.Contains("4", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, [1, 2], [3, -1]));
        Assert.Equal("referenceLengths", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, tooLong, [6]));
        Assert.Equal("referenceLengths", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, [], []));
        Assert.Equal("referenceLengths", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => scorer.Add(ok, [1, 2, 3], [1, 1, 1]));
        Assert.Equal("referenceLengths", e.ParamName);

        // A failed Add changes nothing.
        Assert.Equal(0, scorer.Sentences);
        Assert.Equal([0L, 0, 0, 0], scorer.Totals.ToArray());

        // Empty hypotheses and references are sentences like any other (as in NLTK).
        scorer.Add([], ok);
        scorer.Add(ok, Array.Empty<int>());
        Assert.Equal(2, scorer.Sentences);

        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.Score((BleuSmoothing)17));
        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.Score(BleuSmoothing.Epsilon, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.Score(BleuSmoothing.Epsilon, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.Score(BleuSmoothing.Epsilon, double.PositiveInfinity));

        // Bleu.Corpus / Bleu.Sentence.
        e = Assert.Throws<ArgumentException>(() => Bleu.Corpus([ok, ok], [[ok]]));
        Assert.Equal("references", e.ParamName);
        Assert.Contains("2", e.Message);
        Assert.Contains("1", e.Message);
        e = Assert.Throws<ArgumentException>(() => Bleu.Corpus([ok], [[]]));
        Assert.Equal("references", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => Bleu.Corpus(null!, [[ok]]));
        Assert.Throws<ArgumentNullException>(() => Bleu.Corpus([null!], [[ok]]));
        Assert.Throws<ArgumentNullException>(() => Bleu.Corpus([ok], [[null!]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bleu.Corpus([ok], [[ok]], maxOrder: 0));
        Assert.Equal(0.0, Bleu.Corpus([], [])); // an empty corpus scores 0 (NLTK divides by zero)
        e = Assert.Throws<ArgumentException>(() => Bleu.Sentence(ok, []));
        Assert.Equal("references", e.ParamName);

        // Bleu.Score.
        e = Assert.Throws<ArgumentException>(() => Bleu.Score([1, 1], [1, 1, 1], 3, 3));
        Assert.Equal("totals", e.ParamName);
        Assert.Contains("2", e.Message);
        Assert.Contains("3", e.Message);
        Assert.Throws<ArgumentException>(() => Bleu.Score([], [], 3, 3));
        Assert.Throws<ArgumentException>(() => Bleu.Score([3, 1], [2, 1], 3, 3));
        Assert.Throws<ArgumentException>(() => Bleu.Score([-1, 0], [2, 1], 3, 3));
        Assert.Throws<ArgumentException>(() => Bleu.Score([2, 0], [2, 0], 3, 3, BleuSmoothing.Epsilon));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bleu.Score([2, 1], [2, 1], -1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bleu.Score([2, 1], [2, 1], 3, -1));
        Assert.Equal(0.0, Bleu.Score([0, 0], [0, 0], 0, 0, BleuSmoothing.Nist));
    }

    [Fact]
    public void Add_and_score_allocate_nothing()
    {
        var scorer = new BleuScorer(maxLength: 40, maxReferences: 3);
        var random = new Random(7);
        int[] hypothesis = Enumerable.Range(0, 30).Select(_ => random.Next(6)).ToArray();
        int[][] references = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 25 + random.Next(10)).Select(_ => random.Next(6)).ToArray()).ToArray();
        int[] packed = references.SelectMany(r => r).ToArray();
        int[] lengths = references.Select(r => r.Length).ToArray();
        double sum = 0;

        void Run()
        {
            scorer.Reset();
            scorer.Add(hypothesis, references[0]);
            scorer.Add(hypothesis, references);
            scorer.Add(hypothesis, packed, lengths);
            scorer.Add(ReadOnlySpan<int>.Empty, references[1]);
            sum += scorer.Score() + scorer.Score(BleuSmoothing.Epsilon) + scorer.Score(BleuSmoothing.AddOne) + scorer.Score(BleuSmoothing.Nist);
            sum += scorer.Matches[0] + scorer.Totals[3] + scorer.BrevityPenalty;
        }

        Run();
        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }
}
