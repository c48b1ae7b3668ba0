namespace Unroll.Samples.Language;

/// <summary>
/// A batch of sentences for a token model: their ids padded with 0 to the batch's longest sentence (the
/// <c>length</c> that <c>Forward</c> takes), each row's own length (<c>lengths</c>), and optionally a target per token
/// with <see cref="Ignore"/> on the padding, as <see cref="Loss.CrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, int, Reduction, int, float)"/>
/// skips it. Allocated once, for at most <paramref name="batchSize"/> rows of <paramref name="maxLength"/> tokens; a
/// sentence longer than that is cut.
/// </summary>
internal sealed class TokenBatch(int batchSize, int maxLength)
{
    /// <summary>The target of a padding position: the loss and the metrics skip it (PyTorch's <c>ignore_index</c>).</summary>
    public const int Ignore = -100;

    private readonly int[] _ids = new int[batchSize * maxLength], _targets = new int[batchSize * maxLength];
    private readonly int[] _lengths = new int[batchSize];

    /// <summary>The sentences in the batch (fewer than the batch size for the last one of an epoch).</summary>
    public int Rows { get; private set; }

    /// <summary>The longest sentence's length: the steps each row is padded to.</summary>
    public int Length { get; private set; }

    /// <summary>Token ids <c>[Rows, Length]</c>, 0 after each row's length.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, Rows * Length);

    /// <summary>Each row's own length.</summary>
    public ReadOnlySpan<int> Lengths => _lengths.AsSpan(0, Rows);

    /// <summary>The targets per token <c>[Rows, Length]</c>, <see cref="Ignore"/> after each row's length.</summary>
    public ReadOnlySpan<int> Targets => _targets.AsSpan(0, Rows * Length);

    /// <summary>
    /// Fills the batch with the sentences <paramref name="sentences"/>[<paramref name="order"/>[i]] (token ids) and, when
    /// given, their targets per token.
    /// </summary>
    public void Fill(IReadOnlyList<int[]> sentences, ReadOnlySpan<int> order, IReadOnlyList<int[]>? targets = null)
    {
        Rows = order.Length;
        Length = 1;
        foreach (int s in order) Length = Math.Max(Length, Math.Min(sentences[s].Length, maxLength));
        for (int r = 0; r < Rows; r++)
        {
            int[] sentence = sentences[order[r]];
            int n = Math.Max(1, Math.Min(sentence.Length, maxLength));
            _lengths[r] = n;
            Span<int> ids = _ids.AsSpan(r * Length, Length), row = _targets.AsSpan(r * Length, Length);
            ids.Clear();
            row.Fill(Ignore);
            sentence.AsSpan(0, Math.Min(n, sentence.Length)).CopyTo(ids);
            targets?[order[r]].AsSpan(0, n).CopyTo(row);
        }
    }

    /// <summary>
    /// Word dropout: replaces each real token with <paramref name="unknownId"/> with probability <paramref name="p"/>, so
    /// that training sees the unknown word in context as held-out sentences show it (their words outside the vocabulary).
    /// </summary>
    public void DropWords(Random random, double p, int unknownId)
    {
        for (int r = 0; r < Rows; r++)
        {
            Span<int> ids = _ids.AsSpan(r * Length, _lengths[r]);
            for (int i = 0; i < ids.Length; i++)
            {
                if (random.NextDouble() < p) ids[i] = unknownId;
            }
        }
    }
}
