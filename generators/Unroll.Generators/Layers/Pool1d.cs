namespace Unroll.Generators.Layers;

/// <summary><c>[MaxPool1d(kernelSize, Stride, Padding, Dilation)]</c> or <c>[AvgPool1d(kernelSize, Stride, Padding, CountIncludePad)]</c> as written (<see cref="Stride"/> 0: the kernel's size).</summary>
internal sealed record Pool1dSpec(bool Max, int KernelSize, int Stride, int Padding, int Dilation, bool CountIncludePad) : LayerSpec
{
    public override string Kind => Max ? "MaxPool1d" : "AvgPool1d";

    /// <summary>The stride, PyTorch's default (the kernel's size) for 0.</summary>
    public int Step => Stride == 0 ? KernelSize : Stride;

    /// <summary>Input steps one window spans: <c>dilation·(k − 1) + 1</c>.</summary>
    public int Reach => Dilation * (KernelSize - 1) + 1;

    /// <summary>PyTorch's output length for <paramref name="steps"/> input steps (0 when the window reaches past the padded input).</summary>
    public int OutputLength(int steps)
    {
        if (Step <= 0 || Dilation <= 0 || KernelSize <= 0) return steps; // sizes reported apart (UNR0005, UNR0017)
        int padded = steps + 2 * Padding;
        return padded < Reach ? 0 : (padded - Reach) / Step + 1;
    }
}

/// <summary>A window pooling layer's plan: its sizes and options as checked (<see cref="Stride"/> resolved).</summary>
internal sealed record Pool1dPlan(bool Max, int KernelSize, int Stride, int Padding, int Dilation, bool CountIncludePad) : LayerPlan
{
    public override string Kind => Max ? "MaxPool1d" : "AvgPool1d";

    /// <summary>Input steps one window spans, the streaming window: <c>dilation·(k − 1) + 1</c>.</summary>
    public int Reach => Dilation * (KernelSize - 1) + 1;

    /// <summary>Whether a step of the stream may yield no output (a stride, or a window of more than one step): exactly when the layer maps the time axis.</summary>
    public bool SkipsSteps => Stride > 1 || 2 * Padding != Reach - 1;

    /// <summary>The streaming window of the last <see cref="Reach"/> inputs (unpadded: the first output waits for a full window).</summary>
    public StreamWindow Window => new(this, Reach, Stride, Reach - 1, SkipsSteps);
}

/// <summary>
/// <c>[MaxPool1d]</c> and <c>[AvgPool1d]</c> as <c>nn.MaxPool1d</c> and <c>nn.AvgPool1d</c> over the time axis
/// (<see cref="Unroll.Kernels.Pooling"/>): each row on its own steps, the layers after it on the mapped steps, the width of
/// the layer before it; without padding, streaming keeps a window of the last inputs as <c>[Conv1d]</c> does (<see cref="StreamWindow"/>).
/// </summary>
internal abstract class Pool1dHandler : LayerHandler<Pool1dSpec, Pool1dPlan>
{
    private const string Kernels = "global::Unroll.Kernels.Pooling";

    private readonly bool _max;

    protected Pool1dHandler(bool max) => _max = max;

    public override string Kind => _max ? "MaxPool1d" : "AvgPool1d";

    public override bool PassesWidthOn => true;

    public override string? NeedsTimeAxis => "Pooling layer";

    /// <summary>One size; <c>Stride</c>, <c>Padding</c>, and <c>Dilation</c> (max) or <c>CountIncludePad</c> (average).</summary>
    protected override Pool1dSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Single<int>() is { } kernelSize
            ? new Pool1dSpec(_max, kernelSize, arguments.Named("Stride", 0), arguments.Named("Padding", 0), _max ? arguments.Named("Dilation", 1) : 1,
                !_max && arguments.Named("CountIncludePad", true))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(Pool1dSpec layer) =>
        _max ? new[] { ("kernelSize", layer.KernelSize), ("Dilation", layer.Dilation) } : new[] { ("kernelSize", layer.KernelSize) };

    /// <summary>A stride of at least 0 (0: the kernel's size) and PyTorch's padding of at most half the kernel.</summary>
    protected override void CheckOptions(Pool1dSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Stride < 0) Invalid(layer, "Stride", layer.Stride, "positive, or 0 for the kernel's size", diagnostics);
        if (layer.Padding < 0 || (positive && layer.Padding > layer.KernelSize / 2))
            Invalid(layer, "Padding", layer.Padding, $"from 0 to half the kernel size ({Math.Max(0, layer.KernelSize / 2)}), as PyTorch requires", diagnostics);
    }

    /// <summary>UNR0031 when the window reaches past the longest input the layer gets, padded.</summary>
    public override void CheckPlace(ModelSpec spec, int index, int inputWidth, List<DiagnosticInfo> diagnostics)
    {
        var layer = (Pool1dSpec)spec.Layers[index];
        int steps = Conv1dHandler.InputSteps(spec, index);
        if (steps > 0 && layer.Stride >= 0 && layer.Padding >= 0 && layer.OutputLength(steps) == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.KernelTooLong, layer.Location, layer.Property,
                $"pooling window ({layer.KernelSize} steps, dilation {layer.Dilation})", layer.Reach, steps, $"{layer.Padding} on each side"));
        }
    }

    protected override int? InputWidth(Pool1dSpec layer) => null;

    protected override int OutputWidth(Pool1dSpec layer, int inputWidth) => inputWidth;

    protected override int OutputSteps(Pool1dSpec layer, int inputSteps) => layer.OutputLength(inputSteps);

    /// <summary>PyTorch's formula with the sizes as literals; none when it is the identity (a window of one step at stride 1).</summary>
    protected override string? MapsLength(Pool1dPlan layer, string length) =>
        layer.SkipsSteps ? Conv1dHandler.MapLength(length, layer.Reach, 2 * layer.Padding, layer.Stride) : null;

    protected override Pool1dPlan Plan(Pool1dSpec layer) => new(layer.Max, layer.KernelSize, layer.Step, layer.Padding, layer.Dilation, layer.CountIncludePad);

    /// <summary>A stream needs no padding on the right: only an unpadded layer streams (its first output waits for a full window).</summary>
    protected override bool CanStream(Pool1dPlan layer) => layer.Padding == 0;

    public override bool HasRunningState(ModelPlan plan, int index) => true;

    protected override Pool1dPlan AddStates(Pool1dPlan layer, Planner.ArenaBuilder arena, int batch)
    {
        if (CanStream(layer)) layer.Window.AddStates(arena, batch);
        return layer;
    }

    protected override string Describe(Pool1dPlan layer)
    {
        var options = new List<string> { $"k {layer.KernelSize}" };
        if (layer.Stride != 1) options.Add($"stride {layer.Stride}");
        if (layer.Padding != 0) options.Add($"padding {layer.Padding}");
        if (layer.Dilation != 1) options.Add($"dilation {layer.Dilation}");
        if (!layer.Max && layer.Padding != 0 && !layer.CountIncludePad) options.Add("padding not counted");
        return $"{layer.Kind}({string.Join(", ", options)})";
    }

    protected override string ViewArguments(ModelPlan plan, Pool1dPlan layer, int index) =>
        $"{layer.KernelSize}, {layer.Stride}, {layer.Padding}, {(layer.Max ? layer.Dilation.ToString(System.Globalization.CultureInfo.InvariantCulture) : layer.CountIncludePad ? "true" : "false")}, {layer.Out}";

    /// <summary>The step's countdown, a field of the model.</summary>
    public override void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
        if (part == ModelPart.Constants) ((Pool1dPlan)plan.Layers[index]).Window.WriteCountdownField(w, plan);
    }

    public override IEnumerable<string> StepNotes(ModelPlan plan, int index) => ((Pool1dPlan)plan.Layers[index]).Window.StepNotes(plan);

    protected override void WriteResetState(SourceWriter w, ModelPlan plan, Pool1dPlan layer, int index) => layer.Window.WriteReset(w, plan, "");

    protected override void WriteReorderState(SourceWriter w, ModelPlan plan, Pool1dPlan layer, int index) => layer.Window.WriteReorder(w, plan);

    /// <summary>What the layer computes, for the comments.</summary>
    private static string Equation(Pool1dPlan layer)
    {
        string taps = $"x[{(layer.Stride == 1 ? "" : layer.Stride + "·")}t + {(layer.Dilation == 1 ? "" : layer.Dilation + "·")}j{(layer.Padding != 0 ? $" − {layer.Padding}" : "")}]";
        return layer.Max ? $"y[t] = max_j {taps}" : $"y[t] = Σ_j {taps} / {(layer.CountIncludePad || layer.Padding == 0 ? layer.KernelSize.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(taps inside the row)")}";
    }

    /// <summary>The kernel's options after its sizes: the dilation (max) or whether padding counts (average).</summary>
    private static string Option(Pool1dPlan layer) => layer.Max ? layer.Dilation.ToString(System.Globalization.CultureInfo.InvariantCulture) : layer.CountIncludePad ? "true" : "false";

    protected override void WriteForward(LayerPass pass, Pool1dPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        int B = plan.BatchSize, C = layer.In;
        string kernel = layer.Max ? "MaxForward" : "AverageForward";
        if (pass.Streaming)
        {
            int R = layer.Reach;
            w.Line($"// {layer.Property}: {Describe(layer)}: the window of the last {R} inputs moves one step, then {Equation(layer)} over it");
            layer.Window.WriteAdvance(w, plan, pass.Input);
            w.Line($"{Kernels}.{kernel}(a.Slice(Layout.{layer.Window.Name}, {R * B * C}), a.Slice(Layout.{buffers.Output}, {B * C}), {B}, {R}, {B}, {R}, default, {C}, {layer.KernelSize}, 1, 0, {Option(layer)});");
            return;
        }
        w.Line($"// {layer.Property}: {Describe(layer)}: {Equation(layer)} over the taps inside each row's own steps ({layer.RowLengths}), zeros past them");
        w.Line($"{Kernels}.{kernel}(a.Slice(Layout.{pass.Input}, {layer.InputSteps * B * C}), a.Slice(Layout.{buffers.Output}, {layer.OutputSteps * B * C}), {B}, {layer.InputSteps}, {B}, {layer.Length}, {layer.RowLengths}, {C}, {layer.KernelSize}, {layer.Stride}, {layer.Padding}, {Option(layer)});");
    }

    protected override void WriteBackward(LayerPass pass, Pool1dPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        if (pass.InputGradient is not { } inputGradient) return;
        int B = plan.BatchSize, C = layer.In;
        string dy = $"a.Slice(Layout.{buffers.OutputGradient}, {layer.OutputSteps * B * C})", dx = $"a.Slice(Layout.{inputGradient}, {layer.InputSteps * B * C})";
        string sizes = $"{B}, {layer.InputSteps}, {B}, {layer.Length}, {layer.RowLengths}, {C}, {layer.KernelSize}, {layer.Stride}, {layer.Padding}, {Option(layer)}";
        if (layer.Max)
        {
            w.Line($"// {layer.Property}: ∂x[r] = Σ ∂y[t] over the windows whose first maximum r holds, each row over its own steps");
            w.Line($"{pass.Guard}{Kernels}.MaxBackward(a.Slice(Layout.{pass.Input}, {layer.InputSteps * B * C}), a.Slice(Layout.{buffers.Output}, {layer.OutputSteps * B * C}), {dy}, {dx}, {sizes});");
        }
        else
        {
            w.Line($"// {layer.Property}: ∂x[r] = Σ ∂y[t] / divisor over the windows that hold r, each row over its own steps");
            w.Line($"{pass.Guard}{Kernels}.AverageBackward({dy}, {dx}, {sizes});");
        }
    }
}

/// <summary><c>[MaxPool1d(kernelSize, Stride, Padding, Dilation)]</c>.</summary>
internal sealed class MaxPool1dHandler() : Pool1dHandler(max: true);

/// <summary><c>[AvgPool1d(kernelSize, Stride, Padding, CountIncludePad)]</c>.</summary>
internal sealed class AvgPool1dHandler() : Pool1dHandler(max: false);
