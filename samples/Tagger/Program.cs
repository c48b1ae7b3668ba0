// Tagger: a bidirectional LSTM compiled by Unroll tags the named entities of sentences (persons, locations,
// organisations, other names), one BIO tag per word, as the named-entity part of Andrew Ng's sequence-models course.
//
//     dotnet run --project samples/Tagger -c Release                  pretrain the vectors, train, score the held-out sentences
//     dotnet run --project samples/Tagger -c Release -- --help        the options
//
// No annotated corpus is among the packages reachable here, so the sentences are generated (NerCorpus.cs: templates
// filled from name lists, seeded). The held-out sentences use only names that no training sentence has, half of them
// in templates training never sees. The word vectors are pretrained in process with Word2Vec on unlabelled generated
// text that mentions the names of both parts, as GloVe's corpus mentions names a labelled set lacks, and stay frozen
// while the tagger trains. The batches are padded to their longest sentence with each row's length passed to Forward;
// the padding's targets are ignored by the loss. It prints token-level precision, recall and F1 per entity type, their
// micro average, entity-level (exact span) F1, and held-out sentences tagged by the inference-only model loaded from
// the saved weights.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Tagger;
using Unroll;
using Unroll.Samples;
using Unroll.Samples.Language;

var epochs = new Option<int>("--epochs") { Description = "passes over the training sentences", DefaultValueFactory = _ => 8, HelpName = "N" }.Positive();
var sentenceCount = new Option<int>("--sentences") { Description = "generated training sentences", DefaultValueFactory = _ => 3000, HelpName = "N" }.Positive();
var learningRate = new Option<float>("--lr") { Description = "Adam's learning rate", DefaultValueFactory = _ => 3e-3f, HelpName = "RATE" }.Positive();
var vectorEpochs = new Option<int>("--vector-epochs") { Description = "Word2Vec's passes over the unlabelled text", DefaultValueFactory = _ => 10, HelpName = "N" }.Positive();
var noPretraining = new Option<bool>("--no-pretraining") { Description = "start the embedding from N(0, 1) rather than the pretrained vectors (it still stays frozen)" };
var wordDropout = new Option<double>("--word-dropout") { Description = "probability that training sees a word as unknown", DefaultValueFactory = _ => 0.1, HelpName = "P" };
var seed = new Option<int>("--seed") { Description = "seed of the sentences, the word vectors, the initialisation, the dropout and the batches", DefaultValueFactory = _ => 1, HelpName = "N" };
var output = new Option<string>("--output") { Description = "folder for the weights, the vocabulary and the loss curve", DefaultValueFactory = _ => Path.Combine("runs", "Tagger"), HelpName = "DIR" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the held-out token-level micro F1 ends below F (0 to 1)", HelpName = "F" };
var command = new RootCommand("""
    Tagger: a bidirectional LSTM over pretrained word vectors tags named entities (PER, LOC, ORG, MISC; BIO tags) in
    generated sentences, and is scored on held-out sentences whose names training never sees. Writes its weights,
    vocabulary and loss curve under runs/Tagger/.
    """) { epochs, sentenceCount, learningRate, vectorEpochs, noPretraining, wordDropout, seed, output, require };
command.SetAction(result => Run(result.GetValue(epochs), result.GetValue(sentenceCount), result.GetValue(learningRate), result.GetValue(vectorEpochs),
    result.GetValue(noPretraining), result.GetValue(wordDropout), result.GetValue(seed), result.GetRequiredValue(output), result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(int epochs, int sentenceCount, float learningRate, int vectorEpochs, bool noPretraining, double wordDropout, int seed, string output, double required)
{
    const int B = TaggerModel.BatchSize, T = TaggerModel.MaxWords, K = 9, HeldOut = 500, Unlabelled = 20_000;
    var training = new NerCorpus(seed, heldOut: false);
    var heldOutSentences = new NerCorpus(seed + 1_000_003, heldOut: true);
    (string[] Words, int[] Tags)[] train = [.. Enumerable.Range(0, sentenceCount).Select(_ => training.Next())];
    (string[] Words, int[] Tags)[] test = [.. Enumerable.Range(0, HeldOut).Select(_ => heldOutSentences.Next())];
    var unlabelledText = new NerCorpus(seed + 2_000_003, heldOut: false);
    string[][] unlabelled = [.. Enumerable.Range(0, Unlabelled).Select(_ => unlabelledText.NextUnlabelled())];
    Console.WriteLine($"Data: {train.Length:N0} generated training sentences ({train.Sum(s => s.Words.Length):N0} tokens, "
        + $"{train.Sum(s => s.Tags.Count(t => t % 2 == 1)):N0} names), {test.Length} held out ({test.Sum(s => s.Words.Length):N0} tokens, "
        + $"{test.Sum(s => s.Tags.Count(t => t % 2 == 1)):N0} names, none of them in a training sentence but the ambiguous ones), "
        + $"{unlabelled.Length:N0} unlabelled sentences for the word vectors; at most {train.Concat(test).Max(s => s.Words.Length)} tokens a sentence.");

    // Pretraining: Word2Vec over the unlabelled text alone (case kept: capitals mark names), in which training and
    // held-out names stand alike; the vocabulary is every word of it, padding 0 and unknown 1 first. Words outside it
    // are unknown.
    string[][] pretrainingText = unlabelled;
    var vocabulary = Vocabulary.Build(pretrainingText.SelectMany(line => line), maxSize: TaggerModel.Words, paddingToken: "<pad>", unknownToken: "<unk>");
    var clock = Stopwatch.StartNew();
    var vectors = Pretraining.Train(vocabulary, pretrainingText, TaggerModel.Dimension, vectorEpochs, seed);
    Console.WriteLine($"Word vectors: Word2Vec (skip-gram, {TaggerModel.Dimension} dimensions, window 5, 5 negatives, {vectorEpochs} epochs, one worker) on "
        + $"{pretrainingText.Sum(t => t.Length):N0} tokens in {clock.Elapsed.TotalSeconds:F1} s; {vocabulary.Count:N0} words"
        + $"{(noPretraining ? ", not used (--no-pretraining)" : "")}; {test.Sum(s => s.Words.Count(w => !vocabulary.Contains(w))):N0} held-out tokens are unknown.");
    var neighbours = Sample.Table("word", "nearest words (cosine similarity)");
    foreach (string word in new[] { "Ingrid", "Helsinki", "Samsung", "Finnish" }) neighbours.Row(word, Pretraining.Neighbours(vectors, word, 5));
    AnsiConsole.Write(neighbours);

    int[][] trainIds = [.. train.Select(s => Encode(vocabulary, s.Words))], testIds = [.. test.Select(s => Encode(vocabulary, s.Words))];
    int[][] trainTags = [.. train.Select(s => s.Tags)], testTags = [.. test.Select(s => s.Tags)];

    // The model, its frozen embedding filled with the vectors (or left as drawn from N(0, 1)).
    var model = new TaggerModel(seed);
    if (!noPretraining) vectors.CopyTo(vocabulary, model.Embed.Weight, new SeededRandom((ulong)seed));
    Console.WriteLine(TaggerModel.Summary());

    // Training: shuffled batches of 32, cross-entropy over the real words of every row (the padding's targets are
    // TokenBatch.Ignore), Adam, gradient clipping.
    var trainer = new TokenTrainer(model, K, perWord: true, T, learningRate, wordDropout, vocabulary.UnknownId, seed);
    Console.WriteLine($"Training {epochs} epochs of {(train.Length + B - 1) / B} batches ({model.Parameters.Length:N0} parameters train, the embedding frozen; "
        + $"{trainer.Optimizer}).");
    clock.Restart();
    trainer.Train(epochs, trainIds, trainTags, null, (epoch, loss) =>
    {
        var (_, _, f1) = Evaluate(trainer, testIds, testTags).Tokens.MicroScores(outside: 0);
        return $"epoch {epoch,3}  loss {loss:F4}  held-out token F1 {f1:F3}  {clock.Elapsed.TotalSeconds / epoch:F1} s/epoch";
    });

    // Scoring: token level (each word's entity type, B and I alike) and entity level (exact spans, as conlleval).
    var (tokens, spans) = Evaluate(trainer, testIds, testTags);
    AnsiConsole.Write(tokens.Table("held-out tokens"));
    var (precision, recall, microF1) = tokens.MicroScores(outside: 0);
    var entityTable = Sample.Table("held-out names (exact spans)", "names", "found", "right", "precision", "recall", "F1");
    for (int type = 1; type < NerCorpus.Types.Length; type++)
    {
        var (actual, found, right) = spans[type];
        var (p, r, f) = ConfusionMatrix.Scores(right, found, actual);
        entityTable.Row(NerCorpus.Types[type], $"{actual}", $"{found}", $"{right}", ConfusionMatrix.Format(p), ConfusionMatrix.Format(r), ConfusionMatrix.Format(f));
    }
    var all = (Actual: spans.Sum(s => s.Actual), Predicted: spans.Sum(s => s.Predicted), Right: spans.Sum(s => s.Right));
    var (ep, er, ef) = ConfusionMatrix.Scores(all.Right, all.Predicted, all.Actual);
    entityTable.Row("all", $"{all.Actual}", $"{all.Predicted}", $"{all.Right}", ConfusionMatrix.Format(ep), ConfusionMatrix.Format(er), ConfusionMatrix.Format(ef));
    AnsiConsole.Write(entityTable);
    Console.WriteLine($"Held-out token-level micro F1 (PER, LOC, ORG, MISC): {ConfusionMatrix.Format(microF1)} (precision {ConfusionMatrix.Format(precision)}, "
        + $"recall {ConfusionMatrix.Format(recall)}); entity-level F1: {ConfusionMatrix.Format(ef)}.");

    string weights = Path.Combine(output, "tagger.safetensors"), words = Path.Combine(output, "vocabulary.txt");
    Sample.Write(weights, "the trained weights", model.SaveSafetensors);
    Sample.Write(words, "the vocabulary, one word and count a line in id order", vocabulary.Save);
    Sample.Write(Path.Combine(output, "loss.png"), "the loss curve", path => trainer.WriteLossCurve(path, "Tagger: training loss", "cross-entropy per word"));

    // Deployment: the inference-only model and the vocabulary, read back from the files, one sentence at a time.
    var reader = new TaggerReader();
    reader.LoadSafetensors(weights);
    var readerVocabulary = Vocabulary.Load(words, "<pad>", "<unk>");
    var tagged = Sample.Table("sentence tagged by TaggerReader (loaded from the files)", "errors");
    float[] scores = new float[T * K];
    int[] predicted = new int[T];
    string[][] own = [["Jordan", "flew", "to", "Jordan", "on", "Friday", "."], ["Amazon", "hired", "Nadia", "Haddad", "in", "Washington", "."]];
    foreach (var (sentence, truth) in test.Take(6).Select(s => (s.Words, (int[]?)s.Tags)).Concat(own.Select(s => (s, (int[]?)null))))
    {
        int[] ids = Encode(readerVocabulary, sentence);
        reader.Forward(ids, scores.AsSpan(0, ids.Length * K), ids.Length);
        for (int i = 0; i < ids.Length; i++) predicted[i] = Sampling.ArgMax(scores.AsSpan(i * K, K));
        int errors = truth is null ? 0 : Enumerable.Range(0, ids.Length).Count(i => predicted[i] != truth[i]);
        tagged.Row(Bracket(sentence, predicted.AsSpan(0, ids.Length)), truth is null ? "(own)" : $"{errors}");
    }
    AnsiConsole.Write(tagged);

    if (required > 0 && microF1 < required)
    {
        Console.Error.WriteLine($"The held-out token-level F1 {ConfusionMatrix.Format(microF1)} is below the required {required.ToString(CultureInfo.InvariantCulture)}.");
        return 1;
    }
    return 0;
}

// The token-level confusion of entity types and, per type, the true, predicted and right names (exact spans).
static (ConfusionMatrix Tokens, (long Actual, long Predicted, long Right)[] Spans) Evaluate(TokenTrainer trainer, int[][] ids, int[][] tags)
{
    const int K = 9;
    var tokens = new ConfusionMatrix(NerCorpus.Types);
    var spans = new (long Actual, long Predicted, long Right)[NerCorpus.Types.Length];
    int[] predicted = new int[TaggerModel.MaxWords];
    trainer.Predict(ids, (first, batch, logits) =>
    {
        for (int r = 0; r < batch.Rows; r++)
        {
            int[] truth = tags[first + r];
            for (int i = 0; i < batch.Lengths[r]; i++)
            {
                predicted[i] = Sampling.ArgMax(logits.Slice((r * batch.Length + i) * K, K));
                tokens.Add(NerCorpus.TypeOf(truth[i]), NerCorpus.TypeOf(predicted[i]));
            }
            var expected = Spans(truth.AsSpan(0, batch.Lengths[r]));
            var found = Spans(predicted.AsSpan(0, batch.Lengths[r]));
            foreach (var span in expected) spans[span.Type].Actual++;
            foreach (var span in found)
            {
                spans[span.Type].Predicted++;
                if (expected.Contains(span)) spans[span.Type].Right++;
            }
        }
    });
    return (tokens, spans);
}

// The names of a tag sequence as conlleval reads BIO: B-X starts one, I-X goes on with a name of type X and otherwise
// starts one.
static HashSet<(int Start, int End, int Type)> Spans(ReadOnlySpan<int> tags)
{
    var spans = new HashSet<(int, int, int)>();
    int start = -1, type = 0;
    for (int i = 0; i <= tags.Length; i++)
    {
        int tag = i < tags.Length ? tags[i] : 0, kind = NerCorpus.TypeOf(tag);
        bool continues = tag != 0 && tag % 2 == 0 && kind == type;
        if (continues) continue;
        if (type != 0) spans.Add((start, i, type));
        (start, type) = tag == 0 ? (-1, 0) : (i, kind);
    }
    return spans;
}

// "[PER Ingrid Mensah] flew to [LOC Quito] ."
static string Bracket(string[] words, ReadOnlySpan<int> tags)
{
    var text = new StringBuilder();
    var spans = Spans(tags).ToDictionary(s => s.Start);
    for (int i = 0; i < words.Length; i++)
    {
        if (text.Length > 0) text.Append(' ');
        if (spans.TryGetValue(i, out var span))
        {
            text.Append('[').Append(NerCorpus.Types[span.Type]).Append(' ').AppendJoin(' ', words[span.Start..span.End]).Append(']');
            i = span.End - 1;
        }
        else
        {
            text.Append(words[i]);
        }
    }
    return text.ToString();
}

// A sentence's token ids (every generated sentence fits the model's longest).
static int[] Encode(Vocabulary vocabulary, string[] words)
{
    int[] ids = new int[Math.Min(words.Length, TaggerModel.MaxWords)];
    vocabulary.Encode(words.AsSpan(0, ids.Length), ids);
    return ids;
}
