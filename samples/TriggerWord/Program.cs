// TriggerWord: a GRU model compiled by Unroll hears the word "activate" in 5 s of noisy audio, as the trigger-word
// assignment of Andrew Ng's sequence-models course does, then listens to held-out audio as a device would, 10 ms at a time.
//
//     dotnet run --project samples/TriggerWord -c Release                 train, save, stream the held-out mixes, score
//     dotnet run --project samples/TriggerWord -c Release -- --help       the options
//
// The training set is made while training: every batch mixes fresh 5 s stretches of the training backgrounds with 0 to
// 4 "activate" clips and 0 to 2 other words (clips/train, 14 voices) at random positions and gains. The labels are 1 for
// the 360 ms after the end of each "activate" (binary cross-entropy per 40 ms step). The trained weights and the
// feature scaling are saved under runs/TriggerWord/; TriggerDetector, the inference-only model, loads them and streams
// 100 held-out mixes (clips/test: 6 other voices, other backgrounds) sample by sample: a spectrogram frame every 10 ms,
// a model Step every 40 ms. It prints where the trigger fired in one mix, the precision, recall and F1 of the
// detections, and what streaming costs.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using TriggerWord;
using Unroll;
using Unroll.Samples;
using Unroll.Samples.Audio;

var steps = new Option<int>("--steps") { Description = "optimizer steps (16 fresh mixes each)", DefaultValueFactory = _ => 1200, HelpName = "N" }.Positive();
var learningRate = new Option<float>("--lr") { Description = "Adam's learning rate", DefaultValueFactory = _ => 2e-3f, HelpName = "RATE" }.Positive();
var seed = new Option<int>("--seed") { Description = "seed of the initialisation and the mixes", DefaultValueFactory = _ => 1, HelpName = "N" };
var threshold = new Option<float>("--threshold") { Description = "probability at which the trigger fires", DefaultValueFactory = _ => 0.5f, HelpName = "P" }.Positive();
var output = new Option<string>("--output") { Description = "folder for the weights, the feature scaling and the loss curve", DefaultValueFactory = _ => Path.Combine("runs", "TriggerWord"), HelpName = "DIR" };
var clips = new Option<string>("--clips") { Description = "folder with the train/ and test/ clips", DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "clips"), HelpName = "DIR" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the held-out F1 ends below F (0 to 1)", HelpName = "F" };
var command = new RootCommand("""
    TriggerWord: a GRU model hears "activate" in noisy audio. Trains on mixes of the training voices, then streams
    held-out mixes (other voices, other backgrounds) through the inference-only model and scores its detections.
    Writes its weights, feature scaling and loss curve under runs/TriggerWord/.
    """) { steps, learningRate, seed, threshold, output, clips, require };
command.SetAction(result => Run(result.GetValue(steps), result.GetValue(learningRate), result.GetValue(seed), result.GetValue(threshold),
    result.GetRequiredValue(output), result.GetRequiredValue(clips), result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(int steps, float learningRate, int seed, float threshold, string output, string clipFolder, double required)
{
    const int B = TriggerModel.BatchSize, T = Features.Steps, Rate = Spectrogram.SampleRate;
    const int TestMixes = 100, RefractorySteps = 15;   // after firing, the detector waits 600 ms
    float[] positiveWeight = [3f];                      // a labelled step weighs as much as 3 others (pos_weight)
    ClipSet train, test;
    try
    {
        (train, test) = (ClipSet.Load(Path.Combine(clipFolder, "train")), ClipSet.Load(Path.Combine(clipFolder, "test")));
    }
    catch (Exception e) when (e is IOException or InvalidDataException)
    {
        Console.Error.WriteLine(e.Message);   // a missing folder, or a file that is not 8 kHz 16-bit mono WAV
        return 1;
    }
    Console.WriteLine($"Clips: {train.Activates.Length} \"activate\", {train.Negatives.Length} other words, {train.Backgrounds.Length} backgrounds for training; "
        + $"{test.Activates.Length}, {test.Negatives.Length} and {test.Backgrounds.Length} held out (other voices).");
    Console.WriteLine($"Features: {Spectrogram.Bins} log-power bins every 10 ms (25 ms Hann window, 256-point FFT), 15 frames stacked every 4: "
        + $"{T} steps of 40 ms per {Features.Seconds} s mix; labels 1 for {Features.LabelSteps} steps ({Features.LabelSteps * 40} ms) after each \"activate\" ends.");
    Console.WriteLine(TriggerModel.Summary());

    // Buffers, allocated once: a batch of mixes, their spectrograms, the stacked model input and the per-step labels.
    var spectrogram = new Spectrogram();
    float[] audio = new float[Features.Samples], frames = new float[Features.Frames * Features.Bins];
    float[] input = new float[B * T * Features.Width], labels = new float[B * T], logits = new float[B * T], gradient = new float[B * T];
    var ends = new List<int>();

    // The feature scaling: each bin's mean and standard deviation over 64 training mixes (not the ones trained on).
    var scaler = new FeatureScaler(Features.Bins);
    var scalingMixes = new TriggerMixer(train, unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 11));
    for (int i = 0; i < 64; i++)
    {
        scalingMixes.Next(audio, ends);
        scaler.Add(frames.AsSpan(0, spectrogram.Compute(audio, frames) * Features.Bins));
    }
    scaler.Fit();

    // Training: every step a batch of 16 fresh mixes, binary cross-entropy per step, Adam, clipping.
    var model = new TriggerModel(seed);
    var adam = new Adam(TriggerModel.ParameterCount, learningRate);
    var mixer = new TriggerMixer(train, unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 12));
    double[] losses = new double[steps], smoothed = new double[steps];
    int report = Math.Max(1, Math.Min(200, steps / 6));
    Console.WriteLine($"Training {steps} steps of {B} mixes (Adam {learningRate.ToString(CultureInfo.InvariantCulture)}, clip 1.0).");
    var clock = Stopwatch.StartNew();
    Sample.Progress("Training", steps, task =>
    {
        double average = 0;
        for (int step = 1; step <= steps; step++)
        {
            for (int b = 0; b < B; b++)
            {
                mixer.Next(audio, ends);
                Features.Compute(spectrogram, scaler, audio, frames, input.AsSpan(b * T * Features.Width, T * Features.Width));
                Features.Label(ends, labels.AsSpan(b * T, T));
            }
            model.Forward(input, logits);
            float loss = Loss.BinaryCrossEntropyWithLogits(logits, labels, gradient, positiveWeight: positiveWeight);
            model.ZeroGradients();
            model.Backward(gradient);
            GradientClipping.ByNorm(model.Gradients, 1f);
            adam.Step(model.Parameters, model.Gradients);

            average = step == 1 ? loss : 0.98 * average + 0.02 * loss;
            (losses[step - 1], smoothed[step - 1]) = (loss, average);
            task.Description = $"Training, loss {average:F4}";
            task.Increment(1);
            if (step % report == 0 || step == steps)
            {
                double perStep = clock.Elapsed.TotalSeconds / step;
                AnsiConsole.WriteLine($"step {step,5}  loss {average:F4}  {perStep * 1000:F0} ms/step  {TimeSpan.FromSeconds(perStep * (steps - step)):m\\:ss} left");
            }
        }
    });
    Console.WriteLine($"Trained in {clock.Elapsed:m\\:ss}.");

    string weights = Path.Combine(output, "trigger.safetensors"), scaling = Path.Combine(output, "features.safetensors");
    Sample.Write(weights, "the trained weights", model.SaveSafetensors);
    Sample.Write(scaling, "each bin's mean and standard deviation", scaler.Save);
    double[] x = Enumerable.Range(1, steps).Select(step => (double)step).ToArray();
    Sample.Write(Path.Combine(output, "loss.png"), "the loss curve", path => Plots.Lines(path,
        "TriggerWord: training loss", "step", "binary cross-entropy per 40 ms step", ("batch", x, losses), ("moving average (0.98)", x, smoothed)));

    // Deployment: the inference-only model and the scaling, read back from the files, fed one sample at a time.
    var detector = new TriggerDetector();
    detector.LoadSafetensors(weights);
    var deviceScaler = new FeatureScaler(Features.Bins);
    deviceScaler.Load(scaling);
    var stream = new StreamingFeatures(deviceScaler, Features.Kernel, Features.Stride);
    float[] stacked = new float[stream.Width], stepLogit = new float[1];

    // The held-out mixes, streamed: each step's probability is kept and scored below at several thresholds.
    var heldOut = new TriggerMixer(test, unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 13));
    var testEnds = new List<int>[TestMixes];
    float[] probabilities = new float[TestMixes * T];
    long streamTicks = 0, stepTicks = 0;
    for (int m = 0; m < TestMixes; m++)
    {
        heldOut.Next(audio, testEnds[m] = []);
        long start = Stopwatch.GetTimestamp();
        detector.ResetState();
        stream.Reset();
        int step = 0;
        foreach (float sample in audio)
        {
            if (!stream.Push(sample, stacked)) continue;
            long before = Stopwatch.GetTimestamp();
            detector.Step(stacked, stepLogit);
            stepTicks += Stopwatch.GetTimestamp() - before;
            probabilities[m * T + step++] = 1 / (1 + MathF.Exp(-stepLogit[0]));
        }
        streamTicks += Stopwatch.GetTimestamp() - start;
    }
    double perFrame = streamTicks * 1e6 / Stopwatch.Frequency / (TestMixes * Features.Frames);
    double perStep = stepTicks * 1e6 / Stopwatch.Frequency / (TestMixes * T);

    // One fresh held-out mix (with two or more triggers): where the words end and where the trigger fired; and the streamed logits against the
    // trained model's Forward over the whole mix.
    do heldOut.Next(audio, ends); while (ends.Count < 2);   // one with something to find
    var fired = new List<int>();
    var once = new Detector(threshold, RefractorySteps);
    float[] streamed = new float[T];
    detector.ResetState();
    stream.Reset();
    for (int i = 0, step = 0; i < audio.Length; i++)
    {
        if (!stream.Push(audio[i], stacked)) continue;
        detector.Step(stacked, stepLogit);
        streamed[step] = stepLogit[0];
        if (once.Fires(step, 1 / (1 + MathF.Exp(-stepLogit[0])))) fired.Add(Features.StepEnd(step));
        step++;
    }
    model.Training = false;
    Features.Compute(spectrogram, scaler, audio, frames, input.AsSpan(0, T * Features.Width));
    model.Forward(input.AsSpan(0, T * Features.Width), logits.AsSpan(0, T));
    float largest = 0;
    for (int s = 0; s < T; s++) largest = MathF.Max(largest, MathF.Abs(streamed[s] - logits[s]));
    Console.WriteLine();
    Console.WriteLine($"A fresh held-out mix: \"activate\" ends at {Seconds(ends)}; the trigger fired at {Seconds(fired)} (threshold {threshold.ToString(CultureInfo.InvariantCulture)}).");
    Console.WriteLine($"Largest difference between the streamed logits and the trained model's Forward over the mix: {largest:G3}.");

    // Scores at several thresholds: a detection is correct from 0.1 s before to 0.6 s after a true trigger's end.
    Console.WriteLine();
    Console.WriteLine($"Held-out detections in {TestMixes} mixes of {Features.Seconds} s ({testEnds.Sum(e => e.Count)} \"activate\"; correct from {Scoring.Before} s before to {Scoring.After} s after a word's end; refractory {RefractorySteps * 40} ms):");
    var table = Sample.Table("threshold", "detections", "correct", "false alarms", "missed", "precision", "recall", "F1");
    double chosenF1 = 0;
    foreach (float level in new[] { 0.3f, 0.5f, 0.7f, threshold }.Distinct().Order())
    {
        var detections = new List<int>();
        var levelDetector = new Detector(level, RefractorySteps);
        int hits = 0, falseAlarms = 0, misses = 0;
        for (int m = 0; m < TestMixes; m++)
        {
            detections.Clear();
            levelDetector.Reset();
            for (int s = 0; s < T; s++) if (levelDetector.Fires(s, probabilities[m * T + s])) detections.Add(Features.StepEnd(s));
            var (h, f, missed) = Scoring.Match(testEnds[m], detections, Rate);
            (hits, falseAlarms, misses) = (hits + h, falseAlarms + f, misses + missed);
        }
        var (precision, recall, f1) = Scoring.Rates(hits, falseAlarms, misses);
        if (level == threshold) chosenF1 = f1;
        table.Row(level.ToString("0.0#", CultureInfo.InvariantCulture), $"{hits + falseAlarms}", $"{hits}", $"{falseAlarms}", $"{misses}", $"{precision:P1}", $"{recall:P1}", $"{f1:F3}");
    }
    AnsiConsole.Write(table);
    Console.WriteLine($"Streaming cost: {perFrame:F1} µs per 10 ms frame (spectrogram, scaling and model), of which the model's Step "
        + $"{perStep:F1} µs per 40 ms step (TriggerDetector, batch 1).");

    if (chosenF1 < required)
    {
        Console.WriteLine($"The held-out F1 {chosenF1:F3} is below the required {required:F3}.");
        return 1;
    }
    return 0;

    static string Seconds(List<int> samples) =>
        samples.Count == 0 ? "(none)" : string.Join(", ", samples.Select(s => (s / (double)Rate).ToString("0.00 s", CultureInfo.InvariantCulture)));
}
