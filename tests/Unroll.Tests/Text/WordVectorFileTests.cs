using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace Unroll.Tests.Text;

/// <summary>
/// GloVe, word2vec text and word2vec binary files: each format written then read gives the same words and bit-identical
/// floats, the word2vec header is detected in text, and every malformed file is an <see cref="InvalidDataException"/>
/// naming the file and the line (text) or the word and byte offset (binary).
/// </summary>
public sealed class WordVectorFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "unroll-wordvectors-" + Guid.NewGuid().ToString("N"));

    public WordVectorFileTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Temp(string name) => Path.Combine(_folder, name);

    private static WordVectors Awkward()
    {
        // Values that a fixed number of digits would not round-trip, signed zero, extremes, subnormals, infinities.
        float[] values =
        [
            0.1f, -0f, float.MaxValue, float.Epsilon,
            1f / 3, -1e-38f, float.MinValue, 123456.79f,
            float.PositiveInfinity, float.NegativeInfinity, 2.5e-7f, -7f,
        ];
        return new WordVectors(["the", "élan", "<unk>"], values);
    }

    private static void AssertSame(WordVectors expected, WordVectors actual)
    {
        Assert.Equal(expected.Words, actual.Words);
        Assert.Equal(expected.Dimension, actual.Dimension);
        Assert.Equal(
            expected.Matrix.ToArray().Select(BitConverter.SingleToUInt32Bits),
            actual.Matrix.ToArray().Select(BitConverter.SingleToUInt32Bits));
    }

    [Theory]
    [InlineData(WordVectorFormat.GloVe)]
    [InlineData(WordVectorFormat.Word2VecText)]
    [InlineData(WordVectorFormat.Word2VecBinary)]
    public void Write_then_read_gives_the_same_words_and_bits(WordVectorFormat format)
    {
        var vectors = Awkward();
        string path = Temp("vectors." + format);
        WordVectorFile.Write(path, vectors, format);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
        AssertSame(vectors, WordVectorFile.Read(path, format));

        using var stream = new MemoryStream();
        WordVectorFile.Write(stream, vectors, format);
        stream.Position = 0;
        AssertSame(vectors, WordVectorFile.Read(stream, format, "memory"));
    }

    [Fact]
    public void Text_formats_are_as_the_tools_write_them()
    {
        var vectors = new WordVectors(["a", "b"], [0.5f, -1f, 2f, 0.25f]);
        WordVectorFile.Write(Temp("g.txt"), vectors, WordVectorFormat.GloVe);
        Assert.Equal("a 0.5 -1\nb 2 0.25\n", File.ReadAllText(Temp("g.txt")));
        WordVectorFile.Write(Temp("w.txt"), vectors, WordVectorFormat.Word2VecText);
        Assert.Equal("2 2\na 0.5 -1\nb 2 0.25\n", File.ReadAllText(Temp("w.txt")));
        // Either text format reads either file: the header is detected.
        AssertSame(vectors, WordVectorFile.Read(Temp("w.txt"), WordVectorFormat.GloVe));
        AssertSame(vectors, WordVectorFile.Read(Temp("g.txt"), WordVectorFormat.Word2VecText));
    }

    [Fact]
    public void Binary_is_header_then_word_space_floats_newline()
    {
        var vectors = new WordVectors(["ab"], [1f, -2f]);
        using var stream = new MemoryStream();
        WordVectorFile.Write(stream, vectors, WordVectorFormat.Word2VecBinary);
        byte[] bytes = stream.ToArray();
        Assert.Equal("1 2\nab "u8.ToArray(), bytes[..7]);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(7)));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(11)));
        Assert.Equal((byte)'\n', bytes[15]);
        Assert.Equal(16, bytes.Length);
    }

    [Fact]
    public void Binary_reads_without_the_newline_after_each_vector()
    {
        var bytes = new List<byte>("2 1\na "u8.ToArray());
        bytes.AddRange(BitConverter.GetBytes(1.5f));
        bytes.AddRange("b "u8.ToArray());
        bytes.AddRange(BitConverter.GetBytes(-3f));
        var vectors = WordVectorFile.Read(new MemoryStream(bytes.ToArray()), WordVectorFormat.Word2VecBinary, "w.bin");
        Assert.Equal(["a", "b"], vectors.Words);
        Assert.Equal([1.5f, -3f], vectors.Matrix.ToArray());
    }

    [Theory]
    [InlineData("a 1 2\nb 1 2 3\n", "line 2", "has 3 values, but the vectors have 2")]
    [InlineData("2 3\na 1 2 3\nb 1 2\n", "line 3", "has 2 values, but the vectors have 3 (the header's dimension)")]
    [InlineData("a 1 2\nb 1 x\n", "line 2", "value 2 of the word 'b', 'x', is not a number")]
    [InlineData("a 1 2\nb 1,5 2\n", "line 2", "'1,5', is not a number")]
    [InlineData("a 1 2\na 3 4\n", "line 2", "the word 'a' already appears on line 1")]
    [InlineData("a 1 2\n\nb 3 4\n", "line 2", "the line is empty")]
    [InlineData("a 1 2\nb\n", "line 2", "the word 'b' has no values")]
    [InlineData("3 2\na 1 2\nb 3 4\n", "", "the header declares 3 words, but the file holds 2 (truncated?)")]
    [InlineData("1 2\na 1 2\nb 3 4\n", "line 3", "the header declares 1 words, but more lines follow")]
    [InlineData("0 0\n", "line 1", "dimension 0")]
    [InlineData("", "", "the file holds no vectors")]
    public void Bad_text_files_name_the_file_and_line(string text, string where, string message)
    {
        string path = Temp("bad.txt");
        File.WriteAllText(path, text);
        var error = Assert.Throws<InvalidDataException>(() => WordVectorFile.Read(path, WordVectorFormat.GloVe));
        Assert.StartsWith($"Word-vector file '{path}'" + (where.Length > 0 ? $", {where}:" : ":"), error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Bad_utf8_text_is_invalid_data()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            WordVectorFile.Read(new MemoryStream([(byte)'a', (byte)' ', (byte)'1', (byte)'\n', 0xC3, (byte)' ', (byte)'1']), WordVectorFormat.GloVe, "v.txt"));
        Assert.Contains("'v.txt'", error.Message);
        Assert.Contains("UTF-8", error.Message);
    }

    private static byte[] Binary(params object[] parts)
    {
        var bytes = new List<byte>();
        foreach (object part in parts)
        {
            bytes.AddRange(part switch
            {
                string s => Encoding.UTF8.GetBytes(s),
                float f => BitConverter.GetBytes(f),
                byte[] b => b,
                _ => throw new ArgumentException("part"),
            });
        }
        return bytes.ToArray();
    }

    public static TheoryData<byte[], string> BadBinaries => new()
    {
        { Binary("2 2"), "byte 3: the header is not a 'count dim' line" },
        { Binary("2 x\n"), "byte 0: the header '2 x' is not two positive integers" },
        { Binary("0 2\n"), "byte 0: the header '0 2' is not two positive integers" },
        { Binary("1 2 3\n"), "byte 0: the header '1 2 3'" },
        { Binary("2 2\na ", 1f, 2f, "\nb ", 3f), "byte 17: the file ends inside the vector of 'b' (word 1 of 2): 4 of its 8 bytes" },
        { Binary("2 2\na ", 1f, 2f, "\nbc"), "byte 17: the file ends inside word 1 of 2" },
        { Binary("1 2\na ", 1f), "byte 6: the file ends inside the vector of 'a' (word 0 of 1): 4 of its 8 bytes" },
        { Binary("2 1\na ", 1f, "\na ", 2f), "byte 11: the word 'a' (word 1) already appears as word 0" },
        { Binary("1 1\na ", 1f, "\nb "), "byte 11: bytes follow the 1 words the header declares" },
        { Binary("1 1\n", new byte[] { 0xFF, (byte)' ' }, 1f), "byte 4: word 0 is not valid UTF-8" },
    };

    [Theory]
    [MemberData(nameof(BadBinaries))]
    public void Bad_binary_files_name_the_file_word_and_offset(byte[] bytes, string message)
    {
        string path = Temp("bad.bin");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => WordVectorFile.Read(path, WordVectorFormat.Word2VecBinary));
        Assert.StartsWith($"Word-vector file '{path}', ", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Bad_calls_throw_naming_the_argument()
    {
        var vectors = Awkward();
        Assert.Equal("format", Assert.Throws<ArgumentOutOfRangeException>(() => WordVectorFile.Write(new MemoryStream(), vectors, (WordVectorFormat)7)).ParamName);
        Assert.Equal("format", Assert.Throws<ArgumentOutOfRangeException>(() => WordVectorFile.Read(new MemoryStream(), (WordVectorFormat)7, "x")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => WordVectorFile.Read("", WordVectorFormat.GloVe)).ParamName);
        Assert.False(File.Exists(Temp("never.txt")));
        Assert.Throws<ArgumentOutOfRangeException>(() => WordVectorFile.Write(Temp("never.txt"), vectors, (WordVectorFormat)7));
        Assert.False(File.Exists(Temp("never.txt")));
    }
}
