using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Text;

/// <summary>
/// WordVectors against the deep-learning specialisation's "Operations on word vectors" functions run in numpy
/// (Fixtures/word_vectors.json, written by make_word_vector_fixtures.py): cosine similarity, complete_analogy,
/// neutralize and equalize; nearest neighbours against a brute-force sort; no allocation per query; loading into an
/// embedding by vocabulary; every bad call.
/// </summary>
public sealed class WordVectorsTests
{
    private static readonly JsonElement Fixture = LoadFixture();

    private static JsonElement LoadFixture()
    {
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Text", "Fixtures", "word_vectors.json"));
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    private static WordVectors Course() => new(
        Fixture.GetProperty("words").EnumerateArray().Select(e => e.GetString()!),
        Fixture.GetProperty("vectors").EnumerateArray().Select(e => e.GetSingle()).ToArray());

    private static float[] BiasAxis(WordVectors vectors)
    {
        var axis = new float[vectors.Dimension];
        System.Numerics.Tensors.TensorPrimitives.Subtract(vectors.Vector("woman"), vectors.Vector("man"), axis);
        return axis;
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void Cosine_similarity_matches_the_course()
    {
        var vectors = Course();
        foreach (var c in Fixture.GetProperty("similarities").EnumerateArray())
        {
            string a = c.GetProperty("a").GetString()!, b = c.GetProperty("b").GetString()!;
            double expected = c.GetProperty("value").GetDouble();
            Assert.Equal(expected, vectors.Similarity(a, b), 1e-6);
            Assert.Equal(expected, WordVectors.CosineSimilarity(vectors.Vector(a), vectors.Vector(b)), 1e-6);
        }
        Assert.Equal(0f, WordVectors.CosineSimilarity([0f, 0f], [1f, 2f]));
    }

    [Fact]
    public void Complete_analogy_matches_the_course()
    {
        var vectors = Course();
        var best = new int[3];
        var similarity = new float[3];
        foreach (var c in Fixture.GetProperty("analogies").EnumerateArray())
        {
            string a = c.GetProperty("a").GetString()!, b = c.GetProperty("b").GetString()!, w = c.GetProperty("c").GetString()!;
            Assert.Equal(c.GetProperty("word").GetString(), vectors.CompleteAnalogy(a, b, w));
            Assert.Equal(3, vectors.CompleteAnalogy(a, b, w, best, similarity));
            Assert.Equal(c.GetProperty("similarity").GetDouble(), similarity[0], 1e-5);
            Assert.True(similarity[0] >= similarity[1] && similarity[1] >= similarity[2]);
        }
    }

    [Fact]
    public void Neutralize_matches_the_course_and_leaves_no_bias()
    {
        var vectors = Course();
        float[] axis = BiasAxis(vectors);
        foreach (var c in Fixture.GetProperty("neutralized").EnumerateArray())
        {
            string word = c.GetProperty("word").GetString()!;
            vectors.Neutralize(word, axis);
            AssertClose(Doubles(c.GetProperty("vector")), vectors.Vector(word), 1e-6, word);
            Assert.Equal(0, WordVectors.CosineSimilarity(vectors.Vector(word), axis), 1e-5);
        }
    }

    [Fact]
    public void Equalize_matches_the_course()
    {
        var vectors = Course();
        float[] axis = BiasAxis(vectors);
        foreach (var c in Fixture.GetProperty("equalized").EnumerateArray())
        {
            string w1 = c.GetProperty("word1").GetString()!, w2 = c.GetProperty("word2").GetString()!;
            vectors.Equalize(w1, w2, axis);
            AssertClose(Doubles(c.GetProperty("vector1")), vectors.Vector(w1), 1e-5, w1);
            AssertClose(Doubles(c.GetProperty("vector2")), vectors.Vector(w2), 1e-5, w2);
            // The cached norms follow the new vectors.
            Assert.Equal(WordVectors.CosineSimilarity(vectors.Vector(w1), vectors.Vector("doctor")), vectors.Similarity(w1, "doctor"), 1e-6);
        }
    }

    [Fact]
    public void Nearest_is_the_top_k_of_a_brute_force_sort()
    {
        var vectors = Course();
        var indices = new int[4];
        var similarities = new float[4];
        foreach (string word in vectors.Words)
        {
            int found = vectors.Nearest(word, indices, similarities);
            var expected = vectors.Words.Select((w, i) => (i, s: vectors.Similarity(word, w)))
                .Where(p => vectors.Words[p.i] != word).OrderByDescending(p => p.s).ThenBy(p => p.i).Take(4).ToArray();
            Assert.Equal(4, found);
            Assert.Equal(expected.Select(p => p.i), indices);
            for (int i = 0; i < 4; i++) Assert.Equal(expected[i].s, similarities[i], 1e-6);
        }

        // A query vector with exclusions; k larger than what remains.
        var all = new int[vectors.Count];
        var allSimilarities = new float[vectors.Count];
        int[] exclude = [0, 1, 2];
        int n = vectors.Nearest(vectors.Vector("king"), exclude, all, allSimilarities);
        Assert.Equal(vectors.Count - 3, n);
        Assert.DoesNotContain(0, all[..n]);
        Assert.Equal(0, vectors.Nearest(vectors.Vector("king"), [], [], []));
    }

    [Fact]
    public void Queries_allocate_nothing()
    {
        var vectors = Course();
        var indices = new int[5];
        var similarities = new float[5];
        float[] query = vectors.Vector("paris").ToArray();
        int[] exclude = [3, 4];
        float sink = 0;
        Assert.Equal(0, Allocations.Of(() => sink += vectors.Nearest("king", indices, similarities)));
        Assert.Equal(0, Allocations.Of(() => sink += vectors.Nearest(query, exclude, indices, similarities)));
        Assert.Equal(0, Allocations.Of(() => sink += vectors.CompleteAnalogy("man", "woman", "king", indices, similarities)));
        Assert.Equal(0, Allocations.Of(() => sink += vectors.CompleteAnalogy("man", "woman", "king").Length));
        Assert.Equal(0, Allocations.Of(() => sink += vectors.Similarity("man", "woman")));
        Assert.Equal(0, Allocations.Of(() => sink += vectors.IndexOf("rome")));
        Assert.True(sink != 0);
    }

    [Fact]
    public void Copy_to_an_embedding_fills_known_rows_draws_missing_ones_and_zeroes_padding()
    {
        // StTokenLm: Embedding(11, 5). Vocabulary: <pad>, <unk>, then 6 words; 3 rows of the weight stay as they are.
        var vocabulary = Vocabulary.Build("a a a b b c d e f".Split(' '), paddingToken: "<pad>", unknownToken: "<unk>");
        var words = new[] { "z", "b", "<pad>", "d", "a", "f" };
        var vectors = new WordVectors(words, Enumerable.Range(0, words.Length * 5).Select(i => i + 0.5f).ToArray());
        var model = new StTokenLm(3);
        float[] before = model.Embed.Weight.ToArray();

        IReadOnlyList<string> missing = vectors.CopyTo(vocabulary, model.Embed.Weight, new SeededRandom(9));

        Assert.Equal(["<unk>", "c", "e"], missing);
        float[] weight = model.Embed.Weight.ToArray();
        Assert.All(weight[..5], v => Assert.Equal(0f, v));
        foreach (string word in new[] { "a", "b", "d", "f" })
        {
            Assert.Equal(vectors.Vector(word).ToArray(), weight.AsSpan(vocabulary.Id(word) * 5, 5).ToArray());
        }
        var random = new SeededRandom(9);
        var expected = new float[5];
        foreach (string word in missing)
        {
            random.FillNormal(expected);
            Assert.Equal(expected, weight.AsSpan(vocabulary.Id(word) * 5, 5).ToArray());
        }
        Assert.Equal(before[(vocabulary.Count * 5)..], weight[(vocabulary.Count * 5)..]);

        // Through NamedParameters too.
        var other = new StTokenLm(3);
        vectors.CopyTo(vocabulary, other.NamedParameters.Single(p => p.Name == "Embed.weight").Values, new SeededRandom(9));
        Assert.Equal(weight, other.Embed.Weight.ToArray());
    }

    [Fact]
    public void Copy_to_rejects_a_dimension_mismatch_and_changes_nothing()
    {
        var vocabulary = Vocabulary.Build(["a", "b"]);
        var vectors = new WordVectors(["a"], [1f, 2f, 3f]);
        var weight = new float[8];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => vectors.CopyTo(vocabulary, weight, new SeededRandom(1))).ParamName);
        var short_ = new float[3];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => vectors.CopyTo(vocabulary, short_, new SeededRandom(1))).ParamName);
        Assert.All(weight, v => Assert.Equal(0f, v));
        Assert.All(short_, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Bad_calls_throw_naming_the_argument_and_change_nothing()
    {
        Assert.Equal("words", Assert.Throws<ArgumentException>(() => new WordVectors([], [1f])).ParamName);
        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => new WordVectors(["a", "b"], [1f, 2f, 3f])).ParamName);
        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => new WordVectors(["a"], [])).ParamName);
        Assert.Equal("words", Assert.Throws<ArgumentException>(() => new WordVectors(["a", "a"], [1f, 2f])).ParamName);
        Assert.Equal("words", Assert.Throws<ArgumentException>(() => new WordVectors(["a", "b c"], [1f, 2f])).ParamName);

        var vectors = Course();
        float[] matrix = vectors.Matrix.ToArray();
        float[] axis = BiasAxis(vectors);
        Assert.Equal("word", Assert.Throws<ArgumentException>(() => vectors.Vector("nope")).ParamName);
        Assert.Equal("word2", Assert.Throws<ArgumentException>(() => vectors.Similarity("man", "nope")).ParamName);
        Assert.Equal("similarities", Assert.Throws<ArgumentException>(() => vectors.Nearest("man", new int[3], new float[2])).ParamName);
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => vectors.Nearest(new float[3], [], new int[3], new float[3])).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => vectors.CompleteAnalogy("man", "nope", "king")).ParamName);
        Assert.Equal("v", Assert.Throws<ArgumentException>(() => WordVectors.CosineSimilarity([1f], [1f, 2f])).ParamName);
        Assert.Equal("biasAxis", Assert.Throws<ArgumentException>(() => vectors.Neutralize("doctor", new float[vectors.Dimension])).ParamName);
        Assert.Equal("biasAxis", Assert.Throws<ArgumentException>(() => vectors.Neutralize("doctor", new float[3])).ParamName);
        Assert.Equal("word", Assert.Throws<ArgumentException>(() => vectors.Neutralize("nope", axis)).ParamName);
        Assert.Equal("word2", Assert.Throws<ArgumentException>(() => vectors.Equalize("actor", "actor", axis)).ParamName);
        Assert.Equal("word1", Assert.Throws<ArgumentException>(() => vectors.Equalize("nope", "actor", axis)).ParamName);
        Assert.Equal("biasAxis", Assert.Throws<ArgumentException>(() => vectors.Equalize("actor", "actress", new float[2])).ParamName);
        Assert.Equal(matrix, vectors.Matrix.ToArray());

        var tiny = new WordVectors(["a", "b", "c"], [1f, 2f, 3f]);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => tiny.CompleteAnalogy("a", "b", "c")).ParamName);
    }
}
