namespace CharLm;

/// <summary>
/// Characters ↔ token ids. The model's vocabulary is fixed at compile time (<see cref="Size"/>):
/// a text with more distinct characters keeps the <c>Size - 1</c> most frequent and maps the rest
/// to one "unknown" id, the character U+FFFD.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Token ids per model: Tiny Shakespeare has exactly 65 distinct characters.</summary>
    public const int Size = 65;

    private const char Unknown = '\uFFFD';

    private readonly char[] _characters;
    private readonly Dictionary<char, int> _ids;
    private readonly int _unknown;

    private Vocabulary(char[] characters, int unknown)
    {
        _characters = characters;
        _unknown = unknown;
        _ids = new Dictionary<char, int>();
        for (int i = 0; i < characters.Length; i++)
        {
            if (i != unknown) _ids[characters[i]] = i;
        }
    }

    /// <summary>The characters by id, as one string (saved in checkpoints).</summary>
    public string Characters => new(_characters);

    /// <summary>The vocabulary of a text: its distinct characters in ordinal order.</summary>
    public static Vocabulary Of(string text)
    {
        var counts = new Dictionary<char, int>();
        foreach (char c in text) counts[c] = counts.GetValueOrDefault(c) + 1;
        if (counts.Count <= Size) return new Vocabulary(counts.Keys.Order().ToArray(), unknown: -1);
        char[] kept = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(Size - 1).Select(kv => kv.Key).Order().ToArray();
        return new Vocabulary([.. kept, Unknown], unknown: Size - 1);
    }

    /// <summary>The vocabulary saved by <see cref="Characters"/>.</summary>
    /// <exception cref="InvalidDataException">The string does not fit the model.</exception>
    public static Vocabulary FromCharacters(string characters)
    {
        if (characters.Length == 0 || characters.Length > Size)
            throw new InvalidDataException($"A vocabulary has 1 to {Size} characters, but the checkpoint's has {characters.Length}.");
        return new Vocabulary(characters.ToCharArray(), unknown: characters.IndexOf(Unknown));
    }

    /// <summary>The id of <paramref name="c"/> (the unknown id, or 0, for characters outside the vocabulary).</summary>
    public int Id(char c) => _ids.TryGetValue(c, out int id) ? id : Math.Max(_unknown, 0);

    /// <summary>The character of <paramref name="id"/>.</summary>
    public char Character(int id) => id < _characters.Length ? _characters[id] : Unknown;

    /// <summary>The ids of a whole text.</summary>
    public int[] Encode(string text)
    {
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++) ids[i] = Id(text[i]);
        return ids;
    }
}
