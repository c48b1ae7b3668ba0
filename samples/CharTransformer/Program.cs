// CharTransformer: a small causal transformer over characters, compiled by Unroll, trained on Tiny Shakespeare beside
// samples/CharLm's LSTM: the same text, split, windows, optimizer, steps and a similar parameter count.
//
//     dotnet run --project samples/CharTransformer -c Release                 train (about 80 s on 2 cores), save, sample
//     dotnet run --project samples/CharTransformer -c Release -- --help       the options
//
// It trains with Adam and gradient-norm clipping on random windows of the first 90% of the text (CharLm's Trainer),
// reports the validation loss (nats per character) on the last 10%, saves the weights and the loss curve, and then
// prints a passage sampled one character at a time through the inference-only twin's Step, which keeps the attention's
// keys and values of the last 64 characters: when its cache is full it starts again from the last 32. What it writes
// goes to runs/CharTransformer/.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CharLm;
using CharTransformer;
using Spectre.Console;
using Unroll;
using Unroll.Samples;
using Vocabulary = CharLm.Vocabulary;

var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 2000, HelpName = "N" }.Positive();
var learningRate = new Option<float>("--lr") { Description = "Adam's learning rate", DefaultValueFactory = _ => 4e-3f, HelpName = "RATE" }.Positive();
var seed = new Option<int>("--seed") { Description = "seed of the initialisation, the training windows, dropout and the sampling", DefaultValueFactory = _ => 1, HelpName = "N" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the validation loss ends above L nats per character", HelpName = "L" };
var command = new RootCommand("""
    CharTransformer: a causal character transformer (Embedding 65×128 + learned positions → 2 pre-norm encoder
    layers, 4 heads, feed-forward 384 → LayerNorm → Linear 65), trained on Tiny Shakespeare as CharLm's LSTM is
    (first 90% for training, last 10% for validation), then sampled. Writes its weights and loss curve under
    runs/CharTransformer/.
    """) { steps, learningRate, seed, require };
var (prime, temperature, topK, length) = TextSampling.AddOptions(command);
command.SetAction(result => Run(result.GetValue(steps), result.GetValue(learningRate), result.GetRequiredValue(prime), result.GetValue(temperature),
    result.GetValue(topK), result.GetValue(length), result.GetValue(seed), result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(int steps, float learningRate, string prime, float temperature, int topK, int length, int seed, double required)
{
    string text = TextSampling.ReadEmbeddedText();
    var model = new CharTransformerModel(seed);
    var vocabulary = Vocabulary.Of(text);
    var trainer = new Trainer(model, vocabulary.Encode(text), new TrainingOptions { Steps = steps, Seed = seed, LearningRate = learningRate });
    Console.WriteLine($"CharTransformer: {CharTransformerModel.ParameterCount:N0} parameters; {text.Length:N0} characters ({vocabulary.Characters.Length} distinct); " +
                      $"batches of {CharTransformerModel.BatchSize} × {CharTransformerModel.SequenceLength}; Adam lr {learningRate}, gradient norm ≤ 1.");
    Console.WriteLine(CharTransformerModel.Summary());

    // ---- Training, under a progress bar, with a line every LogEvery steps (the points of the loss curve).
    const int LogEvery = 100;
    var clock = Stopwatch.StartNew();
    float validation = float.NaN;
    List<double> trainSteps = [], trainLosses = [], validationSteps = [], validationLosses = [];
    Sample.Progress("Training", steps, task =>
    {
        double lossSum = 0;
        int lossCount = 0;
        while (trainer.Step < steps)
        {
            float loss = trainer.TrainStep();
            (lossSum, lossCount) = (lossSum + loss, lossCount + 1);
            trainSteps.Add(trainer.Step);
            trainLosses.Add(loss);
            task.Increment(1);
            if (trainer.Step % LogEvery != 0 && trainer.Step != steps) continue;
            validation = trainer.ValidationLoss();
            double seconds = clock.Elapsed.TotalSeconds;
            validationSteps.Add(trainer.Step);
            validationLosses.Add(validation);
            task.Description = string.Create(CultureInfo.InvariantCulture, $"Training, validation {validation:F3} nats/char");
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {trainer.Step,5}/{steps}  train {lossSum / lossCount:F3}  validation {validation:F3} nats/char  " +
                $"{trainer.Step * trainer.CharactersPerStep / seconds,7:N0} chars/s  {TimeSpan.FromSeconds(seconds / trainer.Step * (steps - trainer.Step)):m\\:ss} left"));
            (lossSum, lossCount) = (0, 0);
        }
    });
    Console.WriteLine($"Trained {steps} steps in {clock.Elapsed:m\\:ss}; validation loss {validation:F3} nats/char.");
    Sample.Write(Sample.RunPath("CharTransformer", "chartransformer.safetensors"), "the weights (PyTorch's state-dict names)", model.SaveSafetensors);
    Sample.Write(Sample.RunPath("CharTransformer", "loss.png"), "the loss curve", path => Plots.Lines(path,
        "CharTransformer: loss", "step", "cross-entropy (nats per character)",
        ("train (each step's batch)", [.. trainSteps], [.. trainLosses]), ("validation", [.. validationSteps], [.. validationLosses])));

    // ---- Sampling: the batch-1 twin streams one character per Step over its key/value caches of 64 positions.
    var sampler = new CharTransformerSampler();
    foreach (NamedParameter p in model.NamedParameters) p.Values.CopyTo(sampler.NamedParameters[p.Name].Values);
    var random = new SeededRandom((ulong)seed + 2000);
    var logits = new float[Vocabulary.Size];
    var scratch = new float[2 * Vocabulary.Size];
    var output = new StringBuilder(prime);
    var token = new int[1];
    int cached = 0;
    void Feed(char c)
    {
        if (cached == CharTransformerSampler.SequenceLength)
        {
            // The caches hold the 64 positions the model was trained on: start again from the last 32 characters.
            sampler.ResetState();
            cached = 0;
            string context = output.ToString(output.Length - 33, 32);
            foreach (char k in context) Step(k);
        }
        Step(c);
    }
    void Step(char c)
    {
        token[0] = vocabulary.Id(c);
        sampler.Step(token, logits);
        cached++;
    }
    sampler.ResetState();
    foreach (char c in prime.Length > 32 ? prime[^32..] : prime) Step(c);
    for (int i = 0; i < length; i++)
    {
        int next = Sampling.Sample(logits, random, scratch, temperature, topK);
        output.Append(vocabulary.Character(next));
        Feed(vocabulary.Character(next));
    }
    Console.WriteLine();
    Console.WriteLine($"--- sample (temperature {temperature}, top-k {topK}) ---");
    Console.WriteLine(output);
    if (required > 0 && !(validation <= required))
    {
        Console.Error.WriteLine($"The validation loss {validation:F3} is above the required {required} nats per character.");
        return 1;
    }
    return 0;
}
