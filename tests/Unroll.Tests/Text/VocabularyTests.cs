using System.Text;
using Xunit;

namespace Unroll.Tests.Text;

/// <summary>
/// Vocabulary: ids by descending count then ordinal order after the padding and unknown ids, minimum count and maximum
/// size, lookups, encoding, a save/load round trip, and every bad call and bad file.
/// </summary>
public sealed class VocabularyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "unroll-vocabulary-" + Guid.NewGuid().ToString("N"));

    public VocabularyTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Corpus = "the cat sat on the mat the cat ran a dog sat".Split(' ');

    [Fact]
    public void Ids_follow_descending_count_then_ordinal_order()
    {
        var vocabulary = Vocabulary.Build(Corpus);
        Assert.Equal(["the", "cat", "sat", "a", "dog", "mat", "on", "ran"], vocabulary.Words);
        Assert.Equal(8, vocabulary.Count);
        Assert.Equal(3, vocabulary.CountOf(0));
        Assert.Equal(2, vocabulary.CountOf(vocabulary.Id("sat")));
        Assert.Equal("dog", vocabulary.Word(4));
        Assert.Equal(Vocabulary.NotFound, vocabulary.Id("bird"));
        Assert.Equal(Vocabulary.NotFound, vocabulary.PaddingId);
        Assert.Equal(Vocabulary.NotFound, vocabulary.UnknownId);
        Assert.True(vocabulary.Contains("mat"));
        Assert.False(vocabulary.Contains("bird"));
    }

    [Fact]
    public void Padding_is_0_unknown_is_1_and_limits_apply()
    {
        var vocabulary = Vocabulary.Build(Corpus, minCount: 2, paddingToken: "<pad>", unknownToken: "<unk>");
        Assert.Equal(["<pad>", "<unk>", "the", "cat", "sat"], vocabulary.Words);
        Assert.Equal(0, vocabulary.PaddingId);
        Assert.Equal(1, vocabulary.UnknownId);
        Assert.Equal(1, vocabulary.Id("dog"));
        Assert.Equal(0, vocabulary.CountOf(0));

        var small = Vocabulary.Build(Corpus, maxSize: 3, unknownToken: "<unk>");
        Assert.Equal(["<unk>", "the", "cat"], small.Words);
        Assert.Equal(0, small.UnknownId);
        Assert.Equal(Vocabulary.NotFound, small.PaddingId);
    }

    [Fact]
    public void Encode_maps_unknown_words_to_the_unknown_id()
    {
        var vocabulary = Vocabulary.Build(Corpus, paddingToken: "<pad>", unknownToken: "<unk>");
        var ids = new int[3];
        vocabulary.Encode(["cat", "bird", "the"], ids);
        Assert.Equal([vocabulary.Id("cat"), 1, 2], ids);
    }

    [Fact]
    public void Encode_rejects_bad_calls_and_writes_nothing()
    {
        var vocabulary = Vocabulary.Build(Corpus);
        var ids = new int[] { 7, 7, 7 };
        Assert.Equal("ids", Assert.Throws<ArgumentException>(() => vocabulary.Encode(["cat"], ids)).ParamName);
        var error = Assert.Throws<ArgumentException>(() => vocabulary.Encode(["cat", "bird", "the"], ids));
        Assert.Equal("tokens", error.ParamName);
        Assert.Contains("'bird'", error.Message);
        Assert.Equal([7, 7, 7], ids);
    }

    [Fact]
    public void Bad_builds_and_lookups_throw_naming_the_argument()
    {
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => Vocabulary.Build(["a", "b c"])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => Vocabulary.Build(["a", ""])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => Vocabulary.Build(["a", null!])).ParamName);
        Assert.Equal("minCount", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(Corpus, minCount: 0)).ParamName);
        Assert.Equal("maxSize", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(Corpus, maxSize: 1, paddingToken: "<pad>", unknownToken: "<unk>")).ParamName);
        Assert.Equal("unknownToken", Assert.Throws<ArgumentException>(() => Vocabulary.Build(Corpus, paddingToken: "<p>", unknownToken: "<p>")).ParamName);
        Assert.Equal("paddingToken", Assert.Throws<ArgumentException>(() => Vocabulary.Build(Corpus, paddingToken: "a b")).ParamName);
        var vocabulary = Vocabulary.Build(Corpus);
        Assert.Equal("id", Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.Word(8)).ParamName);
        Assert.Equal("id", Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.CountOf(-1)).ParamName);
    }

    [Fact]
    public void Save_then_load_gives_the_same_vocabulary()
    {
        var vocabulary = Vocabulary.Build(Corpus.Append("é"), paddingToken: "<pad>", unknownToken: "<unk>");
        string path = Path.Combine(_folder, "vocab.txt");
        vocabulary.Save(path);
        Assert.Equal("<pad> 0\n<unk> 0\nthe 3\n", File.ReadAllText(path)[..22]);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));

        var loaded = Vocabulary.Load(path, "<pad>", "<unk>");
        Assert.Equal(vocabulary.Words, loaded.Words);
        Assert.Equal(Enumerable.Range(0, vocabulary.Count).Select(vocabulary.CountOf), Enumerable.Range(0, loaded.Count).Select(loaded.CountOf));
        Assert.Equal(0, loaded.PaddingId);
        Assert.Equal(1, loaded.UnknownId);
        Assert.Equal(Vocabulary.NotFound, Vocabulary.Load(path).UnknownId);
    }

    [Theory]
    [InlineData("a 1\nb\n", 2, "expected 'word count'")]
    [InlineData("a 1\nb 2 3\n", 2, "expected 'word count'")]
    [InlineData("a 1\nb x\n", 2, "'x' is not a non-negative integer")]
    [InlineData("a 1\nb -2\n", 2, "'-2' is not a non-negative integer")]
    [InlineData("a 1\n\n", 2, "expected 'word count'")]
    [InlineData("a 1\nb 2\na 3\n", 3, "already appears on line 1")]
    public void Bad_files_name_the_file_and_line(string text, int line, string message)
    {
        string path = Path.Combine(_folder, "bad.txt");
        File.WriteAllText(path, text);
        var error = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(path));
        Assert.Contains($"'{path}', line {line}:", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Bad_utf8_and_missing_special_words_are_invalid_data()
    {
        var error = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(new MemoryStream([(byte)'a', (byte)' ', (byte)'1', (byte)'\n', 0xFF, (byte)' ', (byte)'1']), "v.txt", null, null));
        Assert.Contains("'v.txt'", error.Message);
        Assert.Contains("UTF-8", error.Message);
        error = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(new MemoryStream(Encoding.UTF8.GetBytes("a 1\n")), "v.txt", "<pad>", null));
        Assert.Contains("'<pad>'", error.Message);
    }
}
