// DateTranslation: human-readable dates ("tuesday 9 march 1993", "9/3/93", "march 9, 1993") → ISO dates
// ("1993-03-09") with an attention encoder–decoder compiled by Unroll.
//
//     dotnet run --project samples/DateTranslation -c Release                 train, evaluate, translate, draw attention
//     dotnet run --project samples/DateTranslation -c Release -- --help       the options
//
// The data is generated (26 formats, dates 1950–2049, numeric formats day first); 1,000 held-out dates are
// never trained on. Training is teacher-forced cross-entropy with Adam; the exact-match score uses greedy
// decoding, the printed translations beam search, and one attention map is drawn in the terminal and as a PNG
// heat map. The loss curve and the attention map go to runs/DateTranslation/.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DateTranslation;
using Spectre.Console;
using Unroll;
using Unroll.Samples;

var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 1500, HelpName = "N" }.Positive();
var learningRate = new Option<float>("--lr") { Description = "Adam's learning rate", DefaultValueFactory = _ => 3e-3f, HelpName = "RATE" }.Positive();
var seed = new Option<int>("--seed") { Description = "seed of the initialisation and the data", DefaultValueFactory = _ => 1, HelpName = "N" };
var png = new Option<string>("--png")
{
    Description = "where to draw the attention map",
    DefaultValueFactory = _ => Sample.RunPath("DateTranslation", "attention.png"),
    HelpName = "FILE",
};
var dates = new Option<string[]>("--date") { Description = "also translate this date (may repeat)", HelpName = "TEXT" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the held-out exact match ends below P (0 to 1)", HelpName = "P" };
var command = new RootCommand("""
    DateTranslation: human-readable dates → ISO dates with a bidirectional LSTM encoder and an LSTM decoder
    with additive attention, trained on generated dates, evaluated on 1,000 held-out ones.
    Writes its loss curve and an attention map under runs/DateTranslation/.
    """) { steps, learningRate, seed, png, dates, require };
command.SetAction(result => Run(result.GetValue(steps), result.GetValue(learningRate), result.GetValue(seed), result.GetRequiredValue(png),
    result.GetValue(dates) ?? [], result.GetValue(require)));
return Sample.Invoke(command, args);

static int Run(int steps, float learningRate, int seed, string png, string[] extra, double required)
{
    // 1,000 held-out dates, each in a random format; training never draws these dates.
    var evaluationRandom = new SeededRandom(unchecked((ulong)seed) ^ 0xE7A1_0000_0000_0001UL);
    var heldOut = new List<(string Human, string Iso)>();
    var heldOutDates = new HashSet<DateOnly>();
    while (heldOut.Count < 1000)
    {
        DateOnly date = DateFormats.NextDate(evaluationRandom);
        if (!heldOutDates.Add(date)) continue;
        heldOut.Add((DateFormats.Format(date, DateFormats.NextFormat(evaluationRandom)), DateFormats.Iso(date)));
    }

    var translator = new Translator(seed, learningRate, heldOutDates);
    Console.WriteLine($"DateTranslator: {DateTranslator.ParameterCount:N0} parameters, batch {DateTranslator.BatchSize}, sources up to {DateTranslator.SequenceLength} characters, {DateFormats.FormatCount} formats.");
    Console.WriteLine($"Training {steps} steps (Adam {learningRate.ToString(CultureInfo.InvariantCulture)}, clip 1.0).");
    var clock = Stopwatch.StartNew();
    double[] losses = new double[steps], smoothed = new double[steps];
    int report = Math.Max(1, Math.Min(250, steps / 10));
    Sample.Progress("Training", steps, task =>
    {
        double averageLoss = 0;
        for (int step = 1; step <= steps; step++)
        {
            float loss = translator.TrainStep();
            averageLoss = step == 1 ? loss : 0.98 * averageLoss + 0.02 * loss;
            (losses[step - 1], smoothed[step - 1]) = (loss, averageLoss);
            task.Increment(1);
            if (step % report == 0 || step == steps)
            {
                double exact = translator.ExactMatch(heldOut);
                double perStep = clock.Elapsed.TotalSeconds / step;
                task.Description = $"Training, loss {averageLoss:F4}, exact match {exact:P1}";
                AnsiConsole.WriteLine($"step {step,5}  loss {averageLoss:F4}  held-out exact match {exact:P1}  {perStep * 1000:F1} ms/step  {TimeSpan.FromSeconds(perStep * (steps - step)):m\\:ss} left");
            }
        }
    });
    double final = translator.ExactMatch(heldOut);
    Console.WriteLine($"Trained in {clock.Elapsed:m\\:ss}. Held-out exact match (greedy): {final:P1} of {heldOut.Count}.");

    Console.WriteLine();
    Console.WriteLine($"Beam search (width {DateTranslatorBeams.BeamWidth}):");
    var examples = new List<string> { "tuesday 9 march 1993", "9/3/93", "march 9, 1993", "09 mar 1993" };
    examples.AddRange(heldOut.Take(4).Select(e => e.Human));
    examples.AddRange(extra);
    (string Iso, float Score, float[] Attention, int Steps) shown = default;
    var translations = Sample.Table("date", "ISO date", "log p");
    foreach (string date in examples)
    {
        try
        {
            var result = translator.TranslateBeam(date.ToLowerInvariant());
            translations.Row(date, result.Iso, $"{result.Score:G3}");
            if (shown.Attention is null) shown = result;
        }
        catch (ArgumentException e)
        {
            translations.Row(date, $"cannot read it: {e.Message}", "");
        }
    }
    AnsiConsole.Write(translations);

    // The attention of the first example: which source characters each output character looked at.
    string source = examples[0], output = shown.Iso + "$";
    Console.WriteLine();
    Console.WriteLine($"Attention while translating \"{source}\" (rows: output characters, $ = end; columns: input characters):");
    Console.Write(AttentionMap.ToGrid(shown.Attention, shown.Steps, source.Length, source, output));

    Console.WriteLine();
    double[] x = Enumerable.Range(1, steps).Select(step => (double)step).ToArray();
    Sample.Write(Sample.RunPath("DateTranslation", "loss.png"), "the loss curve", path => Plots.Lines(path,
        "DateTranslation: training loss", "step", "cross-entropy (nats per output character)", ("batch", x, losses), ("moving average (0.98)", x, smoothed)));
    Sample.Write(png, $"the attention map of \"{source}\"", path => AttentionMap.Draw(path, shown.Attention, shown.Steps, source.Length, source, output));
    if (final < required)
    {
        Console.WriteLine($"The exact match {final:P1} is below the required {required:P1}.");
        return 1;
    }
    return 0;
}
