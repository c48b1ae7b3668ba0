using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Text;

/// <summary>
/// <see cref="Word2Vec"/>: the batch loss and gradients against PyTorch (Text/Fixtures/word2vec.json, written by
/// make_word2vec_fixtures.py), the sub-sampling keep probability, the negatives' unigram^¾ frequencies, the learning-rate
/// decay, topics learned from a synthetic corpus, determinism, allocations and argument checks.
/// </summary>
public class Word2VecTests
{
    private static JsonElement Fixture() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Text", "Fixtures", "word2vec.json"))).RootElement;

    private static float[] Floats(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();
    private static double[] Doubles(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();
    private static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Fact]
    public void Word2Vec_loss_and_gradients_match_PyTorch()
    {
        JsonElement f = Fixture();
        int dimension = f.GetProperty("dimension").GetInt32();
        float[] input = Floats(f, "input_vectors"), output = Floats(f, "output_vectors");
        float[] inputGradient = new float[input.Length], outputGradient = new float[output.Length];
        double loss = Word2Vec.LossAndGradients(input, output, dimension, Ints(f, "centers"), Ints(f, "contexts"), Ints(f, "negatives"),
            inputGradient, outputGradient);

        double expected = f.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Abs(expected) + 1e-6, $"loss {loss}, PyTorch {expected}");
        AssertClose(Doubles(f, "input_gradient"), inputGradient, "input gradient");
        AssertClose(Doubles(f, "output_gradient"), outputGradient, "output gradient");
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"{what}[{i}]: {actual[i]}, PyTorch {expected[i]}");
    }

    [Fact]
    public void Word2Vec_keep_probability_is_word2vec_cs()
    {
        // A word that is 1% of the corpus with sample 1e-3: (√10 + 1)/10.
        Assert.Equal((Math.Sqrt(10) + 1) / 10, Word2Vec.KeepProbability(10_000, 1_000_000, 1e-3), 12);
        // With 1e-4: (√100 + 1)/100.
        Assert.Equal(0.11, Word2Vec.KeepProbability(10_000, 1_000_000, 1e-4), 12);
        // Rare words are always kept (the probability exceeds 1), and sample 0 keeps everything.
        Assert.True(Word2Vec.KeepProbability(5, 1_000_000, 1e-3) > 1);
        Assert.Equal(1, Word2Vec.KeepProbability(10_000, 10_000, 0));
    }

    [Fact]
    public void Word2Vec_negatives_follow_the_unigram_distribution_to_the_three_quarters()
    {
        long[] counts = [1000, 300, 100, 30, 10, 0];
        var model = new Word2Vec([0, 1, 2], counts, dimension: 2, workers: 1);
        var random = new SeededRandom(5);
        const int draws = 20_000;
        var seen = new int[counts.Length];
        for (int i = 0; i < draws; i++) seen[model.DrawNegative(random)]++;

        double[] Expected(double power)
        {
            double[] p = counts.Select(c => Math.Pow(c, power)).ToArray();
            double sum = p.Sum();
            return p.Select(x => x / sum).ToArray();
        }
        double Distance(double[] p) => p.Select((x, i) => Math.Abs(x - seen[i] / (double)draws)).Max();

        // Four standard deviations of the largest frequency (0.59) is 0.014; exponents 1 and ½ are 0.1 off there.
        Assert.True(Distance(Expected(0.75)) < 0.015, $"off 3/4 by {Distance(Expected(0.75))}");
        Assert.True(Distance(Expected(1.0)) > 0.05);
        Assert.True(Distance(Expected(0.5)) > 0.05);
        Assert.Equal(0, seen[^1]);
    }

    [Fact]
    public void Word2Vec_learning_rate_decays_linearly_to_a_ten_thousandth()
    {
        Assert.Equal(0.025f, Word2Vec.DecayedLearningRate(0.025f, 0, 999));
        Assert.Equal(0.0125f, Word2Vec.DecayedLearningRate(0.025f, 500, 999), 6);
        Assert.Equal(0.025f * 1e-4f, Word2Vec.DecayedLearningRate(0.025f, 10_000_000, 10_000_000));
        Assert.Equal(0.025f * 1e-4f, Word2Vec.DecayedLearningRate(0.025f, 20_000_000, 10_000_000));

        // Training reports a rate falling with the words processed, and ends having read every word of every epoch.
        int[] corpus = TopicCorpus(30_000, 1);
        var reports = new List<Word2VecProgress>();
        var model = new Word2Vec(corpus, Counts(corpus), dimension: 8, epochs: 2, workers: 1, progress: p => reports.Add(p));
        model.Train();
        Assert.True(reports.Count >= 5);
        for (int i = 1; i < reports.Count; i++)
        {
            Assert.True(reports[i].WordsProcessed > reports[i - 1].WordsProcessed);
            Assert.True(reports[i].LearningRate < reports[i - 1].LearningRate);
            Assert.Equal(Word2Vec.DecayedLearningRate(0.025f, reports[i].WordsProcessed, reports[i].TotalWords), reports[i].LearningRate);
        }
        Assert.Equal(2L * corpus.Length, reports[^1].WordsProcessed);
        Assert.Equal(2L * corpus.Length, reports[^1].TotalWords);
        Assert.True(reports[^1].AverageLoss > 0 && reports[^1].AverageLoss < reports[0].AverageLoss,
            $"loss from {reports[0].AverageLoss} to {reports[^1].AverageLoss}");
    }

    /// <summary>Words 0–9 and 10–19, in runs of 40 tokens from one topic at a time.</summary>
    private static int[] TopicCorpus(int length, ulong seed)
    {
        var random = new SeededRandom(seed);
        var corpus = new int[length];
        int topic = 0;
        for (int i = 0; i < length; i++)
        {
            if (i % 40 == 0) topic = (int)(random.NextUInt32() % 2);
            corpus[i] = topic * 10 + (int)(random.NextUInt32() % 10);
        }
        return corpus;
    }

    private static long[] Counts(int[] corpus)
    {
        var counts = new long[20];
        foreach (int id in corpus) counts[id]++;
        return counts;
    }

    private static double Cosine(ReadOnlySpan<float> vectors, int dimension, int a, int b)
    {
        ReadOnlySpan<float> x = vectors.Slice(a * dimension, dimension), y = vectors.Slice(b * dimension, dimension);
        return System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(x, y);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void Word2Vec_words_of_a_topic_end_nearer_each_other_than_to_the_other_topic(int workers)
    {
        int[] corpus = TopicCorpus(20_000, 3);
        var model = new Word2Vec(corpus, Counts(corpus), dimension: 16, window: 3, negatives: 5, sample: 1e-3, epochs: 3,
            seed: 11, workers: workers);
        double Mean(bool sameTopic)
        {
            double sum = 0;
            int n = 0;
            for (int a = 0; a < 20; a++)
                for (int b = a + 1; b < 20; b++)
                    if (a / 10 == b / 10 == sameTopic) { sum += Cosine(model.InputVectors, 16, a, b); n++; }
            return sum / n;
        }
        double within0 = Mean(true), across0 = Mean(false);
        model.Train();
        double within = Mean(true), across = Mean(false);
        Assert.True(within > across + 0.3, $"within a topic {within}, across {across} (before training {within0}, {across0})");
        // Every word's nearest other word is of its topic.
        for (int a = 0; a < 20; a++)
        {
            int nearest = Enumerable.Range(0, 20).Where(b => b != a).MaxBy(b => Cosine(model.InputVectors, 16, a, b));
            Assert.Equal(a / 10, nearest / 10);
        }
    }

    [Fact]
    public void Word2Vec_with_one_worker_is_deterministic_for_a_seed()
    {
        int[] corpus = TopicCorpus(5000, 4);
        float[] Run(ulong seed)
        {
            var model = new Word2Vec(corpus, Counts(corpus), dimension: 8, epochs: 2, seed: seed, workers: 1);
            model.Train();
            return [.. model.InputVectors, .. model.OutputVectors];
        }
        float[] first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.NotEqual(first, Run(8));
        Assert.Contains(first, x => x != 0);
    }

    [Fact]
    public void Word2Vec_Train_allocates_nothing_after_the_first_call()
    {
        int[] corpus = TopicCorpus(3000, 5);
        long reports = 0;
        var model = new Word2Vec(corpus, Counts(corpus), dimension: 8, epochs: 1, workers: 0, progress: p => Interlocked.Increment(ref reports));
        Assert.Equal(0, Allocations.Of(model.Train));
        Assert.True(Interlocked.Read(ref reports) > 0);
    }

    [Fact]
    public void Word2Vec_bad_arguments_throw_ArgumentException_naming_them()
    {
        int[] corpus = [0, 1, 2];
        long[] counts = [1, 1, 1];
        void Throws(string name, Action action) => Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(action).ParamName);

        Throws("counts", () => new Word2Vec(corpus, []));
        Throws("counts", () => new Word2Vec(corpus, [1, -1, 1]));
        Throws("counts", () => new Word2Vec(corpus, [0, 0, 0]));
        Throws("corpus", () => new Word2Vec([], counts));
        Throws("corpus", () => new Word2Vec([0, 3], counts));
        Throws("corpus", () => new Word2Vec([-1], counts));
        Throws("dimension", () => new Word2Vec(corpus, counts, dimension: 0));
        Throws("window", () => new Word2Vec(corpus, counts, window: 0));
        Throws("negatives", () => new Word2Vec(corpus, counts, negatives: -1));
        Throws("sample", () => new Word2Vec(corpus, counts, sample: -1e-3));
        Throws("sample", () => new Word2Vec(corpus, counts, sample: double.NaN));
        Throws("learningRate", () => new Word2Vec(corpus, counts, learningRate: 0));
        Throws("learningRate", () => new Word2Vec(corpus, counts, learningRate: float.NaN));
        Throws("epochs", () => new Word2Vec(corpus, counts, epochs: 0));
        Throws("workers", () => new Word2Vec(corpus, counts, workers: -1));
        Throws("random", () => new Word2Vec(corpus, counts).DrawNegative(null!));

        Throws("count", () => Word2Vec.KeepProbability(-1, 10, 1e-3));
        Throws("total", () => Word2Vec.KeepProbability(1, 0, 1e-3));
        Throws("sample", () => Word2Vec.KeepProbability(1, 10, -1));
        Throws("wordsProcessed", () => Word2Vec.DecayedLearningRate(0.025f, -1, 10));
        Throws("totalWords", () => Word2Vec.DecayedLearningRate(0.025f, 0, 0));

        float[] vectors = new float[6], gradient = new float[6];
        Throws("dimension", () => Word2Vec.LossAndGradients(vectors, vectors, 0, [0], [1], [2], gradient, gradient));
        Throws("inputVectors", () => Word2Vec.LossAndGradients(vectors, vectors, 4, [0], [1], [], gradient, gradient));
        Throws("outputVectors", () => Word2Vec.LossAndGradients(vectors, new float[4], 2, [0], [1], [2], gradient, gradient));
        Throws("inputGradient", () => Word2Vec.LossAndGradients(vectors, vectors, 2, [0], [1], [2], new float[4], gradient));
        Throws("outputGradient", () => Word2Vec.LossAndGradients(vectors, vectors, 2, [0], [1], [2], gradient, new float[4]));
        Throws("contexts", () => Word2Vec.LossAndGradients(vectors, vectors, 2, [0], [1, 2], [2], gradient, gradient));
        Throws("negatives", () => Word2Vec.LossAndGradients(vectors, vectors, 2, [0, 1], [1, 2], [2], gradient, gradient));
        Throws("centers", () => Word2Vec.LossAndGradients(vectors, vectors, 2, [3], [1], [2], gradient, gradient));
        Throws("contexts", () => Word2Vec.LossAndGradients(vectors, vectors, 2, [0], [3], [2], gradient, gradient));
        Throws("negatives", () => Word2Vec.LossAndGradients(vectors, vectors, 2, [0], [1], [-1], gradient, gradient));
    }
}
