using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Unroll.Kernels;

namespace Unroll;

/// <summary>
/// Where a <see cref="Word2Vec"/> run stands, as reported to its progress callback: a plain value, nothing allocated.
/// </summary>
public readonly struct Word2VecProgress
{
    /// <summary>Creates a report.</summary>
    public Word2VecProgress(long wordsProcessed, long totalWords, float learningRate, double averageLoss)
    {
        WordsProcessed = wordsProcessed;
        TotalWords = totalWords;
        LearningRate = learningRate;
        AverageLoss = averageLoss;
    }

    /// <summary>Corpus tokens read so far in this run (sub-sampled ones included, as word2vec.c counts them), over all workers.</summary>
    public long WordsProcessed { get; }

    /// <summary>Tokens the run reads in all: the corpus length times the epochs.</summary>
    public long TotalWords { get; }

    /// <summary>The learning rate now.</summary>
    public float LearningRate { get; }

    /// <summary>
    /// The mean over the (center, context) pairs trained since the last report of
    /// <c>−log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c)</c>; 0 when none was.
    /// </summary>
    public double AverageLoss { get; }
}

/// <summary>
/// Word vectors by skip-gram with negative sampling, as Mikolov et al. 2013 and their word2vec.c: sub-sampling of
/// frequent words, a dynamic window, negatives drawn from the unigram distribution raised to 3/4, a learning rate
/// decaying linearly over the words of all epochs, and Hogwild training on every core (each worker a share of the corpus
/// and its own <see cref="SeededRandom"/> stream). Works over token ids: the caller builds the vocabulary (and drops
/// rare words). Everything is allocated by the constructor; <see cref="Train"/> allocates nothing.
/// </summary>
/// <remarks>
/// Each pair (center c, context o) takes the center's input vector v_c = <see cref="InputVectors"/>[c] and the
/// context's output vector u_o = <see cref="OutputVectors"/>[o]; for the positive (label 1) and each negative k (label 0)
/// g = (label − σ(u·v_c))·lr is accumulated into a buffer as g·u, u is updated by g·v_c, and the buffer is then added to v_c.
/// </remarks>
public sealed class Word2Vec
{
    /// <summary>Tokens a worker trains on as one "sentence" (word2vec.c's MAX_SENTENCE_LENGTH); the window does not cross it.</summary>
    private const int SentenceLength = 1000;

    /// <summary>Tokens a worker reads between updates of the shared word count and the learning rate (as word2vec.c).</summary>
    private const int Interval = 10000;

    private readonly int[] _corpus;
    private readonly long[] _counts;
    private readonly long _totalCount;
    private readonly float[] _input, _output;
    private readonly float[] _keep;
    private readonly float[] _aliasProbability;
    private readonly int[] _alias;
    private readonly SeededRandom[] _random;
    private readonly float[][] _neu1e;
    private readonly int[][] _sentence;
    private readonly double[] _lossSum;
    private readonly long[] _pairs;
    private readonly Action<Word2VecProgress>? _progress;
    private long _wordsProcessed;
    private double _reportedLoss;
    private long _reportedPairs;

    /// <summary>
    /// Prepares training on <paramref name="corpus"/> (token ids below <c>counts.Length</c>) with the vocabulary's
    /// <paramref name="counts"/> (occurrences per id, for sub-sampling and the negative distribution).
    /// </summary>
    /// <param name="corpus">The token ids, in order; at least one.</param>
    /// <param name="counts">Occurrences of each id; the vocabulary size is its length. Not negative, not all 0.</param>
    /// <param name="dimension">Size of a word vector (word2vec.c's <c>-size</c>, 100 there).</param>
    /// <param name="window">The largest window on each side (<c>-window</c>, 5); each center word draws its own in 1..window.</param>
    /// <param name="negatives">Negatives per pair (<c>-negative</c>, 5); 0 trains on positives alone.</param>
    /// <param name="sample">Sub-sampling threshold (<c>-sample</c>, 1e-3 or 1e-4); 0 keeps every word.</param>
    /// <param name="learningRate">The initial learning rate (<c>-alpha</c>, 0.025), decaying linearly to a 10⁴th of it.</param>
    /// <param name="epochs">Passes over the corpus per <see cref="Train"/> (<c>-iter</c>, 5).</param>
    /// <param name="seed">Seeds the initial vectors and every worker's stream.</param>
    /// <param name="workers">Workers (threads) training at once; 0 for <see cref="Parallelism.MaxDegreeOfParallelism"/>. One worker gives the same vectors for the same seed.</param>
    /// <param name="progress">Called by the first worker about every 10 000 of its words and once at the end of <see cref="Train"/>; null for none.</param>
    /// <exception cref="ArgumentException">An argument is out of range (the message names it).</exception>
    public Word2Vec(ReadOnlySpan<int> corpus, ReadOnlySpan<long> counts, int dimension = 100, int window = 5, int negatives = 5,
        double sample = 1e-3, float learningRate = 0.025f, int epochs = 5, ulong seed = 1, int workers = 0,
        Action<Word2VecProgress>? progress = null)
    {
        if (counts.Length == 0) throw new ArgumentException("The vocabulary is empty.", nameof(counts));
        long total = 0;
        foreach (long count in counts)
        {
            if (count < 0) throw new ArgumentException($"A count is negative ({count}).", nameof(counts));
            total += count;
        }
        if (total == 0) throw new ArgumentException("Every count is 0.", nameof(counts));
        if (corpus.Length == 0) throw new ArgumentException("The corpus is empty.", nameof(corpus));
        foreach (int id in corpus)
            if ((uint)id >= (uint)counts.Length)
                throw new ArgumentException($"Token id {id} is outside the vocabulary of {counts.Length}.", nameof(corpus));
        if (dimension < 1) throw new ArgumentException($"The dimension must be at least 1, not {dimension}.", nameof(dimension));
        if (window < 1) throw new ArgumentException($"The window must be at least 1, not {window}.", nameof(window));
        if (negatives < 0) throw new ArgumentException($"Negatives must not be negative ({negatives}).", nameof(negatives));
        if (!(sample >= 0) || double.IsInfinity(sample)) throw new ArgumentException($"The sample threshold must be finite and not negative, not {sample}.", nameof(sample));
        if (!(learningRate > 0) || float.IsInfinity(learningRate)) throw new ArgumentException($"The learning rate must be finite and positive, not {learningRate}.", nameof(learningRate));
        if (epochs < 1) throw new ArgumentException($"Epochs must be at least 1, not {epochs}.", nameof(epochs));
        if (workers < 0 || workers > ushort.MaxValue) throw new ArgumentException($"Workers must be 0 (every core) or a count, not {workers}.", nameof(workers));
        if ((long)counts.Length * dimension > Array.MaxLength) throw new ArgumentException("The vectors do not fit in one array.", nameof(dimension));

        VocabularySize = counts.Length;
        Dimension = dimension;
        Window = window;
        Negatives = negatives;
        Sample = sample;
        LearningRate = learningRate;
        Epochs = epochs;
        Workers = workers == 0 ? Parallelism.MaxDegreeOfParallelism : workers;
        _progress = progress;
        _corpus = corpus.ToArray();
        _counts = counts.ToArray();
        _totalCount = total;

        var random = new SeededRandom(seed);
        _input = new float[counts.Length * dimension];
        random.FillUniform(_input, -0.5f / dimension, 0.5f / dimension);
        _output = new float[counts.Length * dimension];

        _keep = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++) _keep[i] = (float)KeepProbability(counts[i], total, sample);
        (_aliasProbability, _alias) = AliasTable(counts);

        _random = new SeededRandom[Workers];
        _neu1e = new float[Workers][];
        _sentence = new int[Workers][];
        for (int w = 0; w < Workers; w++)
        {
            _random[w] = new SeededRandom(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(w + 1)));
            _neu1e[w] = new float[dimension];
            _sentence[w] = new int[SentenceLength];
        }
        _lossSum = new double[Workers];
        _pairs = new long[Workers];
    }

    /// <summary>Number of token ids (the length of the counts).</summary>
    public int VocabularySize { get; }

    /// <summary>Size of a word vector.</summary>
    public int Dimension { get; }

    /// <summary>The largest window on each side.</summary>
    public int Window { get; }

    /// <summary>Negatives per pair.</summary>
    public int Negatives { get; }

    /// <summary>The sub-sampling threshold (0: none).</summary>
    public double Sample { get; }

    /// <summary>The initial learning rate.</summary>
    public float LearningRate { get; }

    /// <summary>Passes over the corpus per <see cref="Train"/>.</summary>
    public int Epochs { get; }

    /// <summary>Workers training at once.</summary>
    public int Workers { get; }

    /// <summary>The word vectors W_in, <c>[VocabularySize, Dimension]</c> row-major (word2vec.c's syn0).</summary>
    public Span<float> InputVectors => _input;

    /// <summary>The output (context) vectors W_out, <c>[VocabularySize, Dimension]</c> row-major (word2vec.c's syn1neg).</summary>
    public Span<float> OutputVectors => _output;

    /// <summary>
    /// word2vec.c's probability of keeping an occurrence of a word seen <paramref name="count"/> times among
    /// <paramref name="total"/>: <c>(√(f/(s·total)) + 1)·(s·total)/f</c> (above 1: always kept); 1 when <paramref name="sample"/> is 0.
    /// </summary>
    /// <exception cref="ArgumentException">An argument is negative, or the total 0.</exception>
    public static double KeepProbability(long count, long total, double sample)
    {
        if (count < 0) throw new ArgumentException($"The count must not be negative ({count}).", nameof(count));
        if (total < 1) throw new ArgumentException($"The total must be positive ({total}).", nameof(total));
        if (!(sample >= 0)) throw new ArgumentException($"The sample threshold must not be negative ({sample}).", nameof(sample));
        if (sample == 0 || count == 0) return 1;
        double threshold = sample * total;
        return (Math.Sqrt(count / threshold) + 1) * threshold / count;
    }

    /// <summary>
    /// The learning rate once <paramref name="wordsProcessed"/> of the run's <paramref name="totalWords"/> are read:
    /// <c>lr·(1 − processed/(total + 1))</c>, never below <c>lr·10⁻⁴</c> (word2vec.c).
    /// </summary>
    /// <exception cref="ArgumentException">An argument is negative, or the total 0.</exception>
    public static float DecayedLearningRate(float learningRate, long wordsProcessed, long totalWords)
    {
        if (wordsProcessed < 0) throw new ArgumentException($"Words processed must not be negative ({wordsProcessed}).", nameof(wordsProcessed));
        if (totalWords < 1) throw new ArgumentException($"The total must be positive ({totalWords}).", nameof(totalWords));
        float rate = learningRate * (1 - wordsProcessed / (float)(totalWords + 1));
        return Math.Max(rate, learningRate * 1e-4f);
    }

    /// <summary>
    /// Draws a negative from the unigram distribution raised to 3/4 (Walker's alias table, exact) with
    /// <paramref name="random"/>: for tests and callers sampling as training does.
    /// </summary>
    public int DrawNegative(SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Draw(random);
    }

    private int Draw(SeededRandom random)
    {
        uint bits = random.NextUInt32();
        int i = (int)((ulong)bits * (uint)_alias.Length >> 32);
        return random.NextSingle() < _aliasProbability[i] ? i : _alias[i];
    }

    /// <summary>Walker's alias table of counts^0.75.</summary>
    private static (float[] Probability, int[] Alias) AliasTable(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        var scaled = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += scaled[i] = Math.Pow(counts[i], 0.75);
        for (int i = 0; i < n; i++) scaled[i] = scaled[i] * n / sum;
        var probability = new float[n];
        var alias = new int[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = 0; i < n; i++) (scaled[i] < 1 ? small : large).Push(i);
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            probability[s] = (float)scaled[s];
            alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - 1;
            (scaled[l] < 1 ? small : large).Push(l);
        }
        while (large.Count > 0) { int l = large.Pop(); probability[l] = 1; alias[l] = l; }
        while (small.Count > 0) { int s = small.Pop(); probability[s] = 1; alias[s] = s; }
        return (probability, alias);
    }

    /// <summary>
    /// Trains <see cref="Epochs"/> passes over the corpus, the learning rate decaying from <see cref="LearningRate"/> over
    /// all of them, on <see cref="Workers"/> threads (Hogwild: they update the shared vectors without locks). Continues
    /// from the current vectors and random streams. Allocates nothing.
    /// </summary>
    public unsafe void Train()
    {
        _wordsProcessed = 0;
        _reportedLoss = 0;
        _reportedPairs = 0;
        Array.Clear(_lossSum);
        Array.Clear(_pairs);
        GCHandle handle = GCHandle.Alloc(this);
        try
        {
            var job = new TrainJob { Trainer = GCHandle.ToIntPtr(handle) };
            Kernels.Workers.Run(&TrainPart, &job, Workers);
        }
        finally
        {
            handle.Free();
        }
        Report();
    }

    private struct TrainJob
    {
        public nint Trainer;
    }

    private static unsafe void TrainPart(TrainJob* job, int part, int parts)
    {
        var trainer = (Word2Vec)GCHandle.FromIntPtr(job->Trainer).Target!;
        trainer.TrainShare(part, parts);
    }

    private long TotalWords => (long)_corpus.Length * Epochs;

    /// <summary>Sends the progress so far (the loss of the pairs since the last report) to the callback.</summary>
    private void Report()
    {
        if (_progress is null) return;
        double loss = 0;
        long pairs = 0;
        for (int w = 0; w < _lossSum.Length; w++)
        {
            loss += Volatile.Read(ref _lossSum[w]);
            pairs += Volatile.Read(ref _pairs[w]);
        }
        double average = pairs > _reportedPairs ? (loss - _reportedLoss) / (pairs - _reportedPairs) : 0;
        _reportedLoss = loss;
        _reportedPairs = pairs;
        long processed = Interlocked.Read(ref _wordsProcessed);
        _progress(new Word2VecProgress(processed, TotalWords, DecayedLearningRate(LearningRate, processed, TotalWords), average));
    }

    /// <summary>One worker's epochs over its share of the corpus (part <paramref name="part"/> of <paramref name="parts"/>).</summary>
    private void TrainShare(int part, int parts)
    {
        (int start, int length) = Kernels.Workers.Share(_corpus.Length, 1, part, parts);
        SeededRandom random = _random[part];
        Span<float> neu1e = _neu1e[part];
        int[] sentence = _sentence[part];
        long total = TotalWords;
        float rate = DecayedLearningRate(LearningRate, Interlocked.Read(ref _wordsProcessed), total);
        double lossSum = 0;
        long pairs = 0, unreported = 0;
        int dim = Dimension;
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            int position = start, end = start + length;
            while (position < end)
            {
                // Read a sentence: up to SentenceLength tokens, the sub-sampled ones dropped (as word2vec.c).
                int read = Math.Min(SentenceLength, end - position), kept = 0;
                for (int i = 0; i < read; i++)
                {
                    int word = _corpus[position + i];
                    float keep = _keep[word];
                    if (keep < 1 && keep < random.NextSingle()) continue;
                    sentence[kept++] = word;
                }
                position += read;
                unreported += read;

                for (int s = 0; s < kept; s++)
                {
                    int center = sentence[s];
                    Span<float> v = _input.AsSpan(center * dim, dim);
                    int reduced = Window - (int)((ulong)random.NextUInt32() * (uint)Window >> 32); // uniform in 1..Window
                    int from = Math.Max(0, s - reduced), to = Math.Min(kept - 1, s + reduced);
                    for (int c = from; c <= to; c++)
                    {
                        if (c == s) continue;
                        int context = sentence[c];
                        neu1e.Clear();
                        lossSum += Update(v, context, 1f, rate, neu1e);
                        for (int k = 0; k < Negatives; k++)
                        {
                            int negative = Draw(random);
                            if (negative == context) continue;
                            lossSum += Update(v, negative, 0f, rate, neu1e);
                        }
                        TensorPrimitives.Add(v, neu1e, v);
                        pairs++;
                    }
                }

                if (unreported >= Interval || position >= end)
                {
                    long processed = Interlocked.Add(ref _wordsProcessed, unreported);
                    unreported = 0;
                    rate = DecayedLearningRate(LearningRate, processed, total);
                    Volatile.Write(ref _lossSum[part], lossSum);
                    Volatile.Write(ref _pairs[part], pairs);
                    if (part == 0 && (position < end || epoch < Epochs - 1)) Report();
                }
            }
        }
    }

    /// <summary>One term of a pair's update: returns its loss; adds g·u to <paramref name="neu1e"/> and g·v to u.</summary>
    private float Update(Span<float> v, int target, float label, float rate, Span<float> neu1e)
    {
        Span<float> u = _output.AsSpan(target * Dimension, Dimension);
        float loss = Term(v, u, label, out float coefficient);
        float g = coefficient * rate;
        TensorPrimitives.MultiplyAdd(u, g, neu1e, neu1e);
        TensorPrimitives.MultiplyAdd(v, g, u, u);
        return loss;
    }

    /// <summary>
    /// One term of the objective, −log σ(u·v) for <paramref name="label"/> 1 or −log σ(−u·v) for 0, and
    /// <paramref name="coefficient"/> = label − σ(u·v), minus its derivative by u·v.
    /// </summary>
    private static float Term(ReadOnlySpan<float> v, ReadOnlySpan<float> u, float label, out float coefficient)
    {
        float f = TensorPrimitives.Dot(v, u);
        float sigmoid = 1f / (1f + MathF.Exp(-f));
        coefficient = label - sigmoid;
        float x = label == 1f ? -f : f; // the loss is softplus(x)
        return MathF.Max(x, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(x)));
    }

    /// <summary>
    /// The loss <c>Σ_i [−log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c)]</c> of the triples (centers[i], contexts[i],
    /// negatives[i·k .. i·k + k]) with v = rows of <paramref name="inputVectors"/> and u = rows of
    /// <paramref name="outputVectors"/> (<c>[vocabulary, dimension]</c> each), and its gradients, added to
    /// <paramref name="inputGradient"/> and <paramref name="outputGradient"/> (same shapes; a word repeated adds up). The terms
    /// the trainer's update computes, with every vector as it is before the batch.
    /// </summary>
    /// <exception cref="ArgumentException">A shape disagrees or an id is outside the vocabulary (the message names the argument).</exception>
    public static double LossAndGradients(ReadOnlySpan<float> inputVectors, ReadOnlySpan<float> outputVectors, int dimension,
        ReadOnlySpan<int> centers, ReadOnlySpan<int> contexts, ReadOnlySpan<int> negatives,
        Span<float> inputGradient, Span<float> outputGradient)
    {
        if (dimension < 1) throw new ArgumentException($"The dimension must be at least 1, not {dimension}.", nameof(dimension));
        if (inputVectors.Length == 0 || inputVectors.Length % dimension != 0)
            throw new ArgumentException($"Expected whole rows of {dimension}, but the span holds {inputVectors.Length}.", nameof(inputVectors));
        int vocabulary = inputVectors.Length / dimension;
        if (outputVectors.Length != inputVectors.Length)
            throw new ArgumentException($"Expected {inputVectors.Length} values, as the input vectors, but the span holds {outputVectors.Length}.", nameof(outputVectors));
        if (inputGradient.Length != inputVectors.Length)
            throw new ArgumentException($"Expected {inputVectors.Length} values, but the span holds {inputGradient.Length}.", nameof(inputGradient));
        if (outputGradient.Length != inputVectors.Length)
            throw new ArgumentException($"Expected {inputVectors.Length} values, but the span holds {outputGradient.Length}.", nameof(outputGradient));
        if (contexts.Length != centers.Length)
            throw new ArgumentException($"Expected {centers.Length} contexts, one per center, but the span holds {contexts.Length}.", nameof(contexts));
        if (centers.Length == 0 ? negatives.Length != 0 : negatives.Length % centers.Length != 0)
            throw new ArgumentException($"Expected the same number of negatives for each of the {centers.Length} triples, but the span holds {negatives.Length}.", nameof(negatives));
        CheckIds(centers, vocabulary, nameof(centers));
        CheckIds(contexts, vocabulary, nameof(contexts));
        CheckIds(negatives, vocabulary, nameof(negatives));

        int k = centers.Length == 0 ? 0 : negatives.Length / centers.Length;
        double loss = 0;
        for (int i = 0; i < centers.Length; i++)
        {
            ReadOnlySpan<float> v = inputVectors.Slice(centers[i] * dimension, dimension);
            Span<float> dv = inputGradient.Slice(centers[i] * dimension, dimension);
            for (int j = -1; j < k; j++)
            {
                int target = j < 0 ? contexts[i] : negatives[i * k + j];
                ReadOnlySpan<float> u = outputVectors.Slice(target * dimension, dimension);
                loss += Term(v, u, j < 0 ? 1f : 0f, out float coefficient);
                // d loss / d(u·v) = −coefficient.
                TensorPrimitives.MultiplyAdd(u, -coefficient, dv, dv);
                Span<float> du = outputGradient.Slice(target * dimension, dimension);
                TensorPrimitives.MultiplyAdd(v, -coefficient, du, du);
            }
        }
        return loss;
    }

    private static void CheckIds(ReadOnlySpan<int> ids, int vocabulary, string name)
    {
        foreach (int id in ids)
            if ((uint)id >= (uint)vocabulary)
                throw new ArgumentException($"Id {id} is outside the vocabulary of {vocabulary}.", name);
    }
}
