// TriggerWord: a GRU model compiled by Unroll hears the word "activate" in 5 s of noisy audio, as the trigger-word
// assignment of Andrew Ng's sequence-models course does, then listens to held-out audio as a device would, 10 ms at a time.
//
//     dotnet run --project samples/TriggerWord -c Release                 train, save, stream the held-out mixes, score
//     dotnet run --project samples/TriggerWord -c Release -- --help       the options
//
// The training set is made while training: every batch mixes fresh 5 s stretches of the training backgrounds with 0 to
// 4 "activate" clips and 0 to 2 other words (clips/train, 14 voices) at random positions and gains. The labels are 1 for
// the 360 ms after the end of each "activate" (binary cross-entropy per 40 ms output step). The trained weights (with the
// BatchNorms' running statistics) and the feature scaling are saved under runs/TriggerWord/; TriggerDetector, the
// inference-only model, loads them and streams 100 held-out mixes (clips/test: 6 other voices, other backgrounds) sample
// by sample: a spectrogram frame and a model Step every 10 ms, a score on every 4th frame (the Steps that return true).
// It prints where the trigger fired in one mix, the precision, recall and F1 of the detections, and what streaming costs.

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
var positiveWeight = new Option<float>("--pos-weight") { Description = "weight of a labelled step against an unlabelled one (pos_weight)", DefaultValueFactory = _ => 5f, HelpName = "W" }.Positive();
var require = new Option<double>("--require") { Description = "exit with status 1 if the held-out F1 ends below F (0 to 1)", HelpName = "F" };
var command = new RootCommand("""
    TriggerWord: a GRU model hears "activate" in noisy audio. Trains on mixes of the training voices, then streams
    held-out mixes (other voices, other backgrounds) through the inference-only model and scores its detections.
    Writes its weights, feature scaling and loss curve under runs/TriggerWord/.
    """) { steps, learningRate, seed, threshold, positiveWeight, output, clips, require };
command.SetAction(result => Run(result.GetValue(steps), result.GetValue(learningRate), result.GetValue(seed), result.GetValue(threshold),
    result.GetValue(positiveWeight), result.GetRequiredValue(output), result.GetRequiredValue(clips), result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(int steps, float learningRate, int seed, float threshold, float positive, string output, string clipFolder, double required)
{
    const int B = TriggerModel.BatchSize, F = Features.Frames, T = Features.Steps, Bins = Features.Bins, Rate = Spectrogram.SampleRate;
    const int TestMixes = 100, RefractorySteps = 15;   // after firing, the detector waits 600 ms
    float[] positiveWeight = [positive];                // a labelled step weighs as much as `positive` others (pos_weight)
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
    Console.WriteLine($"Features: {Bins} log-power bins every 10 ms (25 ms Hann window, 256-point FFT), {F} frames per {Features.Seconds} s mix; "
        + $"the convolution's {T} output steps of 40 ms; labels 1 for {Features.LabelSteps} steps ({Features.LabelSteps * 40} ms) after each \"activate\" ends.");
    Console.WriteLine(TriggerModel.Summary());

    // Buffers, allocated once: a batch of mixes, their standardised spectrograms (the model's input) and the labels and
    // logits of the output steps.
    var spectrogram = new Spectrogram();
    float[] audio = new float[Features.Samples], input = new float[B * F * Bins];
    float[] labels = new float[B * T], logits = new float[B * T], gradient = new float[B * T];
    var ends = new List<int>();

    // The feature scaling: each bin's mean and standard deviation over 64 training mixes (not the ones trained on).
    var scaler = new FeatureScaler(Bins);
    var scalingMixes = new TriggerMixer(train, unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 11));
    for (int i = 0; i < 64; i++)
    {
        scalingMixes.Next(audio, ends);
        scaler.Add(input.AsSpan(0, spectrogram.Compute(audio, input) * Bins));
    }
    scaler.Fit();

    // Training: every step a batch of 16 fresh mixes, binary cross-entropy per output step, Adam, clipping; the
    // BatchNorms normalise with each batch's statistics and keep running ones for evaluation and streaming.
    var model = new TriggerModel(seed) { Training = true };
    var adam = new Adam(TriggerModel.ParameterCount, learningRate);
    var schedule = new CosineAnnealingLR(learningRate, steps, learningRate / 20); // settles on the last steps' weights
    var mixer = new TriggerMixer(train, unchecked((ulong)seed * 0x9E37_79B9_7F4A_7C15UL + 12));
    double[] losses = new double[steps], smoothed = new double[steps];
    int report = Math.Max(1, Math.Min(200, steps / 6));
    Console.WriteLine($"Training {steps} steps of {B} mixes (Adam {learningRate.ToString(CultureInfo.InvariantCulture)}, cosine to a 20th, clip 1.0).");
    var clock = Stopwatch.StartNew();
    Sample.Progress("Training", steps, task =>
    {
        double average = 0;
        for (int step = 1; step <= steps; step++)
        {
            for (int b = 0; b < B; b++)
            {
                mixer.Next(audio, ends);
                Features.Compute(spectrogram, scaler, audio, input.AsSpan(b * F * Bins, F * Bins));
                Features.Label(ends, labels.AsSpan(b * T, T));
            }
            model.Forward(input, logits);
            float loss = Loss.BinaryCrossEntropyWithLogits(logits, labels, gradient, positiveWeight: positiveWeight);
            model.ZeroGradients();
            model.Backward(gradient);
            GradientClipping.ByNorm(model.Gradients, 1f);
            schedule.Apply(adam, step - 1);
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
    var deviceScaler = new FeatureScaler(Bins);
    deviceScaler.Load(scaling);
    var stream = new StreamingFeatures(deviceScaler);
    float[] frame = new float[Bins], stepLogit = new float[1];

    // The held-out mixes, streamed: a frame every 80 samples, one Step per frame; the frames whose Step returns true
    // give an output step's probability, kept and scored below at several thresholds.
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
            if (!stream.Push(sample, frame)) continue;
            long before = Stopwatch.GetTimestamp();
            bool scored = detector.Step(frame, stepLogit);
            stepTicks += Stopwatch.GetTimestamp() - before;
            if (scored) probabilities[m * T + step++] = 1 / (1 + MathF.Exp(-stepLogit[0]));
        }
        streamTicks += Stopwatch.GetTimestamp() - start;
        if (step != T) throw new InvalidOperationException($"The stream gave {step} scores, not {T}.");
    }
    double perFrame = streamTicks * 1e6 / Stopwatch.Frequency / (TestMixes * F);
    double stepPerFrame = stepTicks * 1e6 / Stopwatch.Frequency / (TestMixes * F);

    // One fresh held-out mix (with two or more triggers): where the words end and where the trigger fired; and the
    // streamed logits, frame by frame, against the output steps of the trained model's Forward (evaluation mode: the
    // BatchNorms' running statistics) over the whole mix. Output step s must come from frame 4s + 14.
    do heldOut.Next(audio, ends); while (ends.Count < 2);   // one with something to find
    var fired = new List<int>();
    var once = new Detector(threshold, RefractorySteps);
    float[] streamed = new float[T];
    int scoredSteps = 0, misplaced = 0;
    detector.ResetState();
    stream.Reset();
    for (int i = 0, f = 0; i < audio.Length; i++)
    {
        if (!stream.Push(audio[i], frame)) continue;
        if (detector.Step(frame, stepLogit))
        {
            if (scoredSteps >= T || Features.LastFrame(scoredSteps) != f) misplaced++;
            else streamed[scoredSteps] = stepLogit[0];
            if (once.Fires(scoredSteps, 1 / (1 + MathF.Exp(-stepLogit[0])))) fired.Add(Spectrogram.FrameEnd(f));
            scoredSteps++;
        }
        f++;
    }
    model.Training = false;
    Features.Compute(spectrogram, scaler, audio, input.AsSpan(0, F * Bins));
    model.Forward(input.AsSpan(0, F * Bins), logits.AsSpan(0, T));
    float largest = 0;
    for (int s = 0; s < T; s++) largest = MathF.Max(largest, MathF.Abs(streamed[s] - logits[s]));
    Console.WriteLine();
    Console.WriteLine($"A fresh held-out mix: \"activate\" ends at {Seconds(ends)}; the trigger fired at {Seconds(fired)} (threshold {threshold.ToString(CultureInfo.InvariantCulture)}).");
    Console.WriteLine($"Streamed, one Step per frame: {scoredSteps} of {F} frames gave a score ({misplaced} at another frame than Forward's step); "
        + $"largest difference from the trained model's Forward over the mix ({T} output steps): {largest:G3}.");
    if (scoredSteps != T || misplaced != 0) throw new InvalidOperationException("The stream's scores are not Forward's output steps.");

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
    Console.WriteLine($"Streaming cost: {perFrame:F1} µs per 10 ms frame (spectrogram, scaling and the model's Step), of which the model's Step "
        + $"{stepPerFrame:F1} µs (TriggerDetector, batch 1; a score on every 4th frame).");

    if (chosenF1 < required)
    {
        Console.WriteLine($"The held-out F1 {chosenF1:F3} is below the required {required:F3}.");
        return 1;
    }
    return 0;

    static string Seconds(List<int> samples) =>
        samples.Count == 0 ? "(none)" : string.Join(", ", samples.Select(s => (s / (double)Rate).ToString("0.00 s", CultureInfo.InvariantCulture)));
}
