// CharLm: a character-level LSTM language model, compiled by Unroll, trained on Tiny Shakespeare.
//
//     dotnet run --project samples/CharLm -c Release                 train (about 4 minutes on 2 cores), save, sample
//     dotnet run --project samples/CharLm -c Release -- --help       the options
//
// It trains with Adam and gradient-norm clipping on random windows of the first 90% of the text,
// reports the validation loss (nats per character) on the last 10%, saves a checkpoint (weights,
// optimizer state, step and random-generator states, one safetensors file) from which a run
// resumes exactly, draws the loss curve, and then prints a passage sampled one character at a time. Last, it streams
// the start of the validation text through the sampler with its step weights in float32, bfloat16, half and int8, and
// prints the loss each precision gives. What it writes goes to runs/CharLm/.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CharLm;
using Spectre.Console;
using Unroll;
using Unroll.Samples;
using Vocabulary = CharLm.Vocabulary;

var steps = new Option<int>("--steps") { Description = "optimizer steps in all, counting those of a resumed run", DefaultValueFactory = _ => 2000, HelpName = "N" }.Positive();
var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint instead of starting afresh" };
var checkpoint = new Option<string>("--checkpoint")
{
    Description = "the checkpoint to save and resume from",
    DefaultValueFactory = _ => Sample.RunPath("CharLm", "charlm.safetensors"),
    HelpName = "FILE",
};
var textFile = new Option<FileInfo>("--text") { Description = "train on this UTF-8 text instead of Tiny Shakespeare", HelpName = "FILE" }.AcceptExistingOnly();
var seed = new Option<int>("--seed") { Description = "seed of the initialisation, the training windows and the sampling", DefaultValueFactory = _ => 1, HelpName = "N" };
var command = new RootCommand("""
    CharLm: a character-level LSTM language model (Embedding 65×48 → LSTM 256 → Linear 65), trained on
    Tiny Shakespeare (first 90% for training, last 10% for validation), then sampled.
    Writes its checkpoint and loss curve under runs/CharLm/.
    """) { steps, resume, checkpoint, textFile, seed };
var (prime, temperature, topK, length) = TextSampling.AddOptions(command);
command.SetAction(result => Run(new Options(result.GetValue(steps), result.GetValue(resume), result.GetRequiredValue(checkpoint),
    result.GetValue(textFile)?.FullName, result.GetRequiredValue(prime), result.GetValue(temperature), result.GetValue(topK),
    result.GetValue(length), result.GetValue(seed))));
return Sample.Invoke(command, args);

static int Run(Options options)
{
    string text = options.TextFile is { } file ? File.ReadAllText(file) : TextSampling.ReadEmbeddedText();
    var model = new CharLmModel(options.Seed);
    var vocabulary = Vocabulary.Of(text);
    var trainer = new Trainer(model, vocabulary.Encode(text), new TrainingOptions { Steps = options.Steps, Seed = options.Seed });

    if (options.Resume)
    {
        if (!File.Exists(options.CheckpointPath))
        {
            Console.Error.WriteLine($"There is no checkpoint {options.CheckpointPath} to resume from; train without --resume first.");
            return 1;
        }
        var metadata = Checkpoint.Load(options.CheckpointPath, model, trainer.Optimizer, [trainer.DataGenerator]);
        if (metadata.GetValueOrDefault("vocabulary") != vocabulary.Characters)
        {
            Console.Error.WriteLine($"{options.CheckpointPath} was trained on a text with other characters; resume with the same --text.");
            return 1;
        }
        Console.WriteLine($"Resumed from {options.CheckpointPath} at step {trainer.Step}.");
        if (trainer.Step >= options.Steps)
        {
            Console.WriteLine($"{options.CheckpointPath} has already been trained for {trainer.Step} steps (--steps {options.Steps}): " +
                              "nothing left to train; raise --steps to continue.");
        }
    }

    Console.WriteLine($"CharLm: {CharLmModel.ParameterCount:N0} parameters; {text.Length:N0} characters ({vocabulary.Characters.Length} distinct); " +
                      $"batches of {CharLmModel.BatchSize} × {CharLmModel.SequenceLength}; Adam lr {trainer.Optimizer.LearningRate}, gradient norm ≤ 1.");

    // ---- Training, under a progress bar, with a line every LogEvery steps (the points of the loss curve).
    const int LogEvery = 100;
    var clock = Stopwatch.StartNew();
    long firstStep = trainer.Step;
    float validation = float.NaN;
    List<double> trainSteps = [], trainLosses = [], validationSteps = [], validationLosses = [];
    if (trainer.Step < options.Steps)
    {
        Sample.Progress("Training", options.Steps - firstStep, task =>
        {
            double lossSum = 0;
            int lossCount = 0;
            while (trainer.Step < options.Steps)
            {
                float loss = trainer.TrainStep();
                (lossSum, lossCount) = (lossSum + loss, lossCount + 1);
                trainSteps.Add(trainer.Step);
                trainLosses.Add(loss);
                task.Increment(1);
                if (trainer.Step % LogEvery == 0 || trainer.Step == options.Steps)
                {
                    validation = trainer.ValidationLoss();
                    double seconds = clock.Elapsed.TotalSeconds;
                    long done = trainer.Step - firstStep;
                    double left = seconds / done * (options.Steps - trainer.Step);
                    validationSteps.Add(trainer.Step);
                    validationLosses.Add(validation);
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"Training, validation {validation:F3} nats/char");
                    AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"step {trainer.Step,5}/{options.Steps}  train {lossSum / lossCount:F3}  validation {validation:F3} nats/char  " +
                        $"{done * trainer.CharactersPerStep / seconds,7:N0} chars/s  {TimeSpan.FromSeconds(left):m\\:ss} left"));
                    lossSum = 0;
                    lossCount = 0;
                }
            }
        });
        Console.WriteLine($"Trained to step {trainer.Step} in {clock.Elapsed:m\\:ss}; validation loss {validation:F3} nats/char.");
        var metadata = new Dictionary<string, string>
        {
            ["vocabulary"] = vocabulary.Characters,
            ["validation_loss"] = validation.ToString("R", CultureInfo.InvariantCulture),
        };
        Sample.Write(options.CheckpointPath, "the checkpoint; --resume continues from it",
            path => Checkpoint.Save(path, model, trainer.Optimizer, [trainer.DataGenerator], metadata));
        Sample.Write(Sample.RunPath("CharLm", "loss.png"), $"the loss curve of steps {firstStep + 1} to {trainer.Step}", path => Plots.Lines(path,
            "CharLm: loss", "step", "cross-entropy (nats per character)",
            ("train (each step's batch)", [.. trainSteps], [.. trainLosses]), ("validation", [.. validationSteps], [.. validationLosses])));
    }

    // ---- Sampling: a batch-1 copy of the model streams one character per Step.
    var sampler = new CharLmSampler();
    model.Parameters.CopyTo(sampler.Parameters);
    var random = new SeededRandom((ulong)options.Seed + 2000);
    var logits = new float[Vocabulary.Size];
    var scratch = new float[2 * Vocabulary.Size];
    var output = new StringBuilder(options.Prime);
    sampler.ResetState();
    var token = new int[1];
    foreach (char c in options.Prime)
    {
        token[0] = vocabulary.Id(c);
        sampler.Step(token, logits);
    }
    for (int i = 0; i < options.Length; i++)
    {
        int next = Sampling.Sample(logits, random, scratch, options.Temperature, options.TopK);
        output.Append(vocabulary.Character(next));
        token[0] = next;
        sampler.Step(token, logits);
    }
    Console.WriteLine();
    Console.WriteLine($"--- sample (temperature {options.Temperature}, top-k {options.TopK}) ---");
    Console.WriteLine(output);

    // ---- What smaller step weights cost: the sampler in float32, bfloat16, half and int8 ([Model(WeightPrecision = …)])
    // streams the start of the validation text, one character per Step, scoring each next character.
    const int Scored = 20_000;
    int[] ids = vocabulary.Encode(text);
    ReadOnlySpan<int> held = ids.AsSpan(ids.Length * 9 / 10);
    int scored = Math.Min(Scored, held.Length - 1);
    var target = new int[1];
    var gradient = new float[Vocabulary.Size];
    Console.WriteLine();
    Console.WriteLine($"Streaming validation loss (the first {scored:N0} validation characters, one Step each), by the step weights' precision:");
    var precisions = Sample.Table("precision", "loss (nats/char)");
    foreach (IStepModel<int> streamer in new IStepModel<int>[] { sampler, new CharLmSamplerBf16(), new CharLmSamplerF16(), new CharLmSamplerInt8() })
    {
        model.Parameters.CopyTo(streamer.Parameters);
        streamer.ResetState();
        double loss = 0;
        for (int t = 0; t < scored; t++)
        {
            token[0] = held[t];
            target[0] = held[t + 1];
            streamer.Step(token, logits);
            loss += Loss.CrossEntropy(logits, target, gradient, Vocabulary.Size);
        }
        string name = streamer switch { CharLmSamplerBf16 => "bfloat16", CharLmSamplerF16 => "half", CharLmSamplerInt8 => "int8", _ => "float32" };
        precisions.Row(name, string.Create(CultureInfo.InvariantCulture, $"{loss / scored:F4}"));
    }
    AnsiConsole.Write(precisions);
    return 0;
}

/// <summary>The command line, checked (see the options above).</summary>
internal sealed record Options(int Steps, bool Resume, string CheckpointPath, string? TextFile, string Prime, float Temperature, int TopK, int Length, int Seed);
