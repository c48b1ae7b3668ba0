using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Unroll.Samples.Language;

/// <summary>What <see cref="TokenTrainer.Predict"/> hands over per batch: the index of its first sentence, the batch and the model's scores.</summary>
internal delegate void BatchScores(int first, TokenBatch batch, ReadOnlySpan<float> logits);

/// <summary>
/// Trains a token model one epoch at a time, as the text samples do: shuffled batches padded to their longest sentence
/// with each row's length passed to <c>Forward</c> (the last batch of an epoch smaller), word dropout, cross-entropy
/// over the rows that are not ignored, gradient clipping at norm 1 and Adam; and runs it over sentences for scoring.
/// The model's output is either a score row per word (<paramref name="perWord"/>, a tagger) or one per sentence.
/// </summary>
internal sealed class TokenTrainer(ISequenceModel<int> model, int classes, bool perWord, int maxLength, float learningRate,
    double wordDropout, int unknownId, int seed)
{
    private readonly Adam _adam = new(model.Parameters.Length, learningRate);
    private readonly TokenBatch _batch = new(model.BatchSize, maxLength);
    private readonly float[] _logits = new float[model.BatchSize * (perWord ? maxLength : 1) * classes];
    private readonly float[] _gradient = new float[model.BatchSize * (perWord ? maxLength : 1) * classes];
    private readonly int[] _labels = new int[model.BatchSize];
    private readonly Random _random = new(seed);
    private readonly List<double> _losses = [], _epochLosses = [];

    /// <summary>The loss of every batch so far.</summary>
    public IReadOnlyList<double> Losses => _losses;

    /// <summary>Each epoch's mean batch loss.</summary>
    public IReadOnlyList<double> EpochLosses => _epochLosses;

    /// <summary>The optimizer's description for the log.</summary>
    public string Optimizer => $"Adam {learningRate.ToString(CultureInfo.InvariantCulture)}, clip 1.0, word dropout {wordDropout.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// One epoch over the sentences (token ids) with their targets: a tag per word (<paramref name="tags"/>) for a
    /// per-word model, a class per sentence (<paramref name="labels"/>) otherwise. Returns the mean batch loss.
    /// </summary>
    public double Epoch(IReadOnlyList<int[]> sentences, IReadOnlyList<int[]>? tags, IReadOnlyList<int>? labels)
    {
        int[] order = [.. Enumerable.Range(0, sentences.Count)];
        _random.Shuffle(order);
        model.Training = true;
        double sum = 0;
        int batches = 0;
        for (int start = 0; start < order.Length; start += model.BatchSize, batches++)
        {
            int rows = Math.Min(model.BatchSize, order.Length - start);
            _batch.Fill(sentences, order.AsSpan(start, rows), tags);
            _batch.DropWords(_random, wordDropout, unknownId);
            ReadOnlySpan<int> targets = _batch.Targets;
            if (!perWord)
            {
                for (int r = 0; r < rows; r++) _labels[r] = labels![order[start + r]];
                targets = _labels.AsSpan(0, rows);
            }
            int n = targets.Length * classes;
            model.Forward(_batch.Ids, _logits.AsSpan(0, n), _batch.Length, _batch.Lengths);
            float loss = Loss.CrossEntropy(_logits.AsSpan(0, n), targets, _gradient.AsSpan(0, n), classes, ignoreIndex: TokenBatch.Ignore);
            model.ZeroGradients();
            model.Backward(_gradient.AsSpan(0, n));
            GradientClipping.ByNorm(model.Gradients, 1f);
            _adam.Step(model.Parameters, model.Gradients);
            _losses.Add(loss);
            sum += loss;
        }
        _epochLosses.Add(sum / batches);
        return sum / batches;
    }

    /// <summary>
    /// <paramref name="epochs"/> epochs (as <see cref="Epoch"/>) under a progress bar, then "Trained in m:ss.f". After
    /// each epoch <paramref name="report"/> gets its number and mean loss and returns a line to print, or null.
    /// </summary>
    public void Train(int epochs, IReadOnlyList<int[]> sentences, IReadOnlyList<int[]>? tags, IReadOnlyList<int>? labels,
        Func<int, double, string?> report)
    {
        var clock = Stopwatch.StartNew();
        Sample.Progress("Training", epochs, task =>
        {
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                double loss = Epoch(sentences, tags, labels);
                task.Description = $"Training, loss {loss:F4}";
                task.Increment(1);
                if (report(epoch, loss) is { } line) AnsiConsole.WriteLine(line);
            }
        });
        Console.WriteLine($"Trained in {clock.Elapsed:m\\:ss\\.f}.");
    }

    /// <summary>Runs the model over the sentences a batch at a time with dropout off, handing each batch's scores to <paramref name="visit"/>.</summary>
    public void Predict(IReadOnlyList<int[]> sentences, BatchScores visit)
    {
        int[] order = [.. Enumerable.Range(0, sentences.Count)];
        model.Training = false;
        for (int start = 0; start < order.Length; start += model.BatchSize)
        {
            int rows = Math.Min(model.BatchSize, order.Length - start);
            _batch.Fill(sentences, order.AsSpan(start, rows));
            int n = rows * (perWord ? _batch.Length : 1) * classes;
            model.Forward(_batch.Ids, _logits.AsSpan(0, n), _batch.Length, _batch.Lengths);
            visit(start, _batch, _logits.AsSpan(0, n));
        }
    }

    /// <summary>Writes the loss of every batch and each epoch's mean against the epoch.</summary>
    public void WriteLossCurve(string path, string title, string yLabel)
    {
        double batchesPerEpoch = (double)_losses.Count / _epochLosses.Count;
        double[] x = [.. Enumerable.Range(1, _losses.Count).Select(step => step / batchesPerEpoch)];
        double[] epochs = [.. Enumerable.Range(1, _epochLosses.Count).Select(e => (double)e)];
        Plots.Lines(path, title, "epoch", yLabel, ("batch", x, [.. _losses]), ("epoch mean", epochs, [.. _epochLosses]));
    }
}
