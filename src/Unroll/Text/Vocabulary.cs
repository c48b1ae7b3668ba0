using System.Globalization;
using System.Text;

namespace Unroll;

/// <summary>
/// A word ↔ id mapping with the count of each word, as the embedding layer of a token model needs it: ids are
/// <c>0 .. Count - 1</c>, the optional padding and unknown ids come first (padding 0, then unknown), then the words by
/// descending count, ties in ordinal word order.
/// </summary>
/// <remarks>
/// Saved as UTF-8 text, one <c>word count</c> line per id in id order, so the file is the vocabulary. A word may not be
/// empty or contain whitespace (it could not be read back). Lookups allocate nothing.
/// </remarks>
public sealed class Vocabulary
{
    /// <summary>What <see cref="Id"/> returns for an unknown word when the vocabulary has no unknown id.</summary>
    public const int NotFound = -1;

    private readonly string[] _words;
    private readonly long[] _counts;
    private readonly Dictionary<string, int> _ids;

    private Vocabulary(string[] words, long[] counts, Dictionary<string, int> ids, int paddingId, int unknownId)
    {
        _words = words;
        _counts = counts;
        _ids = ids;
        PaddingId = paddingId;
        UnknownId = unknownId;
        Words = Array.AsReadOnly(words);
    }

    /// <summary>The number of ids, padding and unknown included.</summary>
    public int Count => _words.Length;

    /// <summary>The padding id, or <see cref="NotFound"/> when the vocabulary has none.</summary>
    public int PaddingId { get; }

    /// <summary>The id every unknown word maps to, or <see cref="NotFound"/> when the vocabulary has none.</summary>
    public int UnknownId { get; }

    /// <summary>The words in id order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>
    /// Counts <paramref name="tokens"/> and keeps the words seen at least <paramref name="minCount"/> times, at most
    /// <paramref name="maxSize"/> ids in all (the most frequent first, ties in ordinal order).
    /// </summary>
    /// <param name="tokens">The corpus, one word per token.</param>
    /// <param name="minCount">The fewest occurrences a word needs to be kept (at least 1).</param>
    /// <param name="maxSize">The most ids, padding and unknown included.</param>
    /// <param name="paddingToken">When set, id 0 is this padding word (its count is its occurrences in the tokens).</param>
    /// <param name="unknownToken">When set, the next id is this unknown word, which every word not kept maps to.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="ArgumentException">
    /// A token or special word is null, empty or contains whitespace, the two special words are equal,
    /// <paramref name="minCount"/> is below 1, or <paramref name="maxSize"/> leaves no room for the special words.
    /// </exception>
    public static Vocabulary Build(IEnumerable<string> tokens, int minCount = 1, int maxSize = int.MaxValue,
        string? paddingToken = null, string? unknownToken = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        if (paddingToken is not null) CheckWord(paddingToken, nameof(paddingToken));
        if (unknownToken is not null) CheckWord(unknownToken, nameof(unknownToken));
        if (paddingToken is not null && paddingToken == unknownToken)
        {
            throw new ArgumentException($"The padding and unknown words are both '{paddingToken}'.", nameof(unknownToken));
        }
        int specials = (paddingToken is null ? 0 : 1) + (unknownToken is null ? 0 : 1);
        if (maxSize < specials)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, $"The vocabulary needs room for its {specials} special words.");
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        int index = 0;
        foreach (string token in tokens)
        {
            if (token is null || token.Length == 0 || HasWhitespace(token))
            {
                throw new ArgumentException($"Token {index} is {(token is null ? "null" : $"'{token}'")}; a word must be non-empty and hold no whitespace.", nameof(tokens));
            }
            counts[token] = counts.GetValueOrDefault(token) + 1;
            index++;
        }

        var words = new List<string>();
        var wordCounts = new List<long>();
        if (paddingToken is not null) Add(paddingToken);
        if (unknownToken is not null) Add(unknownToken);
        var ranked = counts.Where(p => p.Value >= minCount && p.Key != paddingToken && p.Key != unknownToken).ToList();
        ranked.Sort((x, y) => x.Value != y.Value ? y.Value.CompareTo(x.Value) : string.CompareOrdinal(x.Key, y.Key));
        foreach (var (word, count) in ranked)
        {
            if (words.Count >= maxSize) break;
            words.Add(word);
            wordCounts.Add(count);
        }
        return Create(words.ToArray(), wordCounts.ToArray(), paddingToken, unknownToken);

        void Add(string word)
        {
            words.Add(word);
            wordCounts.Add(counts.GetValueOrDefault(word));
        }
    }

    /// <summary>The id of <paramref name="word"/>: its own, else <see cref="UnknownId"/> (which is <see cref="NotFound"/> when there is none).</summary>
    /// <param name="word">The word.</param>
    /// <returns>The id, <see cref="UnknownId"/> or <see cref="NotFound"/>.</returns>
    public int Id(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return _ids.TryGetValue(word, out int id) ? id : UnknownId;
    }

    /// <summary>Whether <paramref name="word"/> has an id of its own.</summary>
    /// <param name="word">The word.</param>
    /// <returns><see langword="true"/> if the word is in the vocabulary.</returns>
    public bool Contains(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return _ids.ContainsKey(word);
    }

    /// <summary>The word with id <paramref name="id"/>.</summary>
    /// <param name="id">An id in <c>[0, Count)</c>.</param>
    /// <returns>The word.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside <c>[0, Count)</c>.</exception>
    public string Word(int id)
    {
        CheckId(id);
        return _words[id];
    }

    /// <summary>How often the word with id <paramref name="id"/> occurred in the corpus (or the file).</summary>
    /// <param name="id">An id in <c>[0, Count)</c>.</param>
    /// <returns>The count.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside <c>[0, Count)</c>.</exception>
    public long CountOf(int id)
    {
        CheckId(id);
        return _counts[id];
    }

    /// <summary>Writes the id of every token into <paramref name="ids"/>; nothing is written if a token cannot be encoded.</summary>
    /// <param name="tokens">The words.</param>
    /// <param name="ids">As many ints as there are tokens.</param>
    /// <exception cref="ArgumentException">
    /// The lengths differ, or a token is not in a vocabulary without an unknown id (the message names its position).
    /// </exception>
    public void Encode(ReadOnlySpan<string> tokens, Span<int> ids)
    {
        if (ids.Length != tokens.Length)
        {
            throw new ArgumentException($"Expected {tokens.Length} ids, one per token, but the span holds {ids.Length}.", nameof(ids));
        }
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] is null) throw new ArgumentException($"Token {i} is null.", nameof(tokens));
            if (UnknownId == NotFound && !_ids.ContainsKey(tokens[i]))
            {
                throw new ArgumentException($"Token {i}, '{tokens[i]}', is not in the vocabulary, which has no unknown id.", nameof(tokens));
            }
        }
        for (int i = 0; i < tokens.Length; i++) ids[i] = Id(tokens[i]);
    }

    /// <summary>Saves the vocabulary as UTF-8 <c>word count</c> lines in id order, through a temporary file renamed at the end.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, Save);
    }

    /// <summary>Writes the vocabulary as UTF-8 <c>word count</c> lines in id order; the stream is left open.</summary>
    /// <param name="stream">A writable stream.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 65536, leaveOpen: true) { NewLine = "\n" };
        for (int i = 0; i < _words.Length; i++)
        {
            writer.Write(_words[i]);
            writer.Write(' ');
            writer.WriteLine(_counts[i].ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Reads a vocabulary without padding or unknown id saved by <see cref="Save(string)"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="InvalidDataException">A bad line or a repeated word; the message names the file and the line.</exception>
    public static Vocabulary Load(string path) => Load(path, null, null);

    /// <summary>Reads a vocabulary saved by <see cref="Save(string)"/>: one <c>word count</c> line per id, in id order.</summary>
    /// <param name="path">The file.</param>
    /// <param name="paddingToken">When set, the word that is the padding id; the file must hold it.</param>
    /// <param name="unknownToken">When set, the word that is the unknown id; the file must hold it.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="InvalidDataException">
    /// A line is not a word and a non-negative integer count, a word repeats, or a special word is missing; the message
    /// names the file and the line.
    /// </exception>
    public static Vocabulary Load(string path, string? paddingToken, string? unknownToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Load(stream, path, paddingToken, unknownToken);
    }

    /// <summary>Reads a vocabulary from <paramref name="stream"/> (see <see cref="Load(string, string, string)"/>); the stream is left open.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="name">The name error messages give the stream (a file name).</param>
    /// <param name="paddingToken">The word that is the padding id (the file must hold it), or null for none.</param>
    /// <param name="unknownToken">The word that is the unknown id (the file must hold it), or null for none.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="InvalidDataException">A bad line, a repeated word or a missing special word, naming the file and the line.</exception>
    public static Vocabulary Load(Stream stream, string name, string? paddingToken, string? unknownToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), false, 65536, leaveOpen: true);
        var words = new List<string>();
        var counts = new List<long>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        string? line;
        try
        {
            while ((line = reader.ReadLine()) is not null)
            {
                lineNumber++;
                string[] fields = line.Split(' ');
                if (fields.Length != 2 || fields[0].Length == 0 || HasWhitespace(fields[0]))
                {
                    throw Error(name, lineNumber, $"expected 'word count', found '{Shorten(line)}'");
                }
                if (!long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
                {
                    throw Error(name, lineNumber, $"the count '{Shorten(fields[1])}' is not a non-negative integer");
                }
                if (seen.TryGetValue(fields[0], out int first))
                {
                    throw Error(name, lineNumber, $"the word '{fields[0]}' already appears on line {first}");
                }
                seen.Add(fields[0], lineNumber);
                words.Add(fields[0]);
                counts.Add(count);
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"Vocabulary file '{name}': the text is not valid UTF-8 (after line {lineNumber}, the last read whole).", e);
        }
        foreach (string? special in new[] { paddingToken, unknownToken })
        {
            if (special is not null && !seen.ContainsKey(special))
            {
                throw new InvalidDataException($"Vocabulary file '{name}': the special word '{special}' is not in the file.");
            }
        }
        return Create(words.ToArray(), counts.ToArray(), paddingToken, unknownToken);
    }

    private static Vocabulary Create(string[] words, long[] counts, string? paddingToken, string? unknownToken)
    {
        var ids = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++) ids.Add(words[i], i);
        int padding = paddingToken is null ? NotFound : ids[paddingToken];
        int unknown = unknownToken is null ? NotFound : ids[unknownToken];
        return new Vocabulary(words, counts, ids, padding, unknown);
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)_words.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"The vocabulary has ids 0 to {_words.Length - 1}.");
        }
    }

    private static void CheckWord(string word, string argument)
    {
        if (word.Length == 0 || HasWhitespace(word))
        {
            throw new ArgumentException($"The word '{word}' must be non-empty and hold no whitespace.", argument);
        }
    }

    internal static bool HasWhitespace(string word)
    {
        foreach (char c in word)
        {
            if (char.IsWhiteSpace(c)) return true;
        }
        return false;
    }

    internal static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static InvalidDataException Error(string name, int line, string message, Exception? inner = null) =>
        new($"Vocabulary file '{name}', line {line}: {message}.", inner);
}
