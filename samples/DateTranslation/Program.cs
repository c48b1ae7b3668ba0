// DateTranslation: human-readable dates ("tuesday 9 march 1993", "9/3/93", "march 9, 1993") → ISO dates
// ("1993-03-09") with an attention encoder–decoder compiled by Unroll.
//
//     dotnet run --project samples/DateTranslation -c Release                 train, evaluate, translate, draw attention
//     dotnet run --project samples/DateTranslation -c Release -- --help       the options
//
// The data is generated (26 formats, dates 1950–2049, numeric formats day first); 1,000 held-out dates are
// never trained on. Training is teacher-forced cross-entropy with Adam; the exact-match score uses greedy
// decoding, the printed translations beam search, and one attention map is drawn in the terminal and as a PNG.

using System.Diagnostics;
using System.Globalization;
using DateTranslation;
using Unroll;

const string Usage = """
    DateTranslation: human-readable dates → ISO dates with a bidirectional LSTM encoder and an LSTM decoder
    with additive attention, trained on generated dates, evaluated on 1,000 held-out ones.

    Options:
      --steps N        optimizer steps (default 1500)
      --lr RATE        Adam's learning rate (default 0.003)
      --seed N         seed of the initialisation and the data (default 1)
      --png FILE       where to draw the attention map (default date-attention.png)
      --date TEXT      also translate this date (may repeat)
      --require P      exit with status 1 if the held-out exact match ends below P (0 to 1)
      --help           this text
    """;

int steps = 1500, seed = 1;
float learningRate = 3e-3f;
string png = "date-attention.png";
double required = 0;
var extra = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string? Next() => i + 1 < args.Length ? args[++i] : null;
    bool ok = args[i] switch
    {
        "--steps" => int.TryParse(Next(), out steps) && steps > 0,
        "--lr" => float.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out learningRate) && learningRate > 0,
        "--seed" => int.TryParse(Next(), out seed),
        "--png" => (png = Next() ?? "") != "",
        "--date" => Next() is { } d && Add(extra, d),
        "--require" => double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out required),
        _ => false,
    };
    if (!ok)
    {
        Console.WriteLine(Usage);
        return args[i] == "--help" ? 0 : 2;
    }
}

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
double averageLoss = 0;
int report = Math.Max(1, Math.Min(250, steps / 10));
for (int step = 1; step <= steps; step++)
{
    float loss = translator.TrainStep();
    averageLoss = step == 1 ? loss : 0.98 * averageLoss + 0.02 * loss;
    if (step % report == 0 || step == steps)
    {
        double exact = translator.ExactMatch(heldOut);
        double perStep = clock.Elapsed.TotalSeconds / step;
        Console.WriteLine($"step {step,5}  loss {averageLoss:F4}  held-out exact match {exact:P1}  {perStep * 1000:F1} ms/step  {TimeSpan.FromSeconds(perStep * (steps - step)):m\\:ss} left");
    }
}
double final = translator.ExactMatch(heldOut);
Console.WriteLine($"Trained in {clock.Elapsed:m\\:ss}. Held-out exact match (greedy): {final:P1} of {heldOut.Count}.");

Console.WriteLine();
Console.WriteLine($"Beam search (width {DateTranslatorBeams.BeamWidth}):");
var examples = new List<string> { "tuesday 9 march 1993", "9/3/93", "march 9, 1993", "09 mar 1993" };
examples.AddRange(heldOut.Take(4).Select(e => e.Human));
examples.AddRange(extra);
(string Iso, float Score, float[] Attention, int Steps) shown = default;
foreach (string date in examples)
{
    if (!TryTranslate(date, out var result)) continue;
    Console.WriteLine($"  {date,-38} → {result.Iso}   (log p {result.Score:G3})");
    if (shown.Attention is null) shown = result;
}

// The attention of the first example: which source characters each output character looked at.
string source = examples[0], output = shown.Iso + "$";
Console.WriteLine();
Console.WriteLine($"Attention while translating \"{source}\" (rows: output characters, $ = end; columns: input characters):");
Console.Write(AttentionMap.ToGrid(shown.Attention, shown.Steps, source.Length, source, output));
AttentionMap.WritePng(png, shown.Attention, shown.Steps, source.Length);
Console.WriteLine($"Drawn as {Path.GetFullPath(png)}.");
if (final < required)
{
    Console.WriteLine($"The exact match {final:P1} is below the required {required:P1}.");
    return 1;
}
return 0;

bool TryTranslate(string date, out (string Iso, float Score, float[] Attention, int Steps) result)
{
    try
    {
        result = translator.TranslateBeam(date.ToLowerInvariant());
        return true;
    }
    catch (ArgumentException e)
    {
        Console.WriteLine($"  {date,-38} → cannot read it: {e.Message}");
        result = default;
        return false;
    }
}

static bool Add(List<string> list, string value)
{
    list.Add(value);
    return true;
}
