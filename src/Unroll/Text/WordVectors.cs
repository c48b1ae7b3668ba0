using System.Numerics.Tensors;

namespace Unroll;

/// <summary>
/// Pretrained word vectors (GloVe, word2vec): a word list and a row-major <c>[Count, Dimension]</c> matrix, with cosine
/// similarity, nearest neighbours, analogies and the debiasing of Bolukbasi et al. (2016) as the deep-learning
/// specialisation's "Operations on word vectors" exercise computes them.
/// </summary>
/// <remarks>
/// Row norms are cached at construction and kept current by <see cref="Neutralize"/> and <see cref="Equalize"/>. Queries
/// (<see cref="Nearest(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{int}, Span{float})"/>,
/// <see cref="CompleteAnalogy(string, string, string, Span{int}, Span{float})"/>, <see cref="Similarity"/>) allocate
/// nothing; they share scratch buffers, so one instance serves one thread at a time.
/// A zero vector has cosine similarity 0 with everything, as in the course.
/// </remarks>
public sealed class WordVectors
{
    private readonly string[] _words;
    private readonly float[] _vectors;
    private readonly float[] _norms;
    private readonly Dictionary<string, int> _indices;
    private readonly float[] _direction;
    private readonly float[] _difference;

    /// <summary>Wraps <paramref name="words"/> and their vectors (the array is used, not copied).</summary>
    /// <param name="words">The words, distinct, non-empty and without whitespace.</param>
    /// <param name="vectors">Row-major <c>[words.Count, dimension]</c>, a positive multiple of the word count.</param>
    /// <exception cref="ArgumentException">No words, a bad or repeated word, or a matrix that is not a positive multiple of the word count.</exception>
    public WordVectors(IEnumerable<string> words, float[] vectors)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(vectors);
        _words = words.ToArray();
        if (_words.Length == 0) throw new ArgumentException("At least one word is needed.", nameof(words));
        if (vectors.Length == 0 || vectors.Length % _words.Length != 0)
        {
            throw new ArgumentException($"The matrix holds {vectors.Length} values, not a positive multiple of the {_words.Length} words.", nameof(vectors));
        }
        _indices = new Dictionary<string, int>(_words.Length, StringComparer.Ordinal);
        for (int i = 0; i < _words.Length; i++)
        {
            string word = _words[i];
            if (word is null || word.Length == 0 || Vocabulary.HasWhitespace(word))
            {
                throw new ArgumentException($"Word {i} is {(word is null ? "null" : $"'{word}'")}; a word must be non-empty and hold no whitespace.", nameof(words));
            }
            if (!_indices.TryAdd(word, i))
            {
                throw new ArgumentException($"The word '{word}' appears twice (at {_indices[word]} and {i}).", nameof(words));
            }
        }
        _vectors = vectors;
        Dimension = vectors.Length / _words.Length;
        _norms = new float[_words.Length];
        for (int i = 0; i < _words.Length; i++) _norms[i] = TensorPrimitives.Norm(Row(i));
        _direction = new float[Dimension];
        _difference = new float[Dimension];
        Words = Array.AsReadOnly(_words);
    }

    /// <summary>The number of words.</summary>
    public int Count => _words.Length;

    /// <summary>The length of each vector.</summary>
    public int Dimension { get; }

    /// <summary>The words, in row order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The row-major <c>[Count, Dimension]</c> matrix.</summary>
    public ReadOnlySpan<float> Matrix => _vectors;

    /// <summary>The row of <paramref name="word"/>, or -1 when the word has no vector.</summary>
    /// <param name="word">The word.</param>
    /// <returns>The row index or -1.</returns>
    public int IndexOf(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return _indices.TryGetValue(word, out int index) ? index : -1;
    }

    /// <summary>The vector of <paramref name="word"/>.</summary>
    /// <param name="word">A word with a vector.</param>
    /// <returns>Its row of <see cref="Matrix"/>.</returns>
    /// <exception cref="ArgumentException">The word has no vector.</exception>
    public ReadOnlySpan<float> Vector(string word) => Row(Require(word, nameof(word)));

    /// <summary>
    /// The cosine similarity <c>u·v / (|u| |v|)</c> as the course's <c>cosine_similarity</c>: 0 when either vector is zero.
    /// </summary>
    /// <param name="u">A vector.</param>
    /// <param name="v">A vector of the same length.</param>
    /// <returns>The similarity in [-1, 1].</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static float CosineSimilarity(ReadOnlySpan<float> u, ReadOnlySpan<float> v)
    {
        if (u.Length != v.Length) throw new ArgumentException($"The vectors have {u.Length} and {v.Length} values.", nameof(v));
        return Cosine(TensorPrimitives.Dot(u, v), TensorPrimitives.Norm(u), TensorPrimitives.Norm(v));
    }

    /// <summary>The cosine similarity of two words' vectors (cached norms).</summary>
    /// <param name="word1">A word with a vector.</param>
    /// <param name="word2">A word with a vector.</param>
    /// <returns>The similarity in [-1, 1].</returns>
    /// <exception cref="ArgumentException">A word has no vector.</exception>
    public float Similarity(string word1, string word2)
    {
        int a = Require(word1, nameof(word1)), b = Require(word2, nameof(word2));
        return Cosine(TensorPrimitives.Dot(Row(a), Row(b)), _norms[a], _norms[b]);
    }

    /// <summary>
    /// The words most similar to <paramref name="word"/> by cosine similarity, the word itself excluded, most similar
    /// first (ties by row): as many as <paramref name="indices"/> holds.
    /// </summary>
    /// <param name="word">A word with a vector.</param>
    /// <param name="indices">Receives the rows; its length is the k of top-k.</param>
    /// <param name="similarities">Receives the similarities; as long as <paramref name="indices"/>.</param>
    /// <returns>How many were written: k, or fewer when the table has fewer other words.</returns>
    /// <exception cref="ArgumentException">The word has no vector, or the spans' lengths differ.</exception>
    public int Nearest(string word, Span<int> indices, Span<float> similarities)
    {
        int row = Require(word, nameof(word));
        CheckOutputs(indices, similarities);
        return TopK(Row(row), _norms[row], new ReadOnlySpan<int>(in row), indices, similarities);
    }

    /// <summary>The rows most similar to <paramref name="query"/> by cosine similarity, leaving out <paramref name="exclude"/>.</summary>
    /// <param name="query">A vector of <see cref="Dimension"/> values.</param>
    /// <param name="exclude">Rows never returned (may be empty).</param>
    /// <param name="indices">Receives the rows, most similar first (ties by row); its length is the k of top-k.</param>
    /// <param name="similarities">Receives the similarities; as long as <paramref name="indices"/>.</param>
    /// <returns>How many were written: k, or fewer when fewer rows remain.</returns>
    /// <exception cref="ArgumentException">The query is not <see cref="Dimension"/> long, or the spans' lengths differ.</exception>
    public int Nearest(ReadOnlySpan<float> query, ReadOnlySpan<int> exclude, Span<int> indices, Span<float> similarities)
    {
        CheckQuery(query, nameof(query));
        CheckOutputs(indices, similarities);
        return TopK(query, TensorPrimitives.Norm(query), exclude, indices, similarities);
    }

    /// <summary>
    /// The course's <c>complete_analogy</c>: "<paramref name="a"/> is to <paramref name="b"/> as <paramref name="c"/> is
    /// to <c>w</c>", the word <c>w</c> (not a, b or c) maximising <c>cos(e_b − e_a, e_w − e_c)</c>. Case-sensitive.
    /// </summary>
    /// <param name="a">A word with a vector.</param>
    /// <param name="b">A word with a vector.</param>
    /// <param name="c">A word with a vector.</param>
    /// <returns>The best word.</returns>
    /// <exception cref="ArgumentException">A word has no vector, or the table holds only a, b and c.</exception>
    public string CompleteAnalogy(string a, string b, string c)
    {
        int best = 0;
        float similarity = 0;
        if (CompleteAnalogy(a, b, c, new Span<int>(ref best), new Span<float>(ref similarity)) == 0)
        {
            throw new ArgumentException("The table holds no word besides a, b and c.", nameof(c));
        }
        return _words[best];
    }

    /// <summary>The top k answers of <see cref="CompleteAnalogy(string, string, string)"/>, best first, into caller spans.</summary>
    /// <param name="a">A word with a vector.</param>
    /// <param name="b">A word with a vector.</param>
    /// <param name="c">A word with a vector.</param>
    /// <param name="indices">Receives the rows; its length is k.</param>
    /// <param name="similarities">Receives <c>cos(e_b − e_a, e_w − e_c)</c>; as long as <paramref name="indices"/>.</param>
    /// <returns>How many were written.</returns>
    /// <exception cref="ArgumentException">A word has no vector, or the spans' lengths differ.</exception>
    public int CompleteAnalogy(string a, string b, string c, Span<int> indices, Span<float> similarities)
    {
        int ia = Require(a, nameof(a)), ib = Require(b, nameof(b)), ic = Require(c, nameof(c));
        CheckOutputs(indices, similarities);
        Span<float> direction = _direction, difference = _difference;
        TensorPrimitives.Subtract(Row(ib), Row(ia), direction);
        float directionNorm = TensorPrimitives.Norm(direction);
        ReadOnlySpan<float> ec = Row(ic);
        int found = 0;
        for (int w = 0; w < _words.Length; w++)
        {
            if (w == ia || w == ib || w == ic) continue;
            TensorPrimitives.Subtract(Row(w), ec, difference);
            float s = Cosine(TensorPrimitives.Dot(direction, difference), directionNorm, TensorPrimitives.Norm(difference));
            found = Insert(w, s, found, indices, similarities);
        }
        return found;
    }

    /// <summary>
    /// The course's <c>neutralize</c>: removes from the word's vector its projection on <paramref name="biasAxis"/>,
    /// <c>e − (e·g / |g|²) g</c>, in place.
    /// </summary>
    /// <param name="word">A word with a vector.</param>
    /// <param name="biasAxis">The bias direction g (for instance <c>e_woman − e_man</c>), non-zero, <see cref="Dimension"/> long.</param>
    /// <exception cref="ArgumentException">The word has no vector, or the axis is zero or the wrong length.</exception>
    public void Neutralize(string word, ReadOnlySpan<float> biasAxis)
    {
        int row = Require(word, nameof(word));
        double axisNormSquared = CheckAxis(biasAxis);
        Span<float> e = RowMutable(row);
        double scale = Dot(e, biasAxis) / axisNormSquared;
        for (int i = 0; i < e.Length; i++) e[i] = (float)(e[i] - scale * biasAxis[i]);
        _norms[row] = TensorPrimitives.Norm((ReadOnlySpan<float>)e);
    }

    /// <summary>
    /// The course's <c>equalize</c>: moves a gendered pair (say "actor", "actress") to the same distance from the
    /// neutralised words, in place. With <c>mu = (e1 + e2) / 2</c>, <c>mu_B</c> its projection on the axis,
    /// <c>mu_orth = mu − mu_B</c> and <c>e_iB</c> each word's projection, the new vectors are
    /// <c>sqrt(|1 − |mu_orth|²|) (e_iB − mu_B) / |e_i − mu_orth − mu_B| + mu_orth</c>.
    /// </summary>
    /// <param name="word1">A word with a vector.</param>
    /// <param name="word2">Another word with a vector.</param>
    /// <param name="biasAxis">The bias direction, non-zero, <see cref="Dimension"/> long.</param>
    /// <exception cref="ArgumentException">A word has no vector, the words are the same, or the axis is zero or the wrong length.</exception>
    public void Equalize(string word1, string word2, ReadOnlySpan<float> biasAxis)
    {
        int r1 = Require(word1, nameof(word1)), r2 = Require(word2, nameof(word2));
        if (r1 == r2) throw new ArgumentException($"The pair is '{word1}' twice.", nameof(word2));
        double axisNormSquared = CheckAxis(biasAxis);
        Span<float> e1 = RowMutable(r1), e2 = RowMutable(r2);
        int d = Dimension;
        // mu = (e1 + e2) / 2; mu_B = (mu·g / |g|²) g; mu_orth = mu − mu_B; e_iB = (e_i·g / |g|²) g.
        double muScale = 0, s1 = Dot(e1, biasAxis) / axisNormSquared, s2 = Dot(e2, biasAxis) / axisNormSquared;
        for (int i = 0; i < d; i++) muScale += (e1[i] + (double)e2[i]) / 2 * biasAxis[i];
        muScale /= axisNormSquared;
        double muOrthSquared = 0, n1 = 0, n2 = 0;
        for (int i = 0; i < d; i++)
        {
            double mu = (e1[i] + (double)e2[i]) / 2, muB = muScale * biasAxis[i], muOrth = mu - muB;
            muOrthSquared += muOrth * muOrth;
            double a = e1[i] - muOrth - muB, b = e2[i] - muOrth - muB;
            n1 += a * a;
            n2 += b * b;
        }
        double k = Math.Sqrt(Math.Abs(1 - muOrthSquared));
        n1 = Math.Sqrt(n1);
        n2 = Math.Sqrt(n2);
        for (int i = 0; i < d; i++)
        {
            double mu = (e1[i] + (double)e2[i]) / 2, muB = muScale * biasAxis[i], muOrth = mu - muB;
            double c1 = k * (s1 * biasAxis[i] - muB) / n1, c2 = k * (s2 * biasAxis[i] - muB) / n2;
            e1[i] = (float)(c1 + muOrth);
            e2[i] = (float)(c2 + muOrth);
        }
        _norms[r1] = TensorPrimitives.Norm((ReadOnlySpan<float>)e1);
        _norms[r2] = TensorPrimitives.Norm((ReadOnlySpan<float>)e2);
    }

    /// <summary>
    /// Copies the vector of every vocabulary word the table has into its row of an embedding weight
    /// <c>[numEmbeddings, Dimension]</c> (for instance <c>model.Embed.Weight</c>); the rows of the other words are drawn
    /// from N(0, 1) as <c>nn.Embedding</c> initialises them, and the padding row, if any, is zeroed. Rows beyond the
    /// vocabulary are left alone.
    /// </summary>
    /// <param name="vocabulary">The vocabulary whose ids index the rows.</param>
    /// <param name="weight">The embedding weight, row-major, at least <c>vocabulary.Count</c> rows of <see cref="Dimension"/>.</param>
    /// <param name="random">The generator for the rows the table lacks.</param>
    /// <returns>The vocabulary words (padding excluded) the table has no vector for, in id order.</returns>
    /// <exception cref="ArgumentException">
    /// The weight is not a whole number of rows of <see cref="Dimension"/>, or has fewer rows than the vocabulary has ids;
    /// nothing is written.
    /// </exception>
    public IReadOnlyList<string> CopyTo(Vocabulary vocabulary, Span<float> weight, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(random);
        if (weight.Length % Dimension != 0)
        {
            throw new ArgumentException($"The weight holds {weight.Length} values, not rows of the vectors' dimension {Dimension} (is the embedding dimension {Dimension}?).", nameof(weight));
        }
        if (weight.Length / Dimension < vocabulary.Count)
        {
            throw new ArgumentException($"The weight has {weight.Length / Dimension} rows of {Dimension}, fewer than the vocabulary's {vocabulary.Count} ids.", nameof(weight));
        }
        var missing = new List<string>();
        for (int id = 0; id < vocabulary.Count; id++)
        {
            Span<float> row = weight.Slice(id * Dimension, Dimension);
            string word = vocabulary.Word(id);
            if (id == vocabulary.PaddingId)
            {
                row.Clear();
            }
            else if (_indices.TryGetValue(word, out int index))
            {
                Row(index).CopyTo(row);
            }
            else
            {
                random.FillNormal(row);
                missing.Add(word);
            }
        }
        return missing.AsReadOnly();
    }

    private int TopK(ReadOnlySpan<float> query, float queryNorm, ReadOnlySpan<int> exclude, Span<int> indices, Span<float> similarities)
    {
        int found = 0;
        for (int w = 0; w < _words.Length; w++)
        {
            if (exclude.Contains(w)) continue;
            float s = Cosine(TensorPrimitives.Dot(query, Row(w)), queryNorm, _norms[w]);
            found = Insert(w, s, found, indices, similarities);
        }
        return found;
    }

    // Keeps the k best (similarity descending, earlier row first on ties) in sorted order.
    private static int Insert(int row, float similarity, int found, Span<int> indices, Span<float> similarities)
    {
        int k = indices.Length;
        if (k == 0) return 0;
        if (found == k && !(similarity > similarities[k - 1])) return found;
        int at = found == k ? k - 1 : found;
        while (at > 0 && similarity > similarities[at - 1])
        {
            indices[at] = indices[at - 1];
            similarities[at] = similarities[at - 1];
            at--;
        }
        indices[at] = row;
        similarities[at] = similarity;
        return found == k ? k : found + 1;
    }

    private static float Cosine(float dot, float normU, float normV)
    {
        float product = normU * normV;
        return product == 0 ? 0 : dot / product;
    }

    private static double Dot(ReadOnlySpan<float> u, ReadOnlySpan<float> v)
    {
        double sum = 0;
        for (int i = 0; i < u.Length; i++) sum += (double)u[i] * v[i];
        return sum;
    }

    private double CheckAxis(ReadOnlySpan<float> biasAxis)
    {
        CheckQuery(biasAxis, nameof(biasAxis));
        double normSquared = Dot(biasAxis, biasAxis);
        if (normSquared == 0) throw new ArgumentException("The bias axis is the zero vector.", nameof(biasAxis));
        return normSquared;
    }

    private void CheckQuery(ReadOnlySpan<float> vector, string argument)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"Expected a vector of {Dimension} values, but the span holds {vector.Length}.", argument);
        }
    }

    private static void CheckOutputs(Span<int> indices, Span<float> similarities)
    {
        if (similarities.Length != indices.Length)
        {
            throw new ArgumentException($"Expected {indices.Length} similarities, one per index, but the span holds {similarities.Length}.", nameof(similarities));
        }
    }

    private int Require(string word, string argument)
    {
        ArgumentNullException.ThrowIfNull(word, argument);
        if (!_indices.TryGetValue(word, out int index))
        {
            throw new ArgumentException($"The word '{word}' has no vector.", argument);
        }
        return index;
    }

    private ReadOnlySpan<float> Row(int index) => _vectors.AsSpan(index * Dimension, Dimension);

    private Span<float> RowMutable(int index) => _vectors.AsSpan(index * Dimension, Dimension);
}
