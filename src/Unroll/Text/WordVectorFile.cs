using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Unroll;

/// <summary>The layouts of pretrained word-vector files.</summary>
public enum WordVectorFormat
{
    /// <summary>GloVe text: UTF-8 lines <c>word v1 v2 …</c>, no header.</summary>
    GloVe,

    /// <summary>word2vec text: a first line <c>count dim</c>, then the GloVe lines.</summary>
    Word2VecText,

    /// <summary>
    /// word2vec binary: an ASCII header <c>count dim\n</c>, then per word its UTF-8 bytes, a space, <c>dim</c>
    /// little-endian float32s and an optional <c>\n</c>.
    /// </summary>
    Word2VecBinary,
}

/// <summary>
/// Reads and writes GloVe and word2vec files (text and binary) as <see cref="WordVectors"/>. A bad file is an
/// <see cref="InvalidDataException"/> naming the file and the line (text) or the word and byte offset (binary): ragged
/// dimensions, numbers that do not parse, a truncated file, a count that disagrees with the header, a repeated word.
/// </summary>
/// <remarks>
/// Text is written with the shortest round-trip form of each float, so writing and reading back gives the same floats
/// bit for bit (NaN payloads aside). Writing to a path goes through a temporary file renamed at the end.
/// </remarks>
public static class WordVectorFile
{
    /// <summary>Reads a word-vector file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">
    /// <see cref="WordVectorFormat.Word2VecBinary"/>, or either text format: a text file's first line is taken as a
    /// word2vec header when it is two non-negative integers (so a GloVe file of 1-dimensional vectors whose first word is
    /// a number is read as word2vec text).
    /// </param>
    /// <returns>The words and their vectors.</returns>
    /// <exception cref="InvalidDataException">The file is malformed; the message names it and the line or word.</exception>
    public static WordVectors Read(string path, WordVectorFormat format)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 65536);
        return Read(stream, format, path);
    }

    /// <summary>Reads word vectors from <paramref name="stream"/> (see <see cref="Read(string, WordVectorFormat)"/>); the stream is read to its end (it is buffered) and left open.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="format">The layout (both text formats detect the header).</param>
    /// <param name="name">The name error messages give the stream (a file name).</param>
    /// <returns>The words and their vectors.</returns>
    /// <exception cref="InvalidDataException">The data is malformed; the message names the stream and the line or word.</exception>
    public static WordVectors Read(Stream stream, WordVectorFormat format, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return format switch
        {
            WordVectorFormat.GloVe or WordVectorFormat.Word2VecText => ReadText(stream, name),
            WordVectorFormat.Word2VecBinary => ReadBinary(stream, name),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Not a word-vector format."),
        };
    }

    /// <summary>Writes <paramref name="vectors"/> to a file in <paramref name="format"/>, through a temporary file renamed at the end.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="vectors">The words and vectors.</param>
    /// <param name="format">The layout.</param>
    public static void Write(string path, WordVectors vectors, WordVectorFormat format)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(vectors);
        CheckFormat(format);
        AtomicFile.Write(path, stream => Write(stream, vectors, format));
    }

    /// <summary>Writes <paramref name="vectors"/> to <paramref name="stream"/> in <paramref name="format"/>; the stream is left open.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="vectors">The words and vectors.</param>
    /// <param name="format">The layout.</param>
    public static void Write(Stream stream, WordVectors vectors, WordVectorFormat format)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(vectors);
        CheckFormat(format);
        int dimension = vectors.Dimension;
        string header = string.Create(CultureInfo.InvariantCulture, $"{vectors.Count} {dimension}\n");
        if (format == WordVectorFormat.Word2VecBinary)
        {
            var output = new BufferedStream(stream, 65536); // not disposed: that would close the caller's stream
            output.Write(Encoding.ASCII.GetBytes(header));
            byte[] row = new byte[dimension * sizeof(float)];
            for (int w = 0; w < vectors.Count; w++)
            {
                output.Write(Encoding.UTF8.GetBytes(vectors.Words[w]));
                output.WriteByte((byte)' ');
                ReadOnlySpan<float> values = vectors.Matrix.Slice(w * dimension, dimension);
                for (int i = 0; i < dimension; i++) BinaryPrimitives.WriteSingleLittleEndian(row.AsSpan(i * 4), values[i]);
                output.Write(row);
                output.WriteByte((byte)'\n');
            }
            output.Flush();
            return;
        }
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 65536, leaveOpen: true) { NewLine = "\n" };
        if (format == WordVectorFormat.Word2VecText) writer.Write(header);
        Span<char> number = stackalloc char[32];
        for (int w = 0; w < vectors.Count; w++)
        {
            writer.Write(vectors.Words[w]);
            ReadOnlySpan<float> values = vectors.Matrix.Slice(w * dimension, dimension);
            for (int i = 0; i < dimension; i++)
            {
                values[i].TryFormat(number, out int written, "R", CultureInfo.InvariantCulture);
                writer.Write(' ');
                writer.Write(number[..written]);
            }
            writer.WriteLine();
        }
    }

    private static void CheckFormat(WordVectorFormat format)
    {
        if (format is not (WordVectorFormat.GloVe or WordVectorFormat.Word2VecText or WordVectorFormat.Word2VecBinary))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Not a word-vector format.");
        }
    }

    private static WordVectors ReadText(Stream stream, string name)
    {
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), false, 65536, leaveOpen: true);
        var words = new List<string>();
        var values = new List<float>();
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        int dimension = -1, declaredCount = -1, lineNumber = 0, headerLine = 0;
        string? line;
        try
        {
            while ((line = reader.ReadLine()) is not null)
            {
                lineNumber++;
                string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (lineNumber == 1 && fields.Length == 2
                    && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
                    && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int dim))
                {
                    if (dim == 0) throw TextError(name, lineNumber, "the header declares vectors of dimension 0");
                    (declaredCount, dimension, headerLine) = (count, dim, 1);
                    continue;
                }
                if (fields.Length == 0) throw TextError(name, lineNumber, "the line is empty");
                if (fields.Length == 1) throw TextError(name, lineNumber, $"the word '{Vocabulary.Shorten(fields[0])}' has no values");
                if (dimension < 0) dimension = fields.Length - 1;
                else if (fields.Length - 1 != dimension)
                {
                    throw TextError(name, lineNumber, $"the word '{Vocabulary.Shorten(fields[0])}' has {fields.Length - 1} values, but the vectors have {dimension}"
                        + (headerLine == 1 ? " (the header's dimension)" : " (the first line's)"));
                }
                if (declaredCount >= 0 && words.Count == declaredCount)
                {
                    throw TextError(name, lineNumber, $"the header declares {declaredCount} words, but more lines follow");
                }
                if (!lines.TryAdd(fields[0], lineNumber))
                {
                    throw TextError(name, lineNumber, $"the word '{Vocabulary.Shorten(fields[0])}' already appears on line {lines[fields[0]]}");
                }
                for (int i = 1; i < fields.Length; i++)
                {
                    if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    {
                        throw TextError(name, lineNumber, $"value {i} of the word '{Vocabulary.Shorten(fields[0])}', '{Vocabulary.Shorten(fields[i])}', is not a number");
                    }
                    values.Add(value);
                }
                words.Add(fields[0]);
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"Word-vector file '{name}': the text is not valid UTF-8 (after line {lineNumber}, the last read whole).", e);
        }
        if (declaredCount >= 0 && words.Count != declaredCount)
        {
            throw new InvalidDataException($"Word-vector file '{name}': the header declares {declaredCount} words, but the file holds {words.Count} (truncated?).");
        }
        if (words.Count == 0) throw new InvalidDataException($"Word-vector file '{name}': the file holds no vectors.");
        return new WordVectors(words, values.ToArray());
    }

    private static WordVectors ReadBinary(Stream stream, string name)
    {
        var input = new BufferedStream(stream, 65536); // not disposed: that would close the caller's stream
        long offset = 0;
        var header = new List<byte>();
        int b;
        while ((b = input.ReadByte()) != '\n')
        {
            if (b < 0 || header.Count > 64) throw BinaryError(name, offset, "the header is not a 'count dim' line");
            header.Add((byte)b);
            offset++;
        }
        offset++;
        string[] fields = Encoding.ASCII.GetString(header.ToArray()).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 2
            || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int dimension)
            || count == 0 || dimension == 0)
        {
            throw BinaryError(name, 0, $"the header '{Vocabulary.Shorten(Encoding.ASCII.GetString(header.ToArray()))}' is not two positive integers 'count dim'");
        }
        if ((long)count * dimension > Array.MaxLength)
        {
            throw BinaryError(name, 0, $"the header declares {count} x {dimension} values, more than one array holds");
        }
        var words = new string[count];
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        var values = new float[count * dimension];
        var wordBytes = new List<byte>();
        byte[] row = new byte[dimension * sizeof(float)];
        for (int w = 0; w < count; w++)
        {
            long start = offset;
            wordBytes.Clear();
            while (true)
            {
                b = input.ReadByte();
                if (b < 0) throw BinaryError(name, offset, $"the file ends inside word {w} of {count} (truncated?)");
                offset++;
                if (b == '\n' && wordBytes.Count == 0) { start = offset; continue; }
                if (b == ' ') break;
                wordBytes.Add((byte)b);
            }
            string word;
            try
            {
                word = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(wordBytes.ToArray());
            }
            catch (DecoderFallbackException e)
            {
                throw BinaryError(name, start, $"word {w} is not valid UTF-8", e);
            }
            if (word.Length == 0 || Vocabulary.HasWhitespace(word))
            {
                throw BinaryError(name, start, $"word {w}, '{Vocabulary.Shorten(word)}', is empty or holds whitespace");
            }
            if (!indices.TryAdd(word, w))
            {
                throw BinaryError(name, start, $"the word '{Vocabulary.Shorten(word)}' (word {w}) already appears as word {indices[word]}");
            }
            int read = input.ReadAtLeast(row, row.Length, throwOnEndOfStream: false);
            if (read < row.Length)
            {
                throw BinaryError(name, offset, $"the file ends inside the vector of '{Vocabulary.Shorten(word)}' (word {w} of {count}): {read} of its {row.Length} bytes (truncated?)");
            }
            offset += row.Length;
            for (int i = 0; i < dimension; i++) values[w * dimension + i] = BinaryPrimitives.ReadSingleLittleEndian(row.AsSpan(i * 4));
            words[w] = word;
        }
        while ((b = input.ReadByte()) >= 0)
        {
            if (b is not ('\n' or '\r' or ' ')) throw BinaryError(name, offset, $"bytes follow the {count} words the header declares");
            offset++;
        }
        return new WordVectors(words, values);
    }

    private static InvalidDataException TextError(string name, int line, string message, Exception? inner = null) =>
        new($"Word-vector file '{name}', line {line}: {message}.", inner);

    private static InvalidDataException BinaryError(string name, long offset, string message, Exception? inner = null) =>
        new($"Word-vector file '{name}', byte {offset}: {message}.", inner);
}
