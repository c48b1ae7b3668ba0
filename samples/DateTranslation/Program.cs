// DateTranslation: human-readable dates ("tuesday 9 march 1993", "9/3/93", "march 9, 1993") → ISO dates
// ("1993-03-09") with an attention encoder–decoder compiled by Unroll: a BiLSTM encoder and an LSTM attention decoder,
// or with --transformer an encoder–decoder transformer.
//
//     dotnet run --project samples/DateTranslation -c Release                      train, evaluate, translate, draw attention
//     dotnet run --project samples/DateTranslation -c Release -- --transformer     the same with the transformer
//     dotnet run --project samples/DateTranslation -c Release -- --help            the options
//
// The data is generated (26 formats, dates 1950–2049, numeric formats day first); 1,000 held-out dates are
// never trained on. Training is teacher-forced cross-entropy with Adam; the exact-match score uses greedy
// decoding, the printed translations beam search, and one attention map is drawn in the terminal and as a PNG
// heat map (the transformer's: its last decoder layer's cross-attention, averaged over the heads). The loss curve and
// the attention map go to runs/DateTranslation/ (transformer-loss.png and transformer-attention.png for the transformer).

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DateTranslation;
using Spectre.Console;
using Unroll;
using Unroll.Samples;

var transformer = new Option<bool>("--transformer")
{
    Description = "train the encoder–decoder transformer (DateTransformer) instead of the BiLSTM + LSTM attention decoder",
};
// --steps, --lr and --png get their defaults in the action: --lr and --png differ per model.
var steps = new Option<int>("--steps") { Description = "optimizer steps [default: 1500, for either model]", HelpName = "N" }.Positive();
var learningRate = new Option<float>("--lr")
{
    Description = "Adam's learning rate [default: 0.003; with --transformer 0.002, reached after a linear warm-up of 10% of the steps and decayed to 0 along a cosine]",
    HelpName = "RATE",
}.Positive();
var seed = new Option<int>("--seed") { Description = "seed of the initialisation and the data", DefaultValueFactory = _ => 1, HelpName = "N" };
var png = new Option<string>("--png")
{
    Description = "where to draw the attention map [default: runs/DateTranslation/attention.png, with --transformer runs/DateTranslation/transformer-attention.png]",
    HelpName = "FILE",
};
var dates = new Option<string[]>("--date") { Description = "also translate this date (may repeat)", HelpName = "TEXT" };
var onnx = new Option<string>("--onnx") { Description = "also export the trained model as ONNX graphs (the teacher-forced sequence, the encoder, one decoding step) into this folder", HelpName = "DIR" };
var require = new Option<double>("--require") { Description = "exit with status 1 if the held-out exact match ends below P (0 to 1)", HelpName = "P" };
var command = new RootCommand("""
    DateTranslation: human-readable dates → ISO dates with a bidirectional LSTM encoder and an LSTM decoder
    with additive attention (or, with --transformer, an encoder–decoder transformer), trained on generated dates,
    evaluated on 1,000 held-out ones. Writes its loss curve and an attention map under runs/DateTranslation/.
    """) { transformer, steps, learningRate, seed, png, dates, onnx, require };
command.SetAction(result =>
{
    bool isTransformer = result.GetValue(transformer);
    int stepCount = result.GetResult(steps) is null ? 1500 : result.GetValue(steps);
    float rate = result.GetResult(learningRate) is null ? (isTransformer ? 2e-3f : 3e-3f) : result.GetValue(learningRate);
    string prefix = isTransformer ? "transformer-" : "";
    string picture = result.GetValue(png) ?? Sample.RunPath("DateTranslation", prefix + "attention.png");
    string[] extra = result.GetValue(dates) ?? [];
    double required = result.GetValue(require);
    string? onnxFolder = result.GetValue(onnx);
    int seedValue = result.GetValue(seed);
    List<(string Human, string Iso)> heldOut = HeldOut(seedValue);
    var heldOutDates = heldOut.Select(e => DateOnly.ParseExact(e.Iso, "yyyy-MM-dd", CultureInfo.InvariantCulture));
    if (!isTransformer)
    {
        return Run(new Translator<DateTranslator, DateTranslatorBeams>(new DateTranslator(seedValue), new DateTranslatorBeams(),
                static (beams, destination) => beams.Decoder.StepAttentionWeights.Slice(0, destination.Length).CopyTo(destination),
                seedValue, rate, heldOutDates),
            nameof(DateTranslator), $"Adam {rate.ToString(CultureInfo.InvariantCulture)}", prefix, stepCount, picture, extra, onnxFolder, required, heldOut);
    }
    int warmUp = Math.Max(1, stepCount / 10);
    return Run(new Translator<DateTransformer, DateTransformerBeams>(new DateTransformer(seedValue), new DateTransformerBeams(),
            static (beams, destination) => AverageHeads(beams.Decoder.StepCrossAttentionWeights, DateTransformer.Heads, DateTransformer.SequenceLength, destination),
            seedValue, rate, heldOutDates, new WarmUpCosine(rate, warmUp, stepCount)),
        nameof(DateTransformer), $"Adam {rate.ToString(CultureInfo.InvariantCulture)}, linear warm-up over {warmUp} steps, cosine decay", prefix, stepCount,
        picture, extra, onnxFolder, required, heldOut);
});
return Sample.Invoke(command, args);

// The trained model as ONNX graphs: teacher-forced, the encoder, one decoding step (whose inputs the encoder's outputs
// are). Each file is read back and must hold the model's weights (so a Native AOT build shows the export works there).
static bool Export(IInferenceModel model, string name, string folder)
{
    Directory.CreateDirectory(folder);
    long Write(OnnxGraph graph)
    {
        string path = Path.Combine(folder, $"{name}-{graph.ToString().ToLowerInvariant()}.onnx");
        model.ExportOnnx(path, graph);
        Onnx.GraphProto exported = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        long weights = exported.Initializer.Where(t => t.DataType == (int)Onnx.TensorProto.Types.DataType.Float).Sum(t => t.RawData.Length / 4L);
        Console.WriteLine($"Exported {path}: {exported.Node.Count} nodes, {weights:N0} weights.");
        return weights;
    }
    // The whole model's graph, and the encoder's and the step's between them, hold every parameter (and constants).
    if (Write(OnnxGraph.Sequence) >= model.ParameterCount && Write(OnnxGraph.Encode) + Write(OnnxGraph.Step) >= model.ParameterCount) return true;
    Console.WriteLine($"The exported graphs hold fewer weights than the model's {model.ParameterCount:N0} parameters.");
    return false;
}

// Row 0's cross-attention of the last step, [head, source step] with stride sourceSteps per head, averaged over the
// heads (PyTorch's average_attn_weights=True).
static void AverageHeads(ReadOnlySpan<float> weights, int heads, int sourceSteps, Span<float> destination)
{
    destination.Clear();
    for (int h = 0; h < heads; h++)
    {
        ReadOnlySpan<float> head = weights.Slice(h * sourceSteps, destination.Length);
        for (int s = 0; s < destination.Length; s++) destination[s] += head[s] / heads;
    }
}

// 1,000 held-out dates, each in a random format; training never draws these dates.
static List<(string Human, string Iso)> HeldOut(int seed)
{
    var evaluationRandom = new SeededRandom(unchecked((ulong)seed) ^ 0xE7A1_0000_0000_0001UL);
    var heldOut = new List<(string Human, string Iso)>();
    var heldOutDates = new HashSet<DateOnly>();
    while (heldOut.Count < 1000)
    {
        DateOnly date = DateFormats.NextDate(evaluationRandom);
        if (!heldOutDates.Add(date)) continue;
        heldOut.Add((DateFormats.Format(date, DateFormats.NextFormat(evaluationRandom)), DateFormats.Iso(date)));
    }
    return heldOut;
}

static int Run<TModel, TBeams>(Translator<TModel, TBeams> translator, string name, string optimizer, string prefix, int steps, string png,
    string[] extra, string? onnxFolder, double required, List<(string Human, string Iso)> heldOut)
    where TModel : class, IEncoderDecoderModel<int, int>, ISequenceModel
    where TBeams : class, IEncoderDecoderModel<int, int>
{
    TModel model = translator.Model;
    Console.WriteLine($"{name}: {model.ParameterCount:N0} parameters, batch {model.BatchSize}, sources up to {model.SequenceLength} characters, {DateFormats.FormatCount} formats.");
    Console.WriteLine($"Training {steps} steps ({optimizer}, clip 1.0).");
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
    Console.WriteLine($"Beam search (width {translator.BeamWidth}):");
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
    Sample.Write(Sample.RunPath("DateTranslation", prefix + "loss.png"), "the loss curve", path => Plots.Lines(path,
        prefix.Length == 0 ? "DateTranslation: training loss" : $"DateTranslation ({name}): training loss", "step", "cross-entropy (nats per output character)", ("batch", x, losses), ("moving average (0.98)", x, smoothed)));
    Sample.Write(png, $"the attention map of \"{source}\"", path => AttentionMap.Draw(path, shown.Attention, shown.Steps, source.Length, source, output));
    if (onnxFolder is not null && !Export(model, name, onnxFolder)) return 1;
    if (final < required)
    {
        Console.WriteLine($"The exact match {final:P1} is below the required {required:P1}.");
        return 1;
    }
    return 0;
}
