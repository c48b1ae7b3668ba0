namespace Unroll;

/// <summary>
/// Turns a CTC model's output (<c>[batch, time, classes]</c> logits, trained with <see cref="Loss.Ctc(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float}, int, CtcWorkspace, Reduction, int, bool)"/>)
/// into label sequences: greedy decoding (<see cref="Greedy"/>) or prefix beam search (<see cref="BeamSearch"/>), over
/// whole sequences (<see cref="Decode"/>) or one step at a time as a streaming model produces them (<see cref="Step"/>);
/// both give the same result. Read a row's best sequence with <see cref="Labels"/>.
/// </summary>
/// <remarks>
/// <para>
/// Greedy decoding takes the most likely class at each step (the first on ties), merges repeats and drops blanks: the
/// labelling of the single most likely path. Prefix beam search (Hannun et al., 2014) keeps the <see cref="BeamWidth"/>
/// most likely label prefixes with, for each, the probability of the paths ending in a blank and of those ending in its
/// last label, and adds up every path that collapses to the same prefix; it can therefore find a labelling more likely
/// than greedy's, whose probability is spread over many paths. With a width at least the number of possible prefixes
/// and no pruning it is exact. At each step, only the classes among the <c>topK</c> most likely (0: all) whose
/// log-probability is at least <c>minLogProbability</c> are followed (ties at the threshold kept, the most likely class
/// always), for the blank and repeats too. Ties between prefixes go to the one found first.
/// </para>
/// <para>
/// The logits are normalised with a log-softmax at each step, so log-probabilities may be passed as well. Every buffer
/// is allocated by the factory: <see cref="Decode"/> and <see cref="Step"/> allocate nothing. An instance is not
/// thread-safe.
/// </para>
/// </remarks>
public sealed class CtcDecoder
{
    private readonly int _batch, _maxSteps, _classes, _blank, _width, _topK;
    private readonly float _minLogProbability;
    private readonly bool _beamSearch;

    private readonly int[] _steps;              // [batch], steps fed since the reset
    private readonly int[] _labels;             // [batch, width, maxSteps], the prefixes
    private readonly int[] _labelCounts;        // [batch, width]
    private readonly int[] _lastClass;          // [batch], greedy: the class of the last step (repeats merge)
    private readonly double[] _pathScore;       // [batch], greedy: log-probability of the path
    private readonly int[] _beamCounts;         // [batch], beam search: live prefixes, best first
    private readonly double[] _blankScore;      // [batch, width], log-probability of the prefix's paths that end in a blank
    private readonly double[] _labelScore;      // [batch, width], ... that end in its last label

    private readonly float[] _logProbabilities; // [classes], this step's log-softmax
    private readonly float[] _sorted;           // [classes], for the top-k threshold
    private readonly int[] _kept;               // [classes], the classes followed at this step
    private readonly int[] _parents;            // [width], the beam that is each beam's prefix without its last label, or -1
    private readonly double[] _stayBlank;       // [width], each prefix's new blank-ending score
    private readonly double[] _stayLabel;       // [width], ... and label-ending score
    private readonly double[] _candidateScores; // [width · classes], prefixes of the next step
    private readonly int[] _candidateBeams;     // [width · classes], the beam each extends
    private readonly int[] _candidateClasses;   // [width · classes], the class it appends, -1 for the same prefix
    private readonly int[] _chosen;             // [width], the best candidates, best first
    private readonly int[] _nextLabels;         // [width, maxSteps]
    private readonly int[] _nextCounts;         // [width]

    private CtcDecoder(int batchSize, int maxSteps, int classes, int blank, int beamWidth, int topK, float minLogProbability)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "The most steps must be at least 1.");
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be at least 1.");
        if ((uint)blank >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(blank), blank, $"The blank must be a class in [0, {classes}).");
        _batch = batchSize;
        _maxSteps = maxSteps;
        _classes = classes;
        _blank = blank;
        _beamSearch = beamWidth > 0;
        _width = Math.Max(beamWidth, 1);
        _topK = topK;
        _minLogProbability = minLogProbability;

        _steps = new int[batchSize];
        _labels = new int[batchSize * _width * maxSteps];
        _labelCounts = new int[batchSize * _width];
        _lastClass = new int[batchSize];
        _pathScore = new double[batchSize];
        _beamCounts = new int[batchSize];
        _blankScore = new double[batchSize * _width];
        _labelScore = new double[batchSize * _width];
        _logProbabilities = new float[classes];
        _sorted = new float[classes];
        _kept = new int[classes];
        _parents = new int[_width];
        _stayBlank = new double[_width];
        _stayLabel = new double[_width];
        _candidateScores = new double[_width * classes];
        _candidateBeams = new int[_width * classes];
        _candidateClasses = new int[_width * classes];
        _chosen = new int[_width];
        _nextLabels = new int[_width * maxSteps];
        _nextCounts = new int[_width];
        Reset();
    }

    /// <summary>A greedy (best path) decoder.</summary>
    /// <param name="batchSize">The rows decoded together.</param>
    /// <param name="maxSteps">The most time steps of a sequence.</param>
    /// <param name="classes">The classes of a step, the blank included.</param>
    /// <param name="blank">The class of the blank, 0 as in <see cref="Loss"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or the blank is not a class.</exception>
    public static CtcDecoder Greedy(int batchSize, int maxSteps, int classes, int blank = 0) =>
        new(batchSize, maxSteps, classes, blank, 0, 0, float.NegativeInfinity);

    /// <summary>A prefix beam search decoder.</summary>
    /// <param name="batchSize">The rows decoded together.</param>
    /// <param name="maxSteps">The most time steps of a sequence.</param>
    /// <param name="classes">The classes of a step, the blank included.</param>
    /// <param name="beamWidth">The prefixes kept after each step.</param>
    /// <param name="blank">The class of the blank, 0 as in <see cref="Loss"/>.</param>
    /// <param name="topK">Follow only the k most likely classes of a step (0: all).</param>
    /// <param name="minLogProbability">Follow only the classes of a step whose log-probability is at least this (−∞: all).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or the width is below 1, the blank is not a class, topK is negative, or the threshold is NaN.</exception>
    public static CtcDecoder BeamSearch(int batchSize, int maxSteps, int classes, int beamWidth, int blank = 0, int topK = 0, float minLogProbability = float.NegativeInfinity)
    {
        if (beamWidth < 1) throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, "The beam width must be at least 1.");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be 0 (all classes) or positive.");
        if (float.IsNaN(minLogProbability)) throw new ArgumentOutOfRangeException(nameof(minLogProbability), minLogProbability, "The threshold must be a number (−∞ for none).");
        return new(batchSize, maxSteps, classes, blank, beamWidth, topK, minLogProbability);
    }

    /// <summary>The rows decoded together.</summary>
    public int BatchSize => _batch;

    /// <summary>The most time steps of a sequence.</summary>
    public int MaxSteps => _maxSteps;

    /// <summary>The classes of a step, the blank included.</summary>
    public int Classes => _classes;

    /// <summary>The class of the blank.</summary>
    public int Blank => _blank;

    /// <summary>The prefixes kept by beam search; 0 for a greedy decoder.</summary>
    public int BeamWidth => _beamSearch ? _width : 0;

    /// <summary>Forgets every row's steps: the next <see cref="Step"/> starts new sequences.</summary>
    public void Reset()
    {
        Array.Clear(_steps);
        Array.Clear(_labelCounts);
        Array.Fill(_lastClass, -1);
        Array.Clear(_pathScore);
        Array.Fill(_beamCounts, 1);
        Array.Fill(_blankScore, double.NegativeInfinity);
        Array.Fill(_labelScore, double.NegativeInfinity);
        for (int b = 0; b < _batch; b++) _blankScore[b * _width] = 0;   // the empty prefix, certain before any step
    }

    /// <summary>Decodes whole sequences: <see cref="Reset"/>, then row b's first <c>lengths[b]</c> steps.</summary>
    /// <param name="logits">The model's output <c>[batch, steps, classes]</c>, row-major, with steps ≤ <see cref="MaxSteps"/>.</param>
    /// <param name="lengths">The steps of each row, from 0 to steps.</param>
    /// <exception cref="ArgumentException">The logits are not <c>[batch, steps, classes]</c> for a steps from 1 to <see cref="MaxSteps"/>, or <paramref name="lengths"/> is not one per row.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is out of range.</exception>
    public void Decode(ReadOnlySpan<float> logits, ReadOnlySpan<int> lengths)
    {
        int perStep = _batch * _classes, steps = logits.Length / perStep;
        if (logits.Length % perStep != 0 || steps < 1 || steps > _maxSteps)
            throw new ArgumentException($"Expected logits [{_batch}, steps, {_classes}] with 1 to {_maxSteps} steps (a multiple of {perStep} up to {perStep * _maxSteps}), got {logits.Length}.", nameof(logits));
        if (lengths.Length != _batch) throw new ArgumentException($"Expected {_batch} lengths (one per row), got {lengths.Length}.", nameof(lengths));
        for (int b = 0; b < _batch; b++)
        {
            if ((uint)lengths[b] > (uint)steps)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"Length {b} is {lengths[b]}: expected 0 to {steps} (the logits' steps).");
        }
        Reset();
        for (int b = 0; b < _batch; b++)
        {
            for (int t = 0; t < lengths[b]; t++) StepRow(b, logits.Slice((b * steps + t) * _classes, _classes));
        }
    }

    /// <summary>Feeds one step of every row (a streaming model's output); <see cref="Labels"/> then holds the best sequences so far.</summary>
    /// <param name="logits">One step's output <c>[batch, classes]</c>.</param>
    /// <exception cref="ArgumentException">The logits are not <c>[batch, classes]</c>.</exception>
    /// <exception cref="InvalidOperationException">A row has already had <see cref="MaxSteps"/> steps since the reset.</exception>
    public void Step(ReadOnlySpan<float> logits)
    {
        if (logits.Length != _batch * _classes)
            throw new ArgumentException($"Expected one step's logits [{_batch}, {_classes}] = {_batch * _classes} values, got {logits.Length}.", nameof(logits));
        for (int b = 0; b < _batch; b++)
        {
            if (_steps[b] == _maxSteps) throw new InvalidOperationException($"Row {b} has had {_maxSteps} steps, the most this decoder holds; call Reset first.");
        }
        for (int b = 0; b < _batch; b++) StepRow(b, logits.Slice(b * _classes, _classes));
    }

    /// <summary>Row <paramref name="row"/>'s best label sequence so far (valid until the next call that changes the decoder).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row of the batch.</exception>
    public ReadOnlySpan<int> Labels(int row)
    {
        CheckRow(row);
        return _labels.AsSpan(row * _width * _maxSteps, _labelCounts[row * _width]);
    }

    /// <summary>
    /// The natural log of the probability behind row <paramref name="row"/>'s <see cref="Labels"/>: for greedy decoding
    /// that of its single path, for beam search that of every path the search kept that collapses to it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row of the batch.</exception>
    public double LogProbability(int row)
    {
        CheckRow(row);
        return _beamSearch ? Loss.LogAdd(_blankScore[row * _width], _labelScore[row * _width]) : _pathScore[row];
    }

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)_batch) throw new ArgumentOutOfRangeException(nameof(row), row, $"Expected a row from 0 to {_batch - 1}.");
    }

    private void StepRow(int b, ReadOnlySpan<float> logits)
    {
        _steps[b]++;
        Span<float> logProbabilities = _logProbabilities;
        Probabilities.LogSoftmax(logits, logProbabilities, _classes);
        if (_beamSearch) BeamStep(b, logProbabilities);
        else GreedyStep(b, logProbabilities);
    }

    private void GreedyStep(int b, ReadOnlySpan<float> logProbabilities)
    {
        int best = Sampling.ArgMax(logProbabilities);
        _pathScore[b] += logProbabilities[best];
        if (best != _blank && best != _lastClass[b]) _labels[b * _maxSteps + _labelCounts[b]++] = best;
        _lastClass[b] = best;
    }

    private void BeamStep(int b, ReadOnlySpan<float> logProbabilities)
    {
        int beams = _beamCounts[b], offset = b * _width, kept = KeepClasses(logProbabilities);
        Span<double> blankScore = _blankScore.AsSpan(offset, _width), labelScore = _labelScore.AsSpan(offset, _width);
        Span<int> counts = _labelCounts.AsSpan(offset, _width);

        // Which beam is another's prefix without its last label (where an extension merges into an existing beam).
        for (int j = 0; j < beams; j++)
        {
            _parents[j] = -1;
            for (int i = 0; i < beams && counts[j] > 0; i++)
            {
                if (counts[i] == counts[j] - 1 && Prefix(offset + j).StartsWith(Prefix(offset + i))) _parents[j] = i;
            }
        }

        // The same prefix: a blank, or its last label repeated (merged).
        double blankLogP = double.NegativeInfinity;
        for (int k = 0; k < kept; k++)
        {
            if (_kept[k] == _blank) blankLogP = logProbabilities[_blank];
        }
        for (int i = 0; i < beams; i++)
        {
            _stayBlank[i] = Loss.LogAdd(blankScore[i], labelScore[i]) + blankLogP;
            _stayLabel[i] = counts[i] > 0 && IsKept(Last(offset + i), kept) ? labelScore[i] + logProbabilities[Last(offset + i)] : double.NegativeInfinity;
        }

        // A new label: after a blank only, when it repeats the last one. Into the beam that already holds it, or a new
        // candidate after the same prefixes (candidates 0 to beams - 1, scored once every merge is in).
        int candidates = beams;
        for (int i = 0; i < beams; i++)
        {
            for (int k = 0; k < kept; k++)
            {
                int c = _kept[k];
                if (c == _blank) continue;
                double score = (c == Last(offset + i) ? blankScore[i] : Loss.LogAdd(blankScore[i], labelScore[i])) + logProbabilities[c];
                if (double.IsNegativeInfinity(score)) continue;
                int existing = -1;
                for (int j = 0; j < beams; j++)
                {
                    if (_parents[j] == i && Last(offset + j) == c) existing = j;
                }
                if (existing >= 0) _stayLabel[existing] = Loss.LogAdd(_stayLabel[existing], score);
                else SetCandidate(candidates++, i, c, score);
            }
        }
        for (int i = 0; i < beams; i++) SetCandidate(i, i, -1, Loss.LogAdd(_stayBlank[i], _stayLabel[i]));

        // The best candidates, best first (an earlier one first on a tie), become the beams.
        int chosen = 0;
        for (int n = 0; n < candidates; n++)
        {
            if (double.IsNegativeInfinity(_candidateScores[n])) continue;
            int at = chosen;
            while (at > 0 && _candidateScores[_chosen[at - 1]] < _candidateScores[n]) at--;
            if (at == _width) continue;
            int last = Math.Min(chosen, _width - 1);
            for (int m = last; m > at; m--) _chosen[m] = _chosen[m - 1];
            _chosen[at] = n;
            chosen = Math.Min(chosen + 1, _width);
        }
        for (int m = 0; m < chosen; m++)
        {
            int n = _chosen[m], parent = _candidateBeams[n], c = _candidateClasses[n];
            Prefix(offset + parent).CopyTo(_nextLabels.AsSpan(m * _maxSteps));
            _nextCounts[m] = counts[parent];
            if (c >= 0) _nextLabels[m * _maxSteps + _nextCounts[m]++] = c;
            blankScore[m] = c >= 0 ? double.NegativeInfinity : _stayBlank[parent];   // the old scores are all read by now
            labelScore[m] = c >= 0 ? _candidateScores[n] : _stayLabel[parent];
        }
        for (int m = 0; m < chosen; m++)
        {
            counts[m] = _nextCounts[m];
            _nextLabels.AsSpan(m * _maxSteps, counts[m]).CopyTo(_labels.AsSpan((offset + m) * _maxSteps));
        }
        _beamCounts[b] = chosen;
    }

    /// <summary>The labels of beam <paramref name="beam"/> (counted over the whole batch, <c>row · width + index</c>).</summary>
    private ReadOnlySpan<int> Prefix(int beam) => _labels.AsSpan(beam * _maxSteps, _labelCounts[beam]);

    /// <summary>The last label of beam <paramref name="beam"/>, or -1 for the empty prefix.</summary>
    private int Last(int beam) => _labelCounts[beam] == 0 ? -1 : _labels[beam * _maxSteps + _labelCounts[beam] - 1];

    /// <summary>Candidate <paramref name="n"/>: beam <paramref name="beam"/>'s prefix, followed by <paramref name="label"/> unless it is -1.</summary>
    private void SetCandidate(int n, int beam, int label, double score)
    {
        _candidateBeams[n] = beam;
        _candidateClasses[n] = label;
        _candidateScores[n] = score;
    }

    private bool IsKept(int c, int kept) => _kept.AsSpan(0, kept).Contains(c);

    /// <summary>Fills <see cref="_kept"/> with the classes followed at this step (see the remarks); returns how many.</summary>
    private int KeepClasses(ReadOnlySpan<float> logProbabilities)
    {
        float threshold = _minLogProbability;
        if (_topK > 0 && _topK < _classes)
        {
            logProbabilities.CopyTo(_sorted);
            Array.Sort(_sorted);
            threshold = Math.Max(threshold, _sorted[_classes - _topK]);
        }
        threshold = Math.Min(threshold, System.Numerics.Tensors.TensorPrimitives.Max(logProbabilities));   // the most likely class always
        int kept = 0;
        for (int c = 0; c < _classes; c++)
        {
            if (logProbabilities[c] >= threshold) _kept[kept++] = c;
        }
        return kept;
    }
}
