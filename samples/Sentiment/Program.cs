// Sentiment: an LSTM compiled by Unroll tells positive from negative product-review sentences, many-to-one over
// pretrained word vectors, as the Emojify exercise of Andrew Ng's sequence-models course does with GloVe.
//
//     dotnet run --project samples/Sentiment -c Release                   pretrain the vectors, train, score the held-out sentences
//     dotnet run --project samples/Sentiment -c Release -- --fine-tune    the same with an embedding that trains too
//     dotnet run --project samples/Sentiment -c Release -- --help         the options
//
// The data are the 1,000 Amazon sentences of UCI's Sentiment Labelled Sentences (Data/README.md), split once and for all
// (a fixed shuffle) into 750 for training and 250 held out. There is no GloVe here, so the word vectors are pretrained
// in process with Word2Vec (skip-gram, negative sampling) on Tiny Shakespeare and the training sentences, the held-out
// ones left out; a held-out word that training never labels still has a vector when Shakespeare uses it. The model
// (Models.cs) embeds a sentence's words with those vectors, frozen as in the course, runs an LSTM over them, averages
// its states over the sentence's own words and scores the two classes; --fine-tune trains the embedding too. The
// batches are padded to their longest sentence with each row's length passed to Forward. It prints the held-out
// accuracy, the confusion matrix, some held-out sentences and how the inference-only model, loaded from the saved
// weights, reads a few sentences of its own.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sentiment;
using Spectre.Console;
using Unroll;
using Unroll.Samples;
using Unroll.Samples.Language;

var epochs = new Option<int>("--epochs") { Description = "passes over the 750 training sentences", DefaultValueFactory = _ => 15, HelpName = "N" }.Positive();
var learningRate = new Option<float>("--lr") { Description = "Adam's learning rate", DefaultValueFactory = _ => 1e-2f, HelpName = "RATE" }.Positive();
var vectorEpochs = new Option<int>("--vector-epochs") { Description = "Word2Vec's passes over the pretraining text", DefaultValueFactory = _ => 20, HelpName = "N" }.Positive();
var fineTune = new Option<bool>("--fine-tune") { Description = "train the embedding too (SentimentFineTuned) rather than keep the pretrained vectors frozen" };
var wordDropout = new Option<double>("--word-dropout") { Description = "probability that training sees a word as unknown", DefaultValueFactory = _ => 0.05, HelpName = "P" };
var seed = new Option<int>("--seed") { Description = "seed of the word vectors, the initialisation, the dropout and the batches", DefaultValueFactory = _ => 1, HelpName = "N" };
var output = new Option<string>("--output") { Description = "folder for the weights, the vocabulary and the loss curve", DefaultValueFactory = _ => Path.Combine("runs", "Sentiment"), HelpName = "DIR" };
var data = new Option<string>("--data") { Description = "the labelled sentences (sentence, tab, 0 or 1 per line)", DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "Data", "amazon_cells_labelled.txt"), HelpName = "FILE" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the held-out accuracy ends below A (0 to 1)", HelpName = "A" };
var command = new RootCommand("""
    Sentiment: an LSTM over pretrained word vectors tells positive from negative review sentences (UCI's Amazon set:
    750 to train on, 250 held out). Pretrains the vectors with Word2Vec, trains, prints the held-out accuracy and the
    confusion matrix. Writes its weights, vocabulary and loss curve under runs/Sentiment/.
    """) { epochs, learningRate, vectorEpochs, fineTune, wordDropout, seed, output, data, require };
command.SetAction(result => Run(result.GetValue(epochs), result.GetValue(learningRate), result.GetValue(vectorEpochs), result.GetValue(fineTune),
    result.GetValue(wordDropout), result.GetValue(seed), result.GetRequiredValue(output), result.GetRequiredValue(data), result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(int epochs, float learningRate, int vectorEpochs, bool fineTune, double wordDropout, int seed, string output, string dataPath, double required)
{
    const int B = 32, C = 2;
    List<(string Text, int Label)> sentences;
    try
    {
        sentences = Read(dataPath);
    }
    catch (Exception e) when (e is IOException or InvalidDataException)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
    // A quarter held out (250 of the 1,000); the split does not depend on --seed: every run scores the same sentences.
    if (sentences.Count < 8)
    {
        Console.Error.WriteLine($"{dataPath} has {sentences.Count} sentences; at least 8 are needed (6 to train on, 2 held out).");
        return 1;
    }
    int heldOutCount = sentences.Count / 4;
    new Random(2015).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sentences));
    var test = sentences[..heldOutCount];
    var train = sentences[heldOutCount..];
    string[][] trainTokens = [.. train.Select(s => Tokens.Split(s.Text, lowerCase: true))];
    string[][] testTokens = [.. test.Select(s => Tokens.Split(s.Text, lowerCase: true))];
    Console.WriteLine($"Data: {sentences.Count} sentences of {Path.GetFileName(dataPath)}, {train.Count} to train on ({train.Count(s => s.Label == 1)} positive), "
        + $"{test.Count} held out ({test.Count(s => s.Label == 1)} positive); {trainTokens.Average(t => t.Length):F1} tokens a sentence, at most {trainTokens.Concat(testTokens).Max(t => t.Length)}.");

    // Pretraining: Word2Vec over Tiny Shakespeare and the training sentences (never the held-out ones); the vocabulary
    // is every word of that text, padding 0 and unknown 1 first.
    string[][] shakespeare = [.. ReadShakespeare().Split('\n').Select(line => Tokens.Split(line, lowerCase: true)).Where(line => line.Length > 0)];
    string[][] pretrainingText = [.. shakespeare, .. trainTokens];
    var vocabulary = Vocabulary.Build(pretrainingText.SelectMany(line => line), maxSize: SentimentModel.Words, paddingToken: "<pad>", unknownToken: "<unk>");
    var clock = Stopwatch.StartNew();
    var vectors = Pretraining.Train(vocabulary, pretrainingText, SentimentModel.Dimension, vectorEpochs, seed);
    var trainWords = trainTokens.SelectMany(t => t).ToHashSet();
    string[] testWords = [.. testTokens.SelectMany(t => t)];
    Console.WriteLine($"Word vectors: Word2Vec (skip-gram, {SentimentModel.Dimension} dimensions, window 5, 5 negatives, {vectorEpochs} epochs, one worker) on "
        + $"{pretrainingText.Sum(t => t.Length):N0} tokens ({shakespeare.Sum(t => t.Length):N0} of Tiny Shakespeare) in {clock.Elapsed.TotalSeconds:F1} s; "
        + $"{vocabulary.Count:N0} words.");
    Console.WriteLine($"Held-out tokens: {testWords.Length:N0}; {testWords.Count(w => !trainWords.Contains(w) && vocabulary.Contains(w)):N0} are words training never labels "
        + $"but the vectors know, {testWords.Count(w => !vocabulary.Contains(w)):N0} are unknown.");
    var neighbours = Sample.Table("word", "nearest words (cosine similarity)");
    foreach (string word in new[] { "good", "bad", "love", "poor" }) neighbours.Row(word, Pretraining.Neighbours(vectors, word, 5));
    AnsiConsole.Write(neighbours);

    int[][] trainIds = [.. trainTokens.Select(t => Encode(vocabulary, t))];
    int[][] testIds = [.. testTokens.Select(t => Encode(vocabulary, t))];
    int[] trainLabels = [.. train.Select(s => s.Label)], testLabels = [.. test.Select(s => s.Label)];

    // The model, its embedding filled with the vectors (rows past the vocabulary stay as initialised, never read).
    ISequenceModel<int> model;
    IReadOnlyList<string> missing;
    if (fineTune)
    {
        var tuned = new SentimentFineTuned(seed);
        missing = vectors.CopyTo(vocabulary, tuned.Embed.Weight, new SeededRandom((ulong)seed));
        model = tuned;
        Console.WriteLine(SentimentFineTuned.Summary());
    }
    else
    {
        var frozen = new SentimentModel(seed);
        missing = vectors.CopyTo(vocabulary, frozen.Embed.Weight, new SeededRandom((ulong)seed));
        model = frozen;
        Console.WriteLine(SentimentModel.Summary());
    }
    if (missing.Count > 0) Console.WriteLine($"{missing.Count} vocabulary words had no vector and were drawn from N(0, 1).");

    // Training: shuffled batches of 32 (the last of an epoch has 14), cross-entropy, Adam, gradient clipping.
    var trainer = new TokenTrainer(model, C, perWord: false, SentimentModel.MaxWords, learningRate, wordDropout, vocabulary.UnknownId, seed);
    int report = Math.Max(1, epochs / 6);
    Console.WriteLine($"Training {epochs} epochs of {(train.Count + B - 1) / B} batches ({(fineTune ? "embedding fine-tuned" : "embedding frozen")}; "
        + $"{model.Parameters.Length:N0} parameters train; {trainer.Optimizer}).");
    trainer.Train(epochs, trainIds, null, trainLabels, (epoch, loss) => epoch % report == 0 || epoch == epochs
        ? $"epoch {epoch,3}  loss {loss:F4}  training accuracy {Evaluate(trainer, trainIds, trainLabels).Accuracy:F3}  held-out accuracy {Evaluate(trainer, testIds, testLabels).Accuracy:F3}"
        : null);

    // Scoring: the held-out sentences, dropout off.
    var confusion = Evaluate(trainer, testIds, testLabels);
    var baseline = new ConfusionMatrix(SentimentModel.Classes);
    foreach (int label in testLabels) baseline.Add(label, trainLabels.Count(l => l == 1) * 2 >= trainLabels.Length ? 1 : 0);
    AnsiConsole.Write(confusion.Table($"held out ({test.Count})"));
    Console.WriteLine($"Held-out accuracy: {ConfusionMatrix.Format(confusion.Accuracy)} (the majority class alone: {ConfusionMatrix.Format(baseline.Accuracy)}).");

    string weights = Path.Combine(output, "sentiment.safetensors"), words = Path.Combine(output, "vocabulary.txt");
    Sample.Write(weights, "the trained weights", model.SaveSafetensors);
    Sample.Write(words, "the vocabulary, one word and count a line in id order", vocabulary.Save);
    Sample.Write(Path.Combine(output, "loss.png"), "the loss curve", path => trainer.WriteLossCurve(path, "Sentiment: training loss", "cross-entropy"));

    // Some held-out sentences (cut at 90 characters) with the model's probability of "positive".
    float[] logits = new float[C], probabilities = new float[C];
    var examples = Sample.Table("held-out sentence", "label", "P(positive)");
    trainer.Predict(testIds[..Math.Min(8, testIds.Length)], (_, batch, scores) =>
    {
        for (int r = 0; r < batch.Rows; r++)
        {
            Probabilities.Softmax(scores.Slice(r * C, C), probabilities, C);
            examples.Row(test[r].Text.Length <= 90 ? test[r].Text : test[r].Text[..89] + "…", SentimentModel.Classes[test[r].Label], probabilities[1].ToString("F3", CultureInfo.InvariantCulture));
        }
    });
    AnsiConsole.Write(examples);

    // Deployment: the inference-only model and the vocabulary, read back from the files, one sentence at a time.
    var reader = new SentimentReader();
    reader.LoadSafetensors(weights);
    var readerVocabulary = Vocabulary.Load(words, "<pad>", "<unk>");
    var own = Sample.Table("sentence (SentimentReader, loaded from the files)", "class", "P(positive)");
    foreach (string text in new[] { "I love this phone, the battery lasts for days.", "It broke after a week and support never answered.",
        "Not good at all.", "Not bad, it works.", "Would not recommend it to anyone.", "Excellent sound and a fair price." })
    {
        int[] ids = Encode(readerVocabulary, Tokens.Split(text, lowerCase: true));
        reader.Forward(ids, logits.AsSpan(0, C), ids.Length);
        Probabilities.Softmax(logits.AsSpan(0, C), probabilities, C);
        own.Row(text, SentimentModel.Classes[probabilities[1] >= 0.5f ? 1 : 0], probabilities[1].ToString("F3", CultureInfo.InvariantCulture));
    }
    AnsiConsole.Write(own);

    // Streaming: the same model reads a sentence a word at a time with Step (the LSTM's state and the running mean carry
    // on), so an application can show the probability as the sentence is typed; after the last word it is Forward's.
    string[] typed = Tokens.Split("The screen is great but the battery died after two days.", lowerCase: true);
    int[] typedIds = Encode(readerVocabulary, typed);
    var stream = Sample.Table(typed);
    reader.ResetState();
    string[] after = new string[typed.Length];
    for (int i = 0; i < typed.Length; i++)
    {
        reader.Step(typedIds.AsSpan(i, 1), logits.AsSpan(0, C));
        Probabilities.Softmax(logits.AsSpan(0, C), probabilities, C);
        after[i] = probabilities[1].ToString("F2", CultureInfo.InvariantCulture);
    }
    float streamed = probabilities[1];
    reader.Forward(typedIds, logits.AsSpan(0, C), typedIds.Length);
    Probabilities.Softmax(logits.AsSpan(0, C), probabilities, C);
    stream.Row(after);
    Console.WriteLine("P(positive) after each word, SentimentReader.Step:");
    AnsiConsole.Write(stream);
    Console.WriteLine($"After the last word: {streamed.ToString("F6", CultureInfo.InvariantCulture)}; Forward over the sentence: {probabilities[1].ToString("F6", CultureInfo.InvariantCulture)}.");

    if (required > 0 && confusion.Accuracy < required)
    {
        Console.Error.WriteLine($"The held-out accuracy {ConfusionMatrix.Format(confusion.Accuracy)} is below the required {required.ToString(CultureInfo.InvariantCulture)}.");
        return 1;
    }
    return 0;
}

// The confusion matrix of the sentences, read a batch at a time with dropout off.
static ConfusionMatrix Evaluate(TokenTrainer trainer, int[][] ids, int[] labels)
{
    var confusion = new ConfusionMatrix(SentimentModel.Classes);
    trainer.Predict(ids, (first, batch, logits) => confusion.Add(logits, labels.AsSpan(first, batch.Rows)));
    return confusion;
}

// A sentence's token ids, cut at the model's longest sentence.
static int[] Encode(Vocabulary vocabulary, string[] tokens)
{
    tokens = tokens.Length > SentimentModel.MaxWords ? tokens[..SentimentModel.MaxWords] : tokens;
    int[] ids = new int[tokens.Length];
    vocabulary.Encode(tokens, ids);
    return ids;
}

// The labelled sentences: "sentence<TAB>0" or "…<TAB>1" a line.
static List<(string Text, int Label)> Read(string path)
{
    if (!File.Exists(path)) throw new FileNotFoundException($"No labelled sentences at {path} (see Data/README.md).", path);
    var sentences = new List<(string, int)>();
    int number = 0;
    foreach (string line in File.ReadLines(path))
    {
        number++;
        if (line.Length == 0) continue;
        int tab = line.LastIndexOf('\t');
        if (tab < 0 || line[(tab + 1)..].Trim() is not ("0" or "1"))
            throw new InvalidDataException($"{path}, line {number}: expected a sentence, a tab and 0 or 1.");
        sentences.Add((line[..tab].Trim(), line[(tab + 1)..].Trim() == "1" ? 1 : 0));
    }
    return sentences;
}

// Tiny Shakespeare, embedded in the program.
static string ReadShakespeare()
{
    using Stream stream = typeof(SentimentModel).Assembly.GetManifestResourceStream("tinyshakespeare.txt")
        ?? throw new InvalidOperationException("The embedded Tiny Shakespeare is missing.");
    using var reader = new StreamReader(stream);
    return reader.ReadToEnd();
}
