// SineForecast: an LSTM, compiled by Unroll, learns to predict the next value of noisy sine waves.
//
// Every sequence is a sine with its own frequency, phase and amplitude, plus Gaussian noise. The
// model reads x[0..31] and, at every step t, predicts x[t+1] (many-to-many). After training it is
// compared on held-out sequences with the naive forecast "the next value equals the last one", and
// a batch-1 copy of the trained model then forecasts one test sequence step by step, as a device
// would see the values arrive.
//
// Last, SineForecaster, the deployable model, runs the test sequences on weights compiled into the program
// ([InferenceModel(typeof(SineLstm), Weights = "sine-forecast.safetensors")]: no file is read at run time). That file
// is this program's own training run, exported with --export; to make it anew, delete it, build (warning UNR0029: the
// deployable models wait for the file), run with --export, and build again. It streams them again with the step weights in bfloat16, half and int8
// ([Model(WeightPrecision = …)]) and prints the error each precision adds.
//
//     dotnet run --project samples/SineForecast -c Release
//     dotnet run --project samples/SineForecast -c Release -- --export samples/SineForecast/sine-forecast.safetensors
//
// It draws one test sequence's forecast against the truth in runs/SineForecast/forecast.png.
// The run is reproducible: the data, the shuffling and the initial weights all come from fixed seeds.
// It exits with code 1 if the trained or the compiled-in model does not clearly beat the naive forecast.

using System.CommandLine;
using System.Diagnostics;
using System.Numerics.Tensors;
using SineForecast;
using Spectre.Console;
using Unroll;
using Unroll.Samples;

const int Steps = SineLstm.SequenceLength;   // 32 inputs per sequence, 32 targets (shifted by one)
const int Batch = SineLstm.BatchSize;        // 16 sequences per training step
const int TrainSequences = 2048;             // 128 batches per epoch
const int TestSequences = 512;               // held out, never trained on
const int Epochs = 40;
const int ReportEvery = 5;
const float LearningRate = 0.5f;
const float NoiseStd = 0.05f;
const float RequiredImprovement = 2f;        // the model must be at least 2x better than the baseline

var export = new Option<string>("--export") { Description = "also save the trained weights to this safetensors file", HelpName = "FILE" };
var command = new RootCommand("SineForecast: an LSTM compiled by Unroll learns to predict the next value of noisy sine waves.") { export };
command.SetAction(result => Run(result.GetValue(export)));
return Sample.Invoke(command, args);

static int Run(string? exportPath)
{
    // ---- Data: each row holds Steps + 1 values; the input is values 0..Steps-1, the target 1..Steps.
    var dataRandom = new SeededRandom(2024);
    float[] train = NoisySines(TrainSequences, dataRandom);
    float[] test = NoisySines(TestSequences, dataRandom);

    // ---- Model and optimizer. Every buffer the training loop touches is allocated here, up front.
    var model = new SineLstm(seed: 7);
    var optimizer = new Sgd(SineLstm.ParameterCount, LearningRate);
    float[] input = new float[Batch * Steps];        // [batch, time, 1]
    float[] target = new float[Batch * Steps];       // [batch, time, 1]
    float[] prediction = new float[Batch * Steps];   // [batch, time, 1]
    float[] gradient = new float[Batch * Steps];     // ∂loss/∂prediction
    int[] order = new int[TrainSequences];
    for (int i = 0; i < order.Length; i++) order[i] = i;
    var shuffleRandom = new SeededRandom(99);

    Console.WriteLine($"SineForecast: LSTM(1 → 32), Linear(32 → 16), GELU, Linear(16 → 1): {SineLstm.ParameterCount:N0} parameters");
    Console.WriteLine($"{TrainSequences} training and {TestSequences} test sequences of {Steps} steps, noise σ = {NoiseStd}, SGD lr = {LearningRate}");
    Console.WriteLine();

    // ---- Training, under a progress bar; the allocations of the training steps alone are counted.
    var clock = Stopwatch.StartNew();
    long allocatedInTraining = 0;
    Sample.Progress("Training", Epochs, task =>
    {
        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            Shuffle(order, shuffleRandom);
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            double epochLoss = 0;
            for (int first = 0; first < TrainSequences; first += Batch)
            {
                Gather(train, order.AsSpan(first, Batch), input, target);
                model.Forward(input, prediction);
                epochLoss += Loss.MeanSquaredError(prediction, target, gradient);
                model.ZeroGradients();
                model.Backward(gradient);
                optimizer.Step(model.Parameters, model.Gradients);
            }
            allocatedInTraining += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

            double mse = epochLoss / (TrainSequences / Batch);
            task.Description = $"Training, train MSE {mse:F5}";
            task.Increment(1);
            if (epoch == 1 || epoch % ReportEvery == 0)
                AnsiConsole.WriteLine($"epoch {epoch,3}   train MSE {mse:F5}   ({clock.Elapsed.TotalSeconds:F1} s)");
        }
    });
    Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s; the training steps allocated {allocatedInTraining:N0} bytes.");
    if (exportPath is not null)
    {
        model.SaveSafetensors(exportPath);
        Console.WriteLine($"Exported the trained weights to {exportPath}; build again to compile them in.");
    }

    // ---- Evaluation on the held-out sequences, against the naive forecast x[t+1] ≈ x[t].
    double modelError = 0, naiveError = 0;
    for (int first = 0; first < TestSequences; first += Batch)
    {
        GatherRange(test, first, input, target);
        model.Forward(input, prediction);
        modelError += MeanSquaredError(prediction, target);
        naiveError += MeanSquaredError(input, target); // the input at step t is x[t]: "repeat the last value"
    }
    modelError /= TestSequences / Batch;
    naiveError /= TestSequences / Batch;

    // ---- Streaming: copy the weights into a batch-1 model and feed one test sequence a value at a time.
    // SineLstmStreaming takes SineLstm's layers ([InferenceModel]), so their parameter blocks have the same layout.
    var streaming = new SineLstmStreaming();
    model.Parameters.CopyTo(streaming.Parameters);
    streaming.ResetState();

    const int Sequence = 0; // the first test sequence, also row 0 of the first test batch
    GatherRange(test, 0, input, target);
    model.Forward(input, prediction); // the batched model's answer, to compare the streamed one with
    ReadOnlySpan<float> values = test.AsSpan(Sequence * (Steps + 1), Steps + 1);
    Span<float> stepInput = stackalloc float[1];
    Span<float> stepOutput = stackalloc float[1];
    float largestDifference = 0;
    double[] streamed = new double[Steps];

    Console.WriteLine();
    Console.WriteLine("Streaming one test sequence (ResetState, then one Step per value):");
    var forecast = Sample.Table("t", "x[t]", "predicted x[t+1]", "true x[t+1]");
    for (int t = 0; t < Steps; t++)
    {
        stepInput[0] = values[t];
        streaming.Step(stepInput, stepOutput);
        streamed[t] = stepOutput[0];
        largestDifference = MathF.Max(largestDifference, MathF.Abs(stepOutput[0] - prediction[Sequence * Steps + t]));
        if (t < 4 || t >= Steps - 4)
            forecast.Row($"{t}", $"{values[t]:F3}", $"{stepOutput[0]:F3}", $"{values[t + 1]:F3}");
        else if (t == 4)
            forecast.Row("…");
    }
    AnsiConsole.Write(forecast);
    Console.WriteLine($"Largest difference between the streamed and the batched predictions: {largestDifference:G3}");

    // ---- The deployable model: inference only, its weights compiled in from sine-forecast.safetensors. A build that
    // found no such file (warning UNR0029) compiled a model whose constructor says so: export, then build again.
    SineForecaster deployed;
    try
    {
        deployed = new SineForecaster();
    }
    catch (InvalidOperationException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
    double deployedError = 0;
    for (int first = 0; first < TestSequences; first += Batch)
    {
        GatherRange(test, first, input, target);
        deployed.Forward(input, prediction);
        deployedError += MeanSquaredError(prediction, target);
    }
    deployedError /= TestSequences / Batch;

    Console.WriteLine();
    var errors = Sample.Table("forecast", "test MSE");
    errors.Row("LSTM", $"{modelError:F7}");
    errors.Row("naive (repeat last value)", $"{naiveError:F7}");
    errors.Row("SineForecaster (weights compiled in, no file read)", $"{deployedError:F7}");
    AnsiConsole.Write(errors);
    Console.WriteLine($"The LSTM's error is {naiveError / modelError:F1}x smaller (noise floor σ² = {NoiseStd * NoiseStd:F5}).");

    // ---- The same compiled-in weights streamed with the step weights in float32, bfloat16, half and int8
    // ([Model(WeightPrecision = …)]): every test sequence one value at a time; the error a precision adds.
    Console.WriteLine();
    Console.WriteLine("Streaming every test sequence on the compiled-in weights, by the step weights' precision:");
    var precisions = Sample.Table("precision", "test MSE", "largest difference from float32");
    float[] float32Steps = new float[TestSequences * Steps];
    foreach (IStepModel<float> streamer in new IStepModel<float>[] { new SineStepF32(), new SineStepBf16(), new SineStepF16(), new SineStepInt8() })
    {
        double error = 0;
        float largest = 0;
        for (int sequence = 0; sequence < TestSequences; sequence++)
        {
            ReadOnlySpan<float> series = test.AsSpan(sequence * (Steps + 1), Steps + 1);
            streamer.ResetState();
            for (int t = 0; t < Steps; t++)
            {
                stepInput[0] = series[t];
                streamer.Step(stepInput, stepOutput);
                error += (stepOutput[0] - series[t + 1]) * (stepOutput[0] - series[t + 1]);
                ref float reference = ref float32Steps[sequence * Steps + t];
                if (streamer is SineStepF32) reference = stepOutput[0];
                else largest = MathF.Max(largest, MathF.Abs(stepOutput[0] - reference));
            }
        }
        string name = streamer switch { SineStepBf16 => "bfloat16", SineStepF16 => "half", SineStepInt8 => "int8", _ => "float32" };
        precisions.Row(name, $"{error / (TestSequences * Steps):F7}", $"{largest:G3}");
    }
    AnsiConsole.Write(precisions);

    // ---- The streamed forecast of the first test sequence against the truth, as a picture.
    Console.WriteLine();
    double[] time = new double[Steps + 1], truth = new double[Steps + 1], next = new double[Steps];
    for (int t = 0; t <= Steps; t++) (time[t], truth[t]) = (t, values[t]);
    for (int t = 0; t < Steps; t++) next[t] = t + 1;
    Sample.Write(Sample.RunPath("SineForecast", "forecast.png"), "the streamed forecast against the truth", path => Plots.Lines(path,
        "SineForecast: the first test sequence, streamed", "t", "x[t]", ("truth (noisy)", time, truth), ("LSTM's forecast of x[t] from x[0..t-1]", next, streamed)));

    bool beatsBaseline = modelError * RequiredImprovement < naiveError && deployedError * RequiredImprovement < naiveError;
    Console.WriteLine();
    Console.WriteLine(beatsBaseline
        ? $"OK: the trained and the compiled-in LSTM beat the naive forecast by more than {RequiredImprovement}x."
        : $"FAILED: the trained or the compiled-in LSTM does not beat the naive forecast by {RequiredImprovement}x.");
    return beatsBaseline ? 0 : 1;
}

// Noisy sines, one per row of Steps + 1 values: A·sin(ω·t + φ) + ε with A ∈ [0.5, 1.5),
// ω ∈ [0.1, 0.6) radians per step (periods of about 10 to 60 steps), φ ∈ [0, 2π) and ε ~ N(0, σ²).
static float[] NoisySines(int count, SeededRandom random)
{
    const int Length = Steps + 1;
    float[] data = new float[count * Length];
    random.FillNormal(data);
    TensorPrimitives.Multiply(data, NoiseStd, data);
    for (int n = 0; n < count; n++)
    {
        float amplitude = 0.5f + random.NextSingle();
        float frequency = 0.1f + 0.5f * random.NextSingle();
        float phase = 2 * MathF.PI * random.NextSingle();
        Span<float> row = data.AsSpan(n * Length, Length);
        for (int t = 0; t < Length; t++) row[t] += amplitude * MathF.Sin(frequency * t + phase);
    }
    return data;
}

// Copies the chosen rows into a batch: input [batch, time, 1] = x[0..Steps-1], target = x[1..Steps].
static void Gather(ReadOnlySpan<float> data, ReadOnlySpan<int> rows, Span<float> input, Span<float> target)
{
    for (int b = 0; b < rows.Length; b++)
    {
        ReadOnlySpan<float> row = data.Slice(rows[b] * (Steps + 1), Steps + 1);
        row[..Steps].CopyTo(input.Slice(b * Steps, Steps));
        row[1..].CopyTo(target.Slice(b * Steps, Steps));
    }
}

// As Gather, for the consecutive rows first .. first + Batch - 1.
static void GatherRange(ReadOnlySpan<float> data, int first, Span<float> input, Span<float> target)
{
    Span<int> rows = stackalloc int[Batch];
    for (int b = 0; b < Batch; b++) rows[b] = first + b;
    Gather(data, rows, input, target);
}

static double MeanSquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
{
    double sum = 0;
    for (int i = 0; i < prediction.Length; i++)
    {
        double d = prediction[i] - target[i];
        sum += d * d;
    }
    return sum / prediction.Length;
}

// Fisher–Yates, from a seeded generator so every run sees the same order.
static void Shuffle(Span<int> items, SeededRandom random)
{
    for (int i = items.Length - 1; i > 0; i--)
    {
        int j = (int)(random.NextUInt32() % (uint)(i + 1));
        (items[i], items[j]) = (items[j], items[i]);
    }
}
