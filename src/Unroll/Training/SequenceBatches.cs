namespace Unroll;

/// <summary>
/// Mini-batches of variable-length sequences, as a shuffling <c>DataLoader</c> with a padding collate function: each
/// epoch visits every sequence once in a seeded random order, a batch holds up to <c>batchSize</c> of them batch-first,
/// padded to the longest in the batch (at most <c>maxLength</c> steps; longer ones are cut), with each row's real
/// length and the sequences' indices (to fetch their labels). The last batch of an epoch may be smaller. Allocates
/// nothing after construction.
/// </summary>
/// <typeparam name="T">A step's values: <c>int</c> token ids, or <c>float</c> features.</typeparam>
public sealed class SequenceBatches<T> where T : unmanaged
{
    private readonly IReadOnlyList<T[]> _sequences;
    private readonly int[] _order;
    private readonly SeededRandom _random;
    private readonly T _padding;
    private int _next;

    /// <summary>Batches of <paramref name="sequences"/>, each sequence <c>[steps × featuresPerStep]</c> row-major.</summary>
    /// <param name="sequences">The data set; it is read, not copied, so it must not change while batches are drawn.</param>
    /// <param name="batchSize">The most rows a batch holds: the model's <c>BatchSize</c>.</param>
    /// <param name="maxLength">The most steps a batch holds: the model's <c>SequenceLength</c>.</param>
    /// <param name="featuresPerStep">Values per step: 1 for token ids, the model's <c>InputSize</c> for features.</param>
    /// <param name="seed">The order's seed: the same seed gives the same epochs.</param>
    /// <param name="padding">The value after a row's real steps (PyTorch's <c>padding_value</c>).</param>
    /// <exception cref="ArgumentException">A sequence is empty or not whole steps, or there are none.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public SequenceBatches(IReadOnlyList<T[]> sequences, int batchSize, int maxLength, int featuresPerStep = 1, ulong seed = 0, T padding = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "A batch holds at least one row.");
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "A batch holds at least one step.");
        if (featuresPerStep < 1) throw new ArgumentOutOfRangeException(nameof(featuresPerStep), featuresPerStep, "A step holds at least one value.");
        if (sequences.Count == 0) throw new ArgumentException("There are no sequences.", nameof(sequences));
        for (int i = 0; i < sequences.Count; i++)
        {
            if (sequences[i] is not { Length: > 0 } s || s.Length % featuresPerStep != 0)
                throw new ArgumentException($"Sequence {i} is empty or not whole steps of {featuresPerStep} values.", nameof(sequences));
        }
        _sequences = sequences;
        BatchSize = batchSize;
        MaxLength = maxLength;
        FeaturesPerStep = featuresPerStep;
        _padding = padding;
        _random = new SeededRandom(seed);
        _order = new int[sequences.Count];
        NextEpoch();
    }

    /// <summary>The most rows a batch holds.</summary>
    public int BatchSize { get; }

    /// <summary>The most steps a batch holds.</summary>
    public int MaxLength { get; }

    /// <summary>Values per step.</summary>
    public int FeaturesPerStep { get; }

    /// <summary>Batches in an epoch: the sequences over the batch size, the last one possibly smaller.</summary>
    public int BatchesPerEpoch => (_order.Length + BatchSize - 1) / BatchSize;

    /// <summary>Starts an epoch: a new random order of the sequences (a Fisher–Yates shuffle from the seeded generator).</summary>
    public void NextEpoch()
    {
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = (int)(_random.NextUInt32() % (uint)(i + 1));
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
        _next = 0;
    }

    /// <summary>
    /// The epoch's next batch: <paramref name="batch"/> receives <c>[rows, length, FeaturesPerStep]</c> batch-first (a
    /// model's <c>Forward</c> input with <c>length</c> and <paramref name="lengths"/>), padded after each row's real steps.
    /// </summary>
    /// <param name="batch">At least <c>BatchSize × MaxLength × FeaturesPerStep</c> values; the first <c>rows × length × FeaturesPerStep</c> are written.</param>
    /// <param name="lengths">At least <c>BatchSize</c>; the first <paramref name="rows"/> receive each row's real steps.</param>
    /// <param name="indices">At least <c>BatchSize</c>; the first <paramref name="rows"/> receive the sequences' indices.</param>
    /// <param name="rows">The batch's rows, 1 to <c>BatchSize</c>.</param>
    /// <param name="length">The batch's steps: its longest row's, at most <c>MaxLength</c>.</param>
    /// <returns>False when the epoch has no batch left (call <see cref="NextEpoch"/>); nothing is written then.</returns>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public bool Next(Span<T> batch, Span<int> lengths, Span<int> indices, out int rows, out int length)
    {
        if (batch.Length < (long)BatchSize * MaxLength * FeaturesPerStep)
            throw new ArgumentException($"The batch holds {batch.Length} values, fewer than {BatchSize} × {MaxLength} × {FeaturesPerStep}.", nameof(batch));
        if (lengths.Length < BatchSize) throw new ArgumentException($"The lengths hold {lengths.Length} values, fewer than {BatchSize}.", nameof(lengths));
        if (indices.Length < BatchSize) throw new ArgumentException($"The indices hold {indices.Length} values, fewer than {BatchSize}.", nameof(indices));
        rows = Math.Min(BatchSize, _order.Length - _next);
        length = 0;
        if (rows <= 0)
        {
            rows = 0;
            return false;
        }
        for (int b = 0; b < rows; b++)
        {
            indices[b] = _order[_next + b];
            lengths[b] = Math.Min(MaxLength, _sequences[indices[b]].Length / FeaturesPerStep);
            length = Math.Max(length, lengths[b]);
        }
        int row = length * FeaturesPerStep;
        for (int b = 0; b < rows; b++)
        {
            Span<T> target = batch.Slice(b * row, row);
            int real = lengths[b] * FeaturesPerStep;
            _sequences[indices[b]].AsSpan(0, real).CopyTo(target);
            target.Slice(real).Fill(_padding);
        }
        _next += rows;
        return true;
    }
}
