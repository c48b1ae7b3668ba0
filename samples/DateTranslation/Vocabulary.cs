namespace DateTranslation;

/// <summary>
/// Characters ↔ token ids for both sides of the translation.
/// </summary>
/// <remarks>
/// <para><b>Source</b> (the human-readable date): id <see cref="Pad"/> = 0 fills the positions after
/// the text; the characters of <see cref="SourceAlphabet"/> are ids 1 to <c>SourceVocabularySize - 1</c>
/// in its order. Sources are at most <see cref="MaxSourceLength"/> characters.</para>
/// <para><b>Target</b> (the ISO date): digits '0'–'9' are ids 0–9, '-' is 10, <see cref="End"/> is 11 and
/// <see cref="Start"/> is 12. The decoder reads <see cref="TargetVocabularySize"/> (13) ids, but only
/// ever predicts <see cref="TargetClasses"/> (12): <see cref="Start"/> is an input, the token the first
/// step is fed, never an output. A sequence is <see cref="TargetLength"/> steps: the ten ISO characters and End.</para>
/// </remarks>
public static class CharVocabulary
{
    /// <summary>Every character a date format can produce (all 26 letters, although some never occur), in ordinal order.</summary>
    public const string SourceAlphabet = " ,-./0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>The source id of the positions after the text.</summary>
    public const int Pad = 0;

    /// <summary>Source ids: <see cref="Pad"/> and the 41 characters of <see cref="SourceAlphabet"/>.</summary>
    public const int SourceVocabularySize = 42;

    /// <summary>Source positions: the longest string any format can produce (<see cref="DateFormats.MaxLength"/>).</summary>
    public const int MaxSourceLength = DateFormats.MaxLength;

    /// <summary>The target characters, by id: digits 0–9, then '-'.</summary>
    public const string TargetAlphabet = "0123456789-";

    /// <summary>The target id ending every output sequence; the last class the model predicts.</summary>
    public const int End = 11;

    /// <summary>The target id fed to the decoder's first step; an input only, never predicted.</summary>
    public const int Start = 12;

    /// <summary>Target ids the decoder reads: the digits, '-', <see cref="End"/> and <see cref="Start"/>.</summary>
    public const int TargetVocabularySize = 13;

    /// <summary>Target ids the decoder predicts (its output size): the digits, '-' and <see cref="End"/>.</summary>
    public const int TargetClasses = 12;

    /// <summary>Target steps: the <see cref="DateFormats.IsoLength"/> characters of an ISO date and <see cref="End"/>.</summary>
    public const int TargetLength = DateFormats.IsoLength + 1;

    // Source id of each ASCII character; 0 (Pad) for those outside the alphabet.
    private static readonly byte[] SourceIds = BuildSourceIds();

    private static byte[] BuildSourceIds()
    {
        var ids = new byte[128];
        for (int i = 0; i < SourceAlphabet.Length; i++) ids[SourceAlphabet[i]] = (byte)(i + 1);
        return ids;
    }

    /// <summary>The source id of <paramref name="c"/>, or -1 when it is not in <see cref="SourceAlphabet"/>.</summary>
    public static int SourceId(char c) => c < SourceIds.Length && SourceIds[c] != 0 ? SourceIds[c] : -1;

    /// <summary>
    /// Writes the ids of <paramref name="text"/> into <paramref name="ids"/> and <see cref="Pad"/> into the
    /// rest of it; returns the text's length. <paramref name="ids"/> is usually <see cref="MaxSourceLength"/> long.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="text"/> is longer than <paramref name="ids"/>, or has a character outside <see cref="SourceAlphabet"/>.</exception>
    public static int EncodeSource(ReadOnlySpan<char> text, Span<int> ids)
    {
        if (text.Length > ids.Length)
            throw new ArgumentException($"The text has {text.Length} characters, but only {ids.Length} ids fit.", nameof(text));
        for (int i = 0; i < text.Length; i++)
        {
            int id = SourceId(text[i]);
            if (id < 0)
                throw new ArgumentException($"'{text[i]}' (U+{(int)text[i]:X4}) at position {i} is not in the source alphabet \"{SourceAlphabet}\".", nameof(text));
            ids[i] = id;
        }
        ids[text.Length..].Clear(); // Pad is 0
        return text.Length;
    }

    /// <summary>The text of source ids, up to the first <see cref="Pad"/>.</summary>
    /// <exception cref="ArgumentException">An id is outside [0, <see cref="SourceVocabularySize"/>).</exception>
    public static string DecodeSource(ReadOnlySpan<int> ids)
    {
        int length = ids.IndexOf(Pad);
        if (length < 0) length = ids.Length;
        return string.Create(length, ids[..length], static (chars, source) =>
        {
            for (int i = 0; i < chars.Length; i++)
            {
                if ((uint)(source[i] - 1) >= SourceAlphabet.Length)
                    throw new ArgumentException($"{source[i]} at position {i} is not a source id (0 to {SourceVocabularySize - 1}).", nameof(ids));
                chars[i] = SourceAlphabet[source[i] - 1];
            }
        });
    }

    /// <summary>
    /// The teacher-forcing pair of an ISO date: <paramref name="targetInput"/> = [Start, c0 … c9] (what
    /// the decoder is fed) and <paramref name="targetOutput"/> = [c0 … c9, End] (what it should predict).
    /// Both spans are <see cref="TargetLength"/> long.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="iso"/> is not 10 characters of <see cref="TargetAlphabet"/>, or a span is not <see cref="TargetLength"/> long.</exception>
    public static void EncodeTarget(ReadOnlySpan<char> iso, Span<int> targetInput, Span<int> targetOutput)
    {
        if (iso.Length != DateFormats.IsoLength)
            throw new ArgumentException($"An ISO date has {DateFormats.IsoLength} characters, but this one has {iso.Length}.", nameof(iso));
        if (targetInput.Length != TargetLength)
            throw new ArgumentException($"Expected {TargetLength} ids, but the span holds {targetInput.Length}.", nameof(targetInput));
        if (targetOutput.Length != TargetLength)
            throw new ArgumentException($"Expected {TargetLength} ids, but the span holds {targetOutput.Length}.", nameof(targetOutput));
        targetInput[0] = Start;
        for (int i = 0; i < iso.Length; i++)
        {
            int id = TargetAlphabet.IndexOf(iso[i]);
            if (id < 0)
                throw new ArgumentException($"'{iso[i]}' at position {i} is not in the target alphabet \"{TargetAlphabet}\".", nameof(iso));
            targetInput[i + 1] = id;
            targetOutput[i] = id;
        }
        targetOutput[^1] = End;
    }

    /// <summary>The text of predicted target ids, up to the first <see cref="End"/> (all of them if there is none).</summary>
    /// <exception cref="ArgumentException">An id before the first <see cref="End"/> is not a character's (<see cref="Start"/> included: it is never an output).</exception>
    public static string DecodeTarget(ReadOnlySpan<int> ids)
    {
        int length = ids.IndexOf(End);
        if (length < 0) length = ids.Length;
        return string.Create(length, ids[..length], static (chars, source) =>
        {
            for (int i = 0; i < chars.Length; i++)
            {
                if ((uint)source[i] >= TargetAlphabet.Length)
                    throw new ArgumentException($"{source[i]} at position {i} is not a target character id (0 to {TargetAlphabet.Length - 1}).", nameof(ids));
                chars[i] = TargetAlphabet[source[i]];
            }
        });
    }
}
