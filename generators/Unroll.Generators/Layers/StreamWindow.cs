using System.Globalization;

namespace Unroll.Generators.Layers;

/// <summary>
/// The streaming state of a layer that slides a window over time (<c>[Conv1d]</c>, <c>[MaxPool1d]</c>, <c>[AvgPool1d]</c>):
/// the last <see cref="Reach"/> inputs of every row, oldest first, and, when not every step yields an output
/// (<see cref="SkipsSteps"/>), a countdown field to the next one; the model's <c>Step</c> then returns whether it wrote its output.
/// </summary>
/// <param name="Layer">The layer's plan (its property and input width).</param>
/// <param name="Reach">Input steps one output step spans: <c>dilation·(k − 1) + 1</c>.</param>
/// <param name="Stride">Input steps between outputs.</param>
/// <param name="FirstOutput">Inputs before the first output: none when the window starts as left padding, else <c>Reach − 1</c>.</param>
/// <param name="SkipsSteps">Whether a step may yield no output: exactly when the layer maps the time axis.</param>
internal sealed record StreamWindow(LayerPlan Layer, int Reach, int Stride, int FirstOutput, bool SkipsSteps)
{
    /// <summary>The window's region, <c>[Reach, batch, in]</c>.</summary>
    public string Name => $"{Layer.Property}_Window";

    /// <summary>The streaming step's countdown to its next output (<c>Step</c> yields one when it is 0).</summary>
    public string Countdown => $"_{Layer.Property.Replace('.', '_')}StepsToOutput";

    /// <summary>The window, and a step of it that <c>ReorderState</c> reorders through.</summary>
    public void AddStates(Planner.ArenaBuilder arena, int batch)
    {
        string property = Layer.Property;
        arena.Add(Name, (long)Reach * batch * Layer.In, $"{property} streaming window: its last {Reach} inputs, [{Reach}, batch, {Layer.In}]");
        arena.Add($"{property}_Reordered", (long)batch * Layer.In, $"{property}: one step of the window, as ReorderState reorders it");
    }

    /// <summary>The step's countdown, a field of the model (<see cref="ModelPart.Constants"/>), when the model steps and the layer skips steps.</summary>
    public void WriteCountdownField(SourceWriter w, ModelPlan plan)
    {
        if (!plan.CanStep || !SkipsSteps) return;
        w.Line($"/// <summary>Streaming: inputs {Layer.Property} takes before its next output (its stride, and at first {(FirstOutput == 0 ? "none" : "a full window")}).</summary>");
        w.Line($"private int {Countdown} = {FirstOutput};");
        w.Line();
    }

    /// <summary>The model's remarks on which steps yield an output.</summary>
    public IEnumerable<string> StepNotes(ModelPlan plan)
    {
        if (plan.Step is null || !SkipsSteps) yield break;
        yield return $"<para><c>{Layer.Property}</c> yields an output on every {Ordinal(Stride)} input{(FirstOutput > 0 ? $" from the {Ordinal(FirstOutput + 1)} on (its window of {Reach} steps full)" : ", the first included")}: "
            + "<c>Step</c> returns <see langword=\"true\"/> when the model's output was written, <see langword=\"false\"/> when the input only went into the window.</para>";
    }

    /// <summary>"4th", "2nd", "21st"; "" for 1 (every input).</summary>
    private static string Ordinal(int n) => n == 1 ? "" : n.ToString(CultureInfo.InvariantCulture) + (n % 100 is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    /// <summary><c>ResetState</c>: an empty window (<paramref name="what"/> says what its zeros stand for, or ""), the countdown back to its start.</summary>
    public void WriteReset(SourceWriter w, ModelPlan plan, string what)
    {
        w.Line($"a.Slice(Layout.{Name}, {Reach * plan.BatchSize * Layer.In}).Clear(); // {Layer.Property}: an empty window{what}");
        if (SkipsSteps) w.Line($"{Countdown} = {FirstOutput};");
    }

    /// <summary><c>ReorderState</c>: row b's window takes row <c>sources[b]</c>'s, step by step.</summary>
    public void WriteReorder(SourceWriter w, ModelPlan plan)
    {
        int B = plan.BatchSize, C = Layer.In;
        w.Line($"// {Layer.Property}: row b's window takes row sources[b]'s, step by step");
        w.Line($"for (int t = 0; t < {Reach}; t++)");
        w.Line("{");
        w.Line($"    global::System.Span<float> window = a.Slice(Layout.{Name} + t * {B * C}, {B * C}), held = a.Slice(Layout.{Layer.Property}_Reordered, {B * C});");
        w.Line("    window.CopyTo(held);");
        w.Line($"    for (int b = 0; b < {B}; b++) held.Slice(sources[b] * {C}, {C}).CopyTo(window.Slice(b * {C}, {C}));");
        w.Line("}");
    }

    /// <summary>
    /// The step's start: the window moves one step and takes <paramref name="input"/> in; when the layer skips steps,
    /// <c>StepCore</c> returns false until the countdown reaches 0, which then starts again at the stride.
    /// </summary>
    public void WriteAdvance(SourceWriter w, ModelPlan plan, string input)
    {
        int row = plan.BatchSize * Layer.In, R = Reach;
        if (R > 1) w.Line($"a.Slice(Layout.{Name} + {row}, {(R - 1) * row}).CopyTo(a.Slice(Layout.{Name}, {(R - 1) * row}));");
        w.Line($"a.Slice(Layout.{input}, {row}).CopyTo(a.Slice(Layout.{Name} + {(R - 1) * row}, {row}));");
        if (!SkipsSteps) return;
        w.Line($"if ({Countdown} > 0)");
        w.Line("{");
        w.Line($"    {Countdown}--;");
        w.Line("    return false; // no output this step");
        w.Line("}");
        w.Line($"{Countdown} = {Stride - 1};");
    }
}
