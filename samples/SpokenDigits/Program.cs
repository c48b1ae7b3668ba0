// SpokenDigits: a bidirectional GRU compiled by Unroll learns to write down spoken digit strings ("four two seven")
// character by character with CTC, from 140 clips of 14 synthetic voices, and is scored on 60 clips of 6 other voices.
//
//     dotnet run --project samples/SpokenDigits -c Release                 train, decode the held-out clips, score
//     dotnet run --project samples/SpokenDigits -c Release -- --help       the options
//
// Each clip becomes a log-power spectrogram (10 ms frames, 129 bins, standardised per bin with the training clips'
// statistics); a convolution over 5 frames every 2 and BatchNorm start the model, which gives 17 scores every 20 ms (the
// CTC blank, space and 15 letters).
// Training draws 16 clips a step with random speed, gain, noise and spectrogram masks, and minimises the CTC loss with
// Adam. The held-out clips are decoded greedily and by prefix beam search; the character and word error rates and a
// few transcripts are printed. The weights, the feature scaling and the loss curve go to runs/SpokenDigits/.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using SpokenDigits;
using Unroll;
using Unroll.Samples;
using Unroll.Samples.Audio;

var steps = new Option<int>("--steps") { Description = "optimizer steps (16 clips each)", DefaultValueFactory = _ => 1500, HelpName = "N" }.Positive();
var learningRate = new Option<float>("--lr") { Description = "Adam's learning rate", DefaultValueFactory = _ => 3e-3f, HelpName = "RATE" }.Positive();
var seed = new Option<int>("--seed") { Description = "seed of the initialisation and the augmentation", DefaultValueFactory = _ => 1, HelpName = "N" };
var beam = new Option<int>("--beam") { Description = "width of the prefix beam search", DefaultValueFactory = _ => 8, HelpName = "N" }.Positive();
var output = new Option<string>("--output") { Description = "folder for the weights, the feature scaling and the loss curve", DefaultValueFactory = _ => Path.Combine("runs", "SpokenDigits"), HelpName = "DIR" };
var clips = new Option<string>("--clips") { Description = "folder with the train/ and test/ clips", DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "clips"), HelpName = "DIR" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the held-out character error rate (greedy) ends above C (0 to 1)", HelpName = "C" };
var command = new RootCommand("""
    SpokenDigits: a bidirectional GRU learns spoken digit strings with CTC over characters, from 14 synthetic voices,
    and is scored on 6 others (character and word error rates, greedy and beam search decoding).
    Writes its weights, feature scaling and loss curve under runs/SpokenDigits/.
    """) { steps, learningRate, seed, beam, output, clips, require };
command.SetAction(result => Run(result.GetValue(steps), result.GetValue(learningRate), result.GetValue(seed), result.GetValue(beam),
    result.GetRequiredValue(output), result.GetRequiredValue(clips), result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(int steps, float learningRate, int seed, int beamWidth, string output, string clipFolder, double required)
{
    const int B = DigitsModel.BatchSize, C = Alphabet.Classes, W = Features.Bins;
    DigitClip[] train, test;
    try
    {
        (train, test) = (DigitClip.Load(Path.Combine(clipFolder, "train")), DigitClip.Load(Path.Combine(clipFolder, "test")));
    }
    catch (Exception e) when (e is IOException or InvalidDataException)
    {
        Console.Error.WriteLine(e.Message);   // a missing folder or transcript, or a file that is not 8 kHz 16-bit mono WAV
        return 1;
    }
    Console.WriteLine($"Clips: {train.Length} for training (14 voices), {test.Length} held out (6 other voices).");
    Console.WriteLine($"Features: {Spectrogram.Bins} log-power bins every 10 ms (25 ms Hann window, 256-point FFT); the convolution's window of {Features.Kernel} frames every {Features.Stride}: "
        + $"a step every 20 ms; CTC over {C} classes: blank, space, \"{Alphabet.Characters[2..]}\".");
    Console.WriteLine(DigitsModel.Summary());

    // The feature scaling: each bin's mean and standard deviation over the training clips as recorded.
    var spectrogram = new Spectrogram();
    var scaler = new FeatureScaler(Features.Bins);
    float[] clipFrames = new float[Features.MaxFrames * Features.Bins];
    foreach (DigitClip clip in train) scaler.Add(clipFrames.AsSpan(0, spectrogram.Compute(clip.Audio, clipFrames) * Features.Bins));
    scaler.Fit();

    // Buffers, allocated once: a batch's frames staged at the longest length, then packed to the batch's own length; per
    // row its frames (the model's input lengths) and its output steps (CTC's input lengths).
    float[] audio = new float[Features.MaxSamples], staged = new float[B * Features.MaxFrames * W], input = new float[staged.Length];
    float[] logits = new float[B * Features.MaxSteps * C], gradient = new float[logits.Length];
    int[] targets = new int[B * Features.MaxLabels], frameCounts = new int[B], inputLengths = new int[B], targetLengths = new int[B];
    var workspace = new CtcWorkspace(Features.MaxSteps, Features.MaxLabels);
    var model = new DigitsModel(seed);
    var adam = new Adam(DigitsModel.ParameterCount, learningRate);
    var augmenter = new Augmenter(unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 21));
    var order = new SeededRandom(unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 22));
    var greedy = CtcDecoder.Greedy(1, Features.MaxSteps, C, Alphabet.Blank);
    var beam = CtcDecoder.BeamSearch(1, Features.MaxSteps, C, beamWidth, Alphabet.Blank);
    var schedule = new CosineAnnealingLR(learningRate, steps);

    double[] losses = new double[steps], smoothed = new double[steps];
    int report = Math.Max(1, Math.Min(250, steps / 6));
    Console.WriteLine($"Training {steps} steps of {B} clips (Adam {learningRate.ToString(CultureInfo.InvariantCulture)} with cosine decay, clip 1.0).");
    var clock = Stopwatch.StartNew();
    Sample.Progress("Training", steps, task =>
    {
        double average = 0;
        for (int step = 1; step <= steps; step++)
        {
            for (int b = 0; b < B; b++)
            {
                DigitClip clip = train[order.NextUInt32() % (uint)train.Length];
                Span<float> frames = staged.AsSpan(b * Features.MaxFrames * W, Features.MaxFrames * W);
                int count = spectrogram.Compute(audio.AsSpan(0, augmenter.Audio(clip.Audio, audio)), frames);
                scaler.Apply(frames[..(count * W)]);
                augmenter.Mask(frames, count);
                (frameCounts[b], inputLengths[b]) = (count, Features.OutputSteps(count));
                targetLengths[b] = Alphabet.Encode(clip.Text, targets.AsSpan(b * Features.MaxLabels, Features.MaxLabels));
            }
            int length = Pack(B, frameCounts), outputSteps = Features.OutputSteps(length);
            Span<float> batchLogits = logits.AsSpan(0, B * outputSteps * C), batchGradient = gradient.AsSpan(0, B * outputSteps * C);
            model.Training = true;
            model.Forward(input.AsSpan(0, B * length * W), batchLogits, length, frameCounts);
            float loss = Loss.Ctc(batchLogits, targets, inputLengths, targetLengths, batchGradient, C, workspace, zeroInfinity: true);
            model.ZeroGradients();
            model.Backward(batchGradient);
            GradientClipping.ByNorm(model.Gradients, 1f);
            adam.LearningRate = schedule.LearningRate(step - 1);
            adam.Step(model.Parameters, model.Gradients);

            average = step == 1 ? loss : 0.98 * average + 0.02 * loss;
            (losses[step - 1], smoothed[step - 1]) = (loss, average);
            task.Description = $"Training, CTC loss {average:F3}";
            task.Increment(1);
            if (step % report == 0 || step == steps)
            {
                var (cer, _, _) = Evaluate(greedy, null);
                double perStep = clock.Elapsed.TotalSeconds / step;
                AnsiConsole.WriteLine($"step {step,5}  loss {average:F3}  held-out CER (greedy) {cer:P1}  {perStep * 1000:F0} ms/step  {TimeSpan.FromSeconds(perStep * (steps - step)):m\\:ss} left");
            }
        }
    });
    Console.WriteLine($"Trained in {clock.Elapsed:m\\:ss}.");

    Sample.Write(Path.Combine(output, "digits.safetensors"), "the trained weights", model.SaveSafetensors);
    Sample.Write(Path.Combine(output, "features.safetensors"), "each bin's mean and standard deviation", scaler.Save);
    double[] x = Enumerable.Range(1, steps).Select(step => (double)step).ToArray();
    Sample.Write(Path.Combine(output, "loss.png"), "the loss curve", path => Plots.Lines(path,
        "SpokenDigits: training loss", "step", "CTC loss (nats per character)", ("batch", x, losses), ("moving average (0.98)", x, smoothed)));

    // The held-out voices, decoded both ways.
    string[] greedyTexts = new string[test.Length], beamTexts = new string[test.Length];
    var (greedyCer, greedyWer, greedyExact) = Evaluate(greedy, greedyTexts);
    var (beamCer, beamWer, beamExact) = Evaluate(beam, beamTexts);
    Console.WriteLine();
    Console.WriteLine("Some held-out clips, decoded:");
    var examples = new Table();
    foreach (string header in (string[])["said", "greedy", "beam search"]) examples.AddColumn(new TableColumn(new Text(header)));
    for (int i = 0; i < test.Length; i += test.Length / 8) examples.Row(test[i].Text, greedyTexts[i], beamTexts[i]);
    AnsiConsole.Write(examples);
    Console.WriteLine($"Held-out clips ({test.Length}, voices never heard in training):");
    var scores = Sample.Table("decoding", "CER", "WER", "clips exactly right");
    scores.Row("greedy", $"{greedyCer:P1}", $"{greedyWer:P1}", $"{greedyExact}/{test.Length}");
    scores.Row($"prefix beam search (width {beamWidth})", $"{beamCer:P1}", $"{beamWer:P1}", $"{beamExact}/{test.Length}");
    AnsiConsole.Write(scores);

    if (required > 0 && greedyCer > required)
    {
        Console.WriteLine($"The held-out character error rate {greedyCer:P1} is above the required {required:P1}.");
        return 1;
    }
    return 0;

    // Packs the staged rows (each at the longest length) into [rows, length, W] for the batch's own longest length.
    int Pack(int rows, ReadOnlySpan<int> lengths)
    {
        int length = 0;
        for (int b = 0; b < rows; b++) length = Math.Max(length, lengths[b]);
        for (int b = 0; b < rows; b++) staged.AsSpan(b * Features.MaxFrames * W, length * W).CopyTo(input.AsSpan(b * length * W));
        return length;
    }

    // Corpus CER and WER (edits over the references' characters or words) and the clips decoded exactly, in
    // evaluation mode (no dropout, BatchNorm with its running statistics); writes the transcripts when asked.
    (double Cer, double Wer, int Exact) Evaluate(CtcDecoder decoder, string[]? texts)
    {
        model.Training = false;
        long characterEdits = 0, characters = 0;
        double wordEdits = 0;
        int words = 0, exact = 0;
        for (int first = 0; first < test.Length; first += B)
        {
            int rows = Math.Min(B, test.Length - first);
            for (int b = 0; b < rows; b++)
            {
                Span<float> frames = staged.AsSpan(b * Features.MaxFrames * W, Features.MaxFrames * W);
                int count = spectrogram.Compute(test[first + b].Audio, frames);
                scaler.Apply(frames[..(count * W)]);
                (frameCounts[b], inputLengths[b]) = (count, Features.OutputSteps(count));
            }
            int length = Pack(rows, frameCounts), outputSteps = Features.OutputSteps(length);
            model.Forward(input.AsSpan(0, rows * length * W), logits.AsSpan(0, rows * outputSteps * C), length, frameCounts.AsSpan(0, rows));
            for (int b = 0; b < rows; b++)
            {
                decoder.Decode(logits.AsSpan(b * outputSteps * C, outputSteps * C), inputLengths.AsSpan(b, 1));
                string said = test[first + b].Text, heard = Alphabet.Decode(decoder.Labels(0));
                int referenceWords = said.Split(' ').Length;
                characterEdits += (long)Math.Round(Metrics.CharacterErrorRate(heard, said) * said.Length);
                characters += said.Length;
                wordEdits += Math.Round(Metrics.WordErrorRate(heard, said) * referenceWords);
                words += referenceWords;
                if (heard == said) exact++;
                if (texts is not null) texts[first + b] = heard;
            }
        }
        model.Training = true;
        return (characterEdits / (double)characters, wordEdits / words, exact);
    }
}
