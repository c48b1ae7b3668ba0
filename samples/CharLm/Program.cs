// CharLm: a character-level LSTM language model, compiled by Unroll, trained on Tiny Shakespeare.
//
//     dotnet run --project samples/CharLm -c Release                 train (about 4 minutes on 2 cores), save, sample
//     dotnet run --project samples/CharLm -c Release -- --help       the options
//
// It trains with Adam and gradient-norm clipping on random windows of the first 90% of the text,
// reports the validation loss (nats per character) on the last 10%, saves a checkpoint (weights,
// optimizer state, step and random-generator states, one safetensors file) from which a run
// resumes exactly, and then prints a passage sampled one character at a time. Last, it streams the start of the
// validation text through the sampler with its step weights in float32, bfloat16, half and int8, and prints the loss
// each precision gives.

using System.Diagnostics;
using System.Globalization;
using System.Text;
using CharLm;
using Unroll;

const string Usage = """
    CharLm: a character-level LSTM language model (Embedding 65×48 → LSTM 256 → Linear 65), trained on
    Tiny Shakespeare (first 90% for training, last 10% for validation), then sampled.

    Options:
      --steps N          optimizer steps in all, counting those of a resumed run (default 2000)
      --resume           continue from the checkpoint instead of starting afresh
      --checkpoint FILE  the checkpoint to save and resume from (default charlm.safetensors)
      --text FILE        train on this UTF-8 text instead of Tiny Shakespeare
      --prime TEXT       the text the sample starts from (default "ROMEO:")
      --temperature T    sampling temperature: below 1 is more conservative (default 0.8)
      --top-k K          sample among the K most likely characters only; 0 for all (default 10)
      --length N         characters to sample (default 600)
      --seed N           seed of the initialisation, the training windows and the sampling (default 1)
      --help             this text
    """;

var options = Options.Parse(args);
if (options is null)
{
    Console.WriteLine(Usage);
    return args.Contains("--help") ? 0 : 2;
}

string text = options.TextFile is { } file ? File.ReadAllText(file) : ReadEmbeddedText();
var model = new CharLmModel(options.Seed);
var vocabulary = Vocabulary.Of(text);
var trainer = new Trainer(model, vocabulary.Encode(text), new TrainingOptions { Steps = options.Steps, Seed = options.Seed });

if (options.Resume)
{
    var metadata = Checkpoint.Load(options.CheckpointPath, model, trainer.Optimizer, [trainer.DataGenerator]);
    if (metadata.GetValueOrDefault("vocabulary") != vocabulary.Characters)
    {
        Console.Error.WriteLine($"{options.CheckpointPath} was trained on a text with other characters; resume with the same --text.");
        return 1;
    }
    Console.WriteLine($"Resumed from {options.CheckpointPath} at step {trainer.Step}.");
}

Console.WriteLine($"CharLm: {CharLmModel.ParameterCount:N0} parameters; {text.Length:N0} characters ({vocabulary.Characters.Length} distinct); " +
                  $"batches of {CharLmModel.BatchSize} × {CharLmModel.SequenceLength}; Adam lr {trainer.Optimizer.LearningRate}, gradient norm ≤ 1.");

// ---- Training, with a progress line every LogEvery steps.
const int LogEvery = 100;
var clock = Stopwatch.StartNew();
long firstStep = trainer.Step;
double lossSum = 0;
int lossCount = 0;
float validation = float.NaN;
while (trainer.Step < options.Steps)
{
    lossSum += trainer.TrainStep();
    lossCount++;
    if (trainer.Step % LogEvery == 0 || trainer.Step == options.Steps)
    {
        validation = trainer.ValidationLoss();
        double seconds = clock.Elapsed.TotalSeconds;
        long done = trainer.Step - firstStep;
        double left = seconds / done * (options.Steps - trainer.Step);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {trainer.Step,5}/{options.Steps}  train {lossSum / lossCount:F3}  validation {validation:F3} nats/char  " +
            $"{done * trainer.CharactersPerStep / seconds,7:N0} chars/s  {TimeSpan.FromSeconds(left):m\\:ss} left"));
        lossSum = 0;
        lossCount = 0;
    }
}
if (trainer.Step > firstStep)
{
    Checkpoint.Save(options.CheckpointPath, model, trainer.Optimizer, [trainer.DataGenerator],
        new Dictionary<string, string> { ["vocabulary"] = vocabulary.Characters, ["validation_loss"] = validation.ToString("R", CultureInfo.InvariantCulture) });
    Console.WriteLine($"Trained to step {trainer.Step} in {clock.Elapsed:m\\:ss}; validation loss {validation:F3} nats/char. Saved {options.CheckpointPath}.");
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
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-9} {loss / scored:F4} nats/char"));
}
return 0;

static string ReadEmbeddedText()
{
    using Stream stream = typeof(CharLmModel).Assembly.GetManifestResourceStream("tinyshakespeare.txt")
        ?? throw new InvalidOperationException("The embedded corpus is missing from the build.");
    using var reader = new StreamReader(stream, Encoding.UTF8);
    return reader.ReadToEnd();
}

/// <summary>The command line, checked.</summary>
internal sealed record Options
{
    public int Steps { get; init; } = 2000;
    public bool Resume { get; init; }
    public string CheckpointPath { get; init; } = "charlm.safetensors";
    public string? TextFile { get; init; }
    public string Prime { get; init; } = "ROMEO:";
    public float Temperature { get; init; } = 0.8f;
    public int TopK { get; init; } = 10;
    public int Length { get; init; } = 600;
    public int Seed { get; init; } = 1;

    /// <summary>The options, or null (after saying why) when the command line asks for help or is wrong.</summary>
    public static Options? Parse(string[] args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
            try
            {
                options = args[i] switch
                {
                    "--steps" => options with { Steps = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), "--steps") },
                    "--resume" => options with { Resume = true },
                    "--checkpoint" => options with { CheckpointPath = Value() },
                    "--text" => options with { TextFile = Value() },
                    "--prime" => options with { Prime = Value() },
                    "--temperature" => options with { Temperature = float.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--top-k" => options with { TopK = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--length" => options with { Length = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), "--length") },
                    "--seed" => options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--help" or "-h" => null,
                    _ => throw new FormatException($"Unknown option {args[i]}."),
                };
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine(e.Message);
                return null;
            }
            if (options is null) return null;
        }
        if (options.TextFile is { } file && !File.Exists(file))
        {
            Console.Error.WriteLine($"No such file: {file}");
            return null;
        }
        if (options.Prime.Length == 0)
        {
            Console.Error.WriteLine("--prime needs at least one character.");
            return null;
        }
        return options;
    }

    private static int Positive(int value, string name) => value > 0 ? value : throw new FormatException($"{name} must be positive.");
}
