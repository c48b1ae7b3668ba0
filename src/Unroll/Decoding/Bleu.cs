namespace Unroll;

/// <summary>
/// How <see cref="Bleu"/> treats an n-gram order without a single match, as the methods of NLTK's
/// <c>nltk.translate.bleu_score.SmoothingFunction</c> (Chen and Cherry, 2014) define it. Whatever the
/// smoothing, a corpus without a single matching unigram scores 0 (as in NLTK).
/// </summary>
public enum BleuSmoothing
{
    /// <summary>No smoothing (NLTK's default, <c>method0</c>): an order without matches makes the score 0.</summary>
    None,

    /// <summary>NLTK's <c>method1</c>: an order without matches gets the precision ε / total (ε = 0.1 by default).</summary>
    Epsilon,

    /// <summary>
    /// NLTK's <c>method2</c> (Lin and Och, 2004): every order above unigrams gets the precision
    /// (matches + 1) / (total + 1), whether it has matches or not; unigrams are left as they are.
    /// </summary>
    AddOne,

    /// <summary>
    /// NLTK's <c>method3</c>, NIST's geometric smoothing (mteval-v13a): the k-th order without matches
    /// (k = 1, 2, ... counted from the lowest order) gets the precision 1 / (2^k · total).
    /// </summary>
    Nist,
}

/// <summary>
/// Corpus-level BLEU (Papineni et al., 2002) over token ids, accumulated one sentence at a time, as
/// NLTK's <c>corpus_bleu</c> defines it: for every order n = 1..<see cref="MaxOrder"/> the clipped
/// n-gram matches and the hypothesis n-gram counts are summed over the whole corpus before the
/// division (micro-average), the orders are combined by a geometric mean with uniform weights 1/N,
/// and the brevity penalty compares the total hypothesis length c with the total r of the closest
/// reference lengths. Allocation-free after construction: the working arrays are sized once for the
/// longest sentence and the most references it will see.
/// </summary>
/// <remarks>
/// <para>
/// For one sentence, an n-gram of the hypothesis counts at most as often as it occurs in the
/// reference that holds it most often (the clipping of the paper, with several references); the
/// sentence adds these clipped counts to <see cref="Matches"/> and its number of n-grams to
/// <see cref="Totals"/> (at least 1, as in NLTK: a hypothesis shorter than n adds 1 to the total of
/// order n). Its reference length is the length of the reference closest to the hypothesis's
/// length, the shorter one on a tie.
/// </para>
/// <para>
/// BLEU = BP · exp(Σ_n (1/N) log p_n) with p_n = matches_n / totals_n (after smoothing, see
/// <see cref="BleuSmoothing"/>) and BP = 1 if c &gt; r, else exp(1 − r/c) (0 when c = 0).
/// </para>
/// <para>
/// N-grams are matched exactly, without hashing: all positions of the hypothesis and references
/// are sorted by (id of the (n−1)-gram, token) and every group of equal keys becomes the id of an
/// n-gram, so a sentence costs O(T log T) per order for T tokens in all.
/// </para>
/// </remarks>
public sealed class BleuScorer
{
    private readonly long[] _matches;
    private readonly long[] _totals;

    // One sentence, hypothesis first, then the references: token, segment (0 = hypothesis,
    // k = k-th reference) and the id of the n-gram starting at each position for the current order.
    private readonly int[] _tokens;
    private readonly int[] _segment;
    private readonly int[] _unigramIds;
    private readonly int[] _ids;
    private readonly int[] _segmentEnd;
    private readonly long[] _keys;
    private readonly int[] _positions;
    private readonly int[] _counts;

    /// <summary>
    /// A scorer for sentences (hypotheses and references) of at most <paramref name="maxLength"/>
    /// tokens, with at most <paramref name="maxReferences"/> references each, and BLEU up to
    /// n-grams of <paramref name="maxOrder"/> tokens (4: BLEU-4).
    /// </summary>
    /// <param name="maxLength">The most tokens a hypothesis or a reference may have.</param>
    /// <param name="maxReferences">The most references a hypothesis may have.</param>
    /// <param name="maxOrder">The longest n-grams counted, N; the orders 1..N weigh 1/N each.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or the working arrays would be too large.</exception>
    public BleuScorer(int maxLength, int maxReferences = 4, int maxOrder = 4)
    {
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "The maximum sentence length must be at least 1.");
        if (maxReferences < 1) throw new ArgumentOutOfRangeException(nameof(maxReferences), maxReferences, "There must be room for at least 1 reference.");
        if (maxOrder < 1) throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, "The maximum n-gram order must be at least 1.");
        long capacity = (long)maxLength * (1L + maxReferences);
        if (capacity > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"{maxLength} tokens times {1L + maxReferences} sentences (the hypothesis and {maxReferences} references) is more than an array holds.");

        MaxLength = maxLength;
        MaxReferences = maxReferences;
        MaxOrder = maxOrder;
        _matches = new long[maxOrder];
        _totals = new long[maxOrder];
        int t = (int)capacity;
        _tokens = new int[t];
        _segment = new int[t];
        _unigramIds = new int[t];
        _ids = new int[t];
        _keys = new long[t];
        _positions = new int[t];
        _segmentEnd = new int[maxReferences + 1];
        _counts = new int[maxReferences + 1];
    }

    /// <summary>The longest n-grams counted (N of BLEU-N).</summary>
    public int MaxOrder { get; }

    /// <summary>The most tokens a hypothesis or a reference may have.</summary>
    public int MaxLength { get; }

    /// <summary>The most references a hypothesis may have.</summary>
    public int MaxReferences { get; }

    /// <summary>The number of sentences added since construction or the last <see cref="Reset"/>.</summary>
    public long Sentences { get; private set; }

    /// <summary>c: the total length of the hypotheses.</summary>
    public long HypothesisLength { get; private set; }

    /// <summary>r: the total, over the sentences, of the length of the reference closest to the hypothesis (the shorter one on a tie).</summary>
    public long ReferenceLength { get; private set; }

    /// <summary>Per order (index n − 1): the clipped n-gram matches summed over the corpus (NLTK's <c>p_numerators</c>).</summary>
    public ReadOnlySpan<long> Matches => _matches;

    /// <summary>Per order (index n − 1): the hypothesis n-grams summed over the corpus, each sentence adding at least 1 (NLTK's <c>p_denominators</c>).</summary>
    public ReadOnlySpan<long> Totals => _totals;

    /// <summary>The brevity penalty of the corpus so far: 1 if c &gt; r, 0 if c = 0, else exp(1 − r/c).</summary>
    public double BrevityPenalty => Bleu.BrevityPenalty(HypothesisLength, ReferenceLength);

    /// <summary>Forgets every sentence added: the statistics go back to zero.</summary>
    public void Reset()
    {
        Array.Clear(_matches);
        Array.Clear(_totals);
        Sentences = 0;
        HypothesisLength = 0;
        ReferenceLength = 0;
    }

    /// <summary>Adds a hypothesis with one reference.</summary>
    /// <param name="hypothesis">The produced token ids; may be empty (it then matches nothing and adds 1 to every total).</param>
    /// <param name="reference">The wanted token ids; may be empty.</param>
    /// <exception cref="ArgumentException">A sentence is longer than <see cref="MaxLength"/>.</exception>
    public void Add(ReadOnlySpan<int> hypothesis, ReadOnlySpan<int> reference)
    {
        CheckHypothesis(hypothesis);
        CheckReference(reference, nameof(reference), -1);
        int offset = Begin(hypothesis);
        offset = Append(reference, 1, offset);
        Accumulate(1, offset);
    }

    /// <summary>Adds a hypothesis with one or more references (n-gram counts are clipped by the reference that holds each n-gram most often).</summary>
    /// <param name="hypothesis">The produced token ids; may be empty.</param>
    /// <param name="references">The wanted token ids, 1 to <see cref="MaxReferences"/> sentences; each may be empty.</param>
    /// <exception cref="ArgumentException">There is no reference or more than <see cref="MaxReferences"/>, or a sentence is longer than <see cref="MaxLength"/>.</exception>
    /// <exception cref="ArgumentNullException">A reference is null.</exception>
    public void Add(ReadOnlySpan<int> hypothesis, ReadOnlySpan<int[]> references)
    {
        CheckHypothesis(hypothesis);
        CheckReferenceCount(references.Length, nameof(references));
        for (int k = 0; k < references.Length; k++)
        {
            if (references[k] is null) throw new ArgumentNullException(nameof(references), $"Reference {k} is null.");
            CheckReference(references[k], nameof(references), k);
        }

        int offset = Begin(hypothesis);
        for (int k = 0; k < references.Length; k++) offset = Append(references[k], k + 1, offset);
        Accumulate(references.Length, offset);
    }

    /// <summary>
    /// Adds a hypothesis with one or more references packed one after the other in one span
    /// (for callers that keep their references in a single buffer).
    /// </summary>
    /// <param name="hypothesis">The produced token ids; may be empty.</param>
    /// <param name="references">The references' token ids, concatenated.</param>
    /// <param name="referenceLengths">The length of each reference, 1 to <see cref="MaxReferences"/> values adding up to the length of <paramref name="references"/>; a length may be 0.</param>
    /// <exception cref="ArgumentException">
    /// There is no reference or more than <see cref="MaxReferences"/>, a length is negative, the lengths do not add up to
    /// the packed span's length, or a sentence is longer than <see cref="MaxLength"/>.
    /// </exception>
    public void Add(ReadOnlySpan<int> hypothesis, ReadOnlySpan<int> references, ReadOnlySpan<int> referenceLengths)
    {
        CheckHypothesis(hypothesis);
        CheckReferenceCount(referenceLengths.Length, nameof(referenceLengths));
        long sum = 0;
        for (int k = 0; k < referenceLengths.Length; k++)
        {
            int length = referenceLengths[k];
            if (length < 0) throw new ArgumentException($"Reference {k} has a negative length ({length}).", nameof(referenceLengths));
            if (length > MaxLength)
                throw new ArgumentException($"Reference {k} has {length} tokens, more than the {MaxLength} the scorer was built for.", nameof(referenceLengths));
            sum += length;
        }
        if (sum != references.Length)
            throw new ArgumentException($"The reference lengths add up to {sum} tokens, but the packed references hold {references.Length}.", nameof(referenceLengths));

        int offset = Begin(hypothesis);
        int start = 0;
        for (int k = 0; k < referenceLengths.Length; k++)
        {
            offset = Append(references.Slice(start, referenceLengths[k]), k + 1, offset);
            start += referenceLengths[k];
        }
        Accumulate(referenceLengths.Length, offset);
    }

    /// <summary>
    /// The corpus BLEU of the sentences added so far, in [0, 1] (0 when nothing was added, or when
    /// no unigram matches).
    /// </summary>
    /// <param name="smoothing">How an order without matches is treated (none by default: it makes the score 0).</param>
    /// <param name="epsilon">The count given to an order without matches by <see cref="BleuSmoothing.Epsilon"/> (NLTK's 0.1 by default); ignored otherwise.</param>
    /// <exception cref="ArgumentOutOfRangeException">The smoothing is not one of <see cref="BleuSmoothing"/>, or epsilon is not positive and finite.</exception>
    public double Score(BleuSmoothing smoothing = BleuSmoothing.None, double epsilon = 0.1) =>
        Bleu.Score(_matches, _totals, HypothesisLength, ReferenceLength, smoothing, epsilon);

    private void CheckHypothesis(ReadOnlySpan<int> hypothesis)
    {
        if (hypothesis.Length > MaxLength)
            throw new ArgumentException($"The hypothesis has {hypothesis.Length} tokens, more than the {MaxLength} the scorer was built for.", nameof(hypothesis));
    }

    private void CheckReference(ReadOnlySpan<int> reference, string name, int index)
    {
        if (reference.Length > MaxLength)
        {
            string which = index < 0 ? "The reference" : $"Reference {index}";
            throw new ArgumentException($"{which} has {reference.Length} tokens, more than the {MaxLength} the scorer was built for.", name);
        }
    }

    private void CheckReferenceCount(int count, string name)
    {
        if (count == 0) throw new ArgumentException("A hypothesis needs at least 1 reference, but there are none.", name);
        if (count > MaxReferences)
            throw new ArgumentException($"The hypothesis has {count} references, more than the {MaxReferences} the scorer was built for.", name);
    }

    private int Begin(ReadOnlySpan<int> hypothesis) => Append(hypothesis, 0, 0);

    private int Append(ReadOnlySpan<int> sentence, int segment, int offset)
    {
        sentence.CopyTo(_tokens.AsSpan(offset));
        _segment.AsSpan(offset, sentence.Length).Fill(segment);
        offset += sentence.Length;
        _segmentEnd[segment] = offset;
        return offset;
    }

    // The sentence is in _tokens[0..length): the hypothesis (segment 0), then references 1..count.
    private void Accumulate(int count, int length)
    {
        int hypothesisLength = _segmentEnd[0];

        // The reference length closest to the hypothesis's, the shorter on a tie.
        int closest = -1;
        for (int k = 1; k <= count; k++)
        {
            int referenceLength = _segmentEnd[k] - _segmentEnd[k - 1];
            if (closest < 0) { closest = referenceLength; continue; }
            int distance = Math.Abs(referenceLength - hypothesisLength), best = Math.Abs(closest - hypothesisLength);
            if (distance < best || (distance == best && referenceLength < closest)) closest = referenceLength;
        }

        for (int n = 1; n <= MaxOrder; n++)
        {
            // NLTK's denominator: the hypothesis's n-grams, at least 1.
            _totals[n - 1] += Math.Max(1, hypothesisLength - n + 1);
            if (hypothesisLength >= n) _matches[n - 1] += ClippedMatches(n, length);
        }

        Sentences++;
        HypothesisLength += hypothesisLength;
        ReferenceLength += closest;
    }

    // Sorts the starting positions of the n-grams by (id of the (n−1)-gram there, id of the n-th token), so
    // equal n-grams form a run; counts each run per segment, and gives it an id for the next order.
    private long ClippedMatches(int n, int length)
    {
        int m = 0;
        for (int p = 0; p < length; p++)
        {
            if (p + n > _segmentEnd[_segment[p]]) continue; // the n-gram would run past its sentence
            _keys[m] = n == 1 ? (uint)_tokens[p] : ((long)_ids[p] << 32) | (uint)_unigramIds[p + n - 1];
            _positions[m] = p;
            m++;
        }
        Span<long> keys = _keys.AsSpan(0, m);
        Span<int> positions = _positions.AsSpan(0, m);
        keys.Sort(positions);

        long matches = 0;
        int[] counts = _counts, segment = _segment;
        int id = 0;
        for (int start = 0; start < m; id++)
        {
            int end = start;
            while (end < m && keys[end] == keys[start])
            {
                counts[segment[positions[end]]]++;
                end++;
            }

            int inHypothesis = counts[0], mostInAReference = 0;
            for (int i = start; i < end; i++)
            {
                int p = positions[i], s = segment[p];
                if (s > 0) mostInAReference = Math.Max(mostInAReference, counts[s]);
                _ids[p] = id;
                if (n == 1) _unigramIds[p] = id;
            }
            matches += Math.Min(inHypothesis, mostInAReference);

            for (int i = start; i < end; i++) counts[segment[positions[i]]] = 0;
            start = end;
        }
        return matches;
    }
}

/// <summary>
/// BLEU (Papineni et al., 2002) as NLTK's <c>corpus_bleu</c> and <c>sentence_bleu</c> compute it, with
/// uniform weights over the orders 1..N: convenience methods that build a <see cref="BleuScorer"/>
/// (and so allocate), and the score of accumulated statistics. See <see cref="BleuScorer"/> for the
/// definition.
/// </summary>
public static class Bleu
{
    /// <summary>
    /// Corpus BLEU of <paramref name="hypotheses"/> against their <paramref name="references"/>
    /// (<c>corpus_bleu(references, hypotheses, weights=(1/N,)*N, smoothing_function=...)</c>).
    /// </summary>
    /// <param name="hypotheses">One token-id sequence per sentence.</param>
    /// <param name="references">Per sentence, one or more reference token-id sequences.</param>
    /// <param name="smoothing">How an order without matches is treated.</param>
    /// <param name="maxOrder">N: the longest n-grams counted (4: BLEU-4).</param>
    /// <exception cref="ArgumentException">The lists' lengths differ, or a sentence has no reference.</exception>
    /// <exception cref="ArgumentNullException">A list, sentence or reference is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The order is below 1, or the smoothing is not one of <see cref="BleuSmoothing"/>.</exception>
    public static double Corpus(IReadOnlyList<int[]> hypotheses, IReadOnlyList<int[][]> references, BleuSmoothing smoothing = BleuSmoothing.None, int maxOrder = 4)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"Expected references for each of the {hypotheses.Count} hypotheses, but there are {references.Count} lists of references.", nameof(references));
        if (maxOrder < 1) throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, "The maximum n-gram order must be at least 1.");
        CheckSmoothing(smoothing, 0.1);

        int maxLength = 1, maxReferences = 1;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (hypotheses[i] is null) throw new ArgumentNullException(nameof(hypotheses), $"Hypothesis {i} is null.");
            if (references[i] is null) throw new ArgumentNullException(nameof(references), $"The references of sentence {i} are null.");
            if (references[i].Length == 0) throw new ArgumentException($"Sentence {i} has no reference.", nameof(references));
            maxLength = Math.Max(maxLength, hypotheses[i].Length);
            maxReferences = Math.Max(maxReferences, references[i].Length);
            foreach (int[] reference in references[i])
            {
                if (reference is null) throw new ArgumentNullException(nameof(references), $"A reference of sentence {i} is null.");
                maxLength = Math.Max(maxLength, reference.Length);
            }
        }

        var scorer = new BleuScorer(maxLength, maxReferences, maxOrder);
        for (int i = 0; i < hypotheses.Count; i++) scorer.Add(hypotheses[i], references[i]);
        return scorer.Score(smoothing);
    }

    /// <summary>
    /// Sentence BLEU of one hypothesis against its references: the corpus BLEU of a one-sentence corpus
    /// (<c>sentence_bleu(references, hypothesis, weights=(1/N,)*N, smoothing_function=...)</c>).
    /// </summary>
    /// <param name="hypothesis">The produced token ids.</param>
    /// <param name="references">One or more reference token-id sequences.</param>
    /// <param name="smoothing">How an order without matches is treated.</param>
    /// <param name="maxOrder">N: the longest n-grams counted (4: BLEU-4).</param>
    /// <exception cref="ArgumentException">There is no reference.</exception>
    /// <exception cref="ArgumentNullException">A reference is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The order is below 1, or the smoothing is not one of <see cref="BleuSmoothing"/>.</exception>
    public static double Sentence(ReadOnlySpan<int> hypothesis, ReadOnlySpan<int[]> references, BleuSmoothing smoothing = BleuSmoothing.None, int maxOrder = 4)
    {
        if (references.IsEmpty) throw new ArgumentException("A hypothesis needs at least 1 reference, but there are none.", nameof(references));
        if (maxOrder < 1) throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, "The maximum n-gram order must be at least 1.");
        CheckSmoothing(smoothing, 0.1);
        int maxLength = Math.Max(1, hypothesis.Length);
        for (int k = 0; k < references.Length; k++)
        {
            if (references[k] is null) throw new ArgumentNullException(nameof(references), $"Reference {k} is null.");
            maxLength = Math.Max(maxLength, references[k].Length);
        }

        var scorer = new BleuScorer(maxLength, references.Length, maxOrder);
        scorer.Add(hypothesis, references);
        return scorer.Score(smoothing);
    }

    /// <summary>
    /// BLEU from accumulated statistics (for instance the sums of several <see cref="BleuScorer"/>s'
    /// statistics, to score a corpus split across workers): BP · exp(Σ_n (1/N) log p_n) with
    /// p_n = matches[n−1] / totals[n−1] after <paramref name="smoothing"/>, N = the number of orders given.
    /// </summary>
    /// <param name="matches">Per order n = 1..N, the clipped n-gram matches.</param>
    /// <param name="totals">Per order, the hypothesis n-grams (each at least the matches, and at least 1 when there are unigram matches).</param>
    /// <param name="hypothesisLength">c: the total hypothesis length.</param>
    /// <param name="referenceLength">r: the total closest reference length.</param>
    /// <param name="smoothing">How an order without matches is treated.</param>
    /// <param name="epsilon">The count given to an order without matches by <see cref="BleuSmoothing.Epsilon"/>; ignored otherwise.</param>
    /// <returns>The score; 0 when there is no unigram match (whatever the smoothing, as in NLTK).</returns>
    /// <exception cref="ArgumentException">
    /// There are no orders, the spans' lengths differ, a count is negative, matches exceed their total,
    /// or an order counts no n-grams while unigrams match.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is negative, the smoothing is not one of <see cref="BleuSmoothing"/>, or epsilon is not positive and finite.</exception>
    public static double Score(ReadOnlySpan<long> matches, ReadOnlySpan<long> totals, long hypothesisLength, long referenceLength, BleuSmoothing smoothing = BleuSmoothing.None, double epsilon = 0.1)
    {
        int orders = matches.Length;
        if (orders == 0) throw new ArgumentException("There are no n-gram orders to score.", nameof(matches));
        if (totals.Length != orders)
            throw new ArgumentException($"Expected {orders} totals (one per order, as many as the matches), but the span holds {totals.Length}.", nameof(totals));
        if (hypothesisLength < 0) throw new ArgumentOutOfRangeException(nameof(hypothesisLength), hypothesisLength, "The hypothesis length cannot be negative.");
        if (referenceLength < 0) throw new ArgumentOutOfRangeException(nameof(referenceLength), referenceLength, "The reference length cannot be negative.");
        CheckSmoothing(smoothing, epsilon);
        for (int i = 0; i < orders; i++)
        {
            if (matches[i] < 0) throw new ArgumentException($"The {i + 1}-gram matches are negative ({matches[i]}).", nameof(matches));
            if (matches[i] > totals[i])
                throw new ArgumentException($"There are {matches[i]} {i + 1}-gram matches, more than the {totals[i]} {i + 1}-grams counted.", nameof(matches));
        }

        // As NLTK: no unigram match (this includes an empty corpus) scores 0, whatever the smoothing.
        if (matches[0] == 0) return 0;

        double weight = 1.0 / orders;
        double sum = 0, compensation = 0; // Neumaier's summation, close to NLTK's math.fsum
        int missing = 0;
        for (int i = 0; i < orders; i++)
        {
            long match = matches[i], total = totals[i];
            if (total == 0) throw new ArgumentException($"Unigrams match, but no {i + 1}-grams are counted.", nameof(totals));
            double precision;
            if (smoothing == BleuSmoothing.AddOne && i > 0) precision = (match + 1) / (double)(total + 1);
            else if (match > 0) precision = match / (double)total;
            else
            {
                switch (smoothing)
                {
                    case BleuSmoothing.Epsilon:
                        precision = epsilon / total;
                        break;
                    case BleuSmoothing.Nist:
                        missing++;
                        precision = 1.0 / Math.ScaleB((double)total, missing);
                        break;
                    default:
                        return 0; // an order without matches: the geometric mean is 0
                }
            }

            double term = weight * Math.Log(precision), next = sum + term;
            compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - next) + term : (term - next) + sum;
            sum = next;
        }
        return BrevityPenalty(hypothesisLength, referenceLength) * Math.Exp(sum + compensation);
    }

    /// <summary>
    /// The brevity penalty for a total hypothesis length c and a total closest reference length r:
    /// 1 if c &gt; r, 0 if c = 0, else exp(1 − r/c).
    /// </summary>
    /// <param name="hypothesisLength">c.</param>
    /// <param name="referenceLength">r.</param>
    public static double BrevityPenalty(long hypothesisLength, long referenceLength)
    {
        if (hypothesisLength > referenceLength) return 1;
        if (hypothesisLength <= 0) return 0;
        return Math.Exp(1 - (double)referenceLength / hypothesisLength);
    }

    private static void CheckSmoothing(BleuSmoothing smoothing, double epsilon)
    {
        if (smoothing is < BleuSmoothing.None or > BleuSmoothing.Nist)
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Unknown smoothing.");
        if (!(epsilon > 0) || double.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive and finite.");
    }
}
