using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>The generator's copy of <c>Unroll.PaddingMode</c>.</summary>
internal enum PaddingMode
{
    Zeros,
    Reflect,
    Replicate,
    Circular,
}

/// <summary><c>[Conv1d(inChannels, outChannels, kernelSize, Stride, Padding, Dilation, Groups, Bias, PaddingMode, Causal)]</c> as written.</summary>
internal sealed record Conv1dSpec(int InChannels, int OutChannels, int KernelSize, int Stride, int Padding, int Dilation, int Groups, bool Bias,
    PaddingMode PaddingMode, bool Causal) : LayerSpec
{
    public override string Kind => "Conv1d";

    /// <summary>Input steps one output step spans: <c>dilation·(k − 1) + 1</c>.</summary>
    public int Reach => Dilation * (KernelSize - 1) + 1;

    /// <summary>
    /// PyTorch's output length for <paramref name="steps"/> input steps: 0 when the kernel reaches past the padded input, or
    /// the padding copies more steps than there are (reflection needs more steps than the padding, wrapping as many).
    /// </summary>
    public int OutputLength(int steps)
    {
        if (Stride <= 0 || Dilation <= 0 || KernelSize <= 0) return steps; // UNR0005 says so; the layers after it are checked as if it kept the steps
        if (PaddingMode == PaddingMode.Reflect ? steps <= Padding : PaddingMode == PaddingMode.Circular && steps < Padding) return 0;
        int padded = steps + (Causal ? Reach - 1 : 2 * Padding);
        return padded < Reach ? 0 : (padded - Reach) / Stride + 1;
    }
}

/// <summary>A convolution's plan: its sizes and options as checked.</summary>
internal sealed record Conv1dPlan(int KernelSize, int Stride, int Padding, int Dilation, int Groups, bool Bias, bool Causal, PaddingMode PaddingMode) : LayerPlan
{
    public override string Kind => "Conv1d";

    /// <summary>Input steps one output step spans, the streaming window: <c>dilation·(k − 1) + 1</c>.</summary>
    public int Reach => Dilation * (KernelSize - 1) + 1;

    /// <summary>Floats of the weight, <c>[out, in/groups, k]</c>, and of its packed copy.</summary>
    public int WeightLength => Out * (In / Groups) * KernelSize;

    /// <summary>
    /// Whether a step of the stream may yield no output: with a stride, or without causal padding (the first
    /// <c>Reach − 1</c> inputs only fill the window). Exactly when the layer maps the time axis.
    /// </summary>
    public bool SkipsSteps => Stride > 1 || (!Causal && 2 * Padding != Reach - 1);

    /// <summary>Inputs before the first output: none when causal (the window starts as the left padding), else a full window.</summary>
    public int FirstOutput => Causal ? 0 : Reach - 1;

    /// <summary>The streaming window of the last <see cref="Reach"/> inputs.</summary>
    public StreamWindow Window => new(this, Reach, Stride, FirstOutput, SkipsSteps);
}

/// <summary>What a convolution keeps in a pass: its packed weight (read by <c>Backward</c> too).</summary>
internal sealed record ConvolutionBuffers(string PackedWeight) : LayerRegions;

/// <summary>
/// <c>[Conv1d(…)]</c> as <c>nn.Conv1d</c> over the time axis (<see cref="Unroll.Kernels.Convolution"/>): each row on its
/// own steps, the layers after it on the mapped steps; streaming keeps a window of the last inputs.
/// </summary>
internal sealed class Conv1dHandler : LayerHandler<Conv1dSpec, Conv1dPlan>
{
    private const string Convolution = "global::Unroll.Kernels.Convolution";

    public override string Kind => "Conv1d";

    public override string? NeedsTimeAxis => "Convolution layer";

    protected override Conv1dSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(3) is { } sizes
            ? new Conv1dSpec(sizes[0], sizes[1], sizes[2], arguments.Named("Stride", 1), arguments.Named("Padding", 0), arguments.Named("Dilation", 1),
                arguments.Named("Groups", 1), arguments.Named("Bias", true), (PaddingMode)arguments.Named("PaddingMode", 0), arguments.Named("Causal", false))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(Conv1dSpec layer) => new[]
    {
        ("inChannels", layer.InChannels), ("outChannels", layer.OutChannels), ("kernelSize", layer.KernelSize),
        ("Stride", layer.Stride), ("Dilation", layer.Dilation), ("Groups", layer.Groups),
    };

    protected override void CheckOptions(Conv1dSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Padding < 0) Invalid(layer, "Padding", layer.Padding, "at least 0", diagnostics);
        if (layer.Causal && layer.Padding != 0)
            Invalid(layer, "Padding", layer.Padding, "0 with Causal = true, which pads (kernelSize − 1)·Dilation steps on the left by itself", diagnostics);
        if (layer.PaddingMode is < PaddingMode.Zeros or > PaddingMode.Circular)
            Invalid(layer, "PaddingMode", (int)layer.PaddingMode, "Zeros, Reflect, Replicate or Circular", diagnostics);
        else if (layer.Causal && layer.PaddingMode != PaddingMode.Zeros)
            Invalid(layer, "PaddingMode", layer.PaddingMode, "Zeros with Causal = true", diagnostics);
        if (positive && (layer.InChannels % layer.Groups != 0 || layer.OutChannels % layer.Groups != 0))
            Invalid(layer, "Groups", layer.Groups, $"a divisor of both inChannels ({layer.InChannels}) and outChannels ({layer.OutChannels})", diagnostics);
    }

    /// <summary>UNR0031 when the kernel reaches past the longest input the layer gets, padded.</summary>
    public override void CheckPlace(ModelSpec spec, int index, int inputWidth, List<DiagnosticInfo> diagnostics)
    {
        var layer = (Conv1dSpec)spec.Layers[index];
        int steps = InputSteps(spec, index);
        if (steps > 0 && layer.OutputLength(steps) == 0)
        {
            string padding = layer.Causal ? $"{layer.Reach - 1} on the left" : $"{layer.Padding} on each side";
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.KernelTooLong, layer.Location, layer.Property,
                $"kernel ({layer.KernelSize} taps, dilation {layer.Dilation})", layer.Reach, steps, padding));
        }
    }

    /// <summary>The most steps layer <paramref name="index"/> gets: the sequence length mapped by the layers before it (0 without a valid length).</summary>
    internal static int InputSteps(ModelSpec spec, int index)
    {
        int steps = spec.SequenceLength is > 0 and var length ? length : 0;
        for (int i = 0; i < index; i++) steps = For(spec.Layers[i].Kind).OutputSteps(spec.Layers[i], steps);
        return steps;
    }

    protected override int? InputWidth(Conv1dSpec layer) => layer.InChannels;

    protected override int OutputWidth(Conv1dSpec layer, int inputWidth) => layer.OutChannels;

    protected override int OutputSteps(Conv1dSpec layer, int inputSteps) => layer.OutputLength(inputSteps);

    /// <summary>PyTorch's formula with the sizes as literals; none when it is the identity (causal or "same" padding at stride 1).</summary>
    protected override string? MapsLength(Conv1dPlan layer, string length) =>
        layer.SkipsSteps ? MapLength(length, layer.Reach, layer.Causal ? layer.Reach - 1 : 2 * layer.Padding, layer.Stride) : null;

    /// <summary>
    /// PyTorch's output length of a window of <paramref name="reach"/> steps moved by <paramref name="stride"/> over
    /// <paramref name="length"/> steps padded by <paramref name="padding"/> in all, <c>⌊(T + padding − reach) / stride⌋ + 1</c>,
    /// as C# with the sizes folded into literals.
    /// </summary>
    internal static string MapLength(string length, int reach, int padding, int stride)
    {
        int removed = reach - padding - (stride == 1 ? 1 : 0); // subtracted before the division (at stride 1: T + padding − reach + 1)
        string numerator = removed == 0 ? length : removed > 0 ? $"{length} - {removed}" : $"{length} + {-removed}";
        return stride == 1 ? numerator : $"({numerator}) / {stride} + 1";
    }

    /// <summary>PyTorch's initialisation: weight and bias uniform in ±1/√(in/groups · k).</summary>
    protected override void AddParameters(Conv1dSpec layer, int inputWidth, ParameterAdder add)
    {
        double bound = 1 / Math.Sqrt((double)layer.InChannels / layer.Groups * layer.KernelSize);
        add("weight", new[] { layer.OutChannels, layer.InChannels / layer.Groups, layer.KernelSize }, InitKind.Uniform, bound);
        if (layer.Bias) add("bias", new[] { layer.OutChannels }, InitKind.Uniform, bound);
    }

    protected override Conv1dPlan Plan(Conv1dSpec layer) =>
        new(layer.KernelSize, layer.Stride, layer.Padding, layer.Dilation, layer.Groups, layer.Bias, layer.Causal, layer.PaddingMode);

    /// <summary>A stream needs the padding on the left only: causal, or none (then the first outputs wait for a full window).</summary>
    protected override bool CanStream(Conv1dPlan layer) => layer.Causal || layer.Padding == 0;

    public override bool PacksStepWeights => true;

    public override bool HasRunningState(ModelPlan plan, int index) => true;

    /// <summary>The output, and the weight packed tap by tap (<c>[k, out, in/groups]</c>), which <c>Backward</c> reads too.</summary>
    protected override LayerBuffers AddBuffers(Conv1dPlan layer, BufferContext c) => OutputBuffers(layer, c) with
    {
        Regions = new ConvolutionBuffers(c.Add(layer, "PackedWeight", layer.WeightLength, $"{layer.Property} weight packed tap by tap, [{layer.KernelSize}, {layer.Out}, {layer.In / layer.Groups}]")),
    };

    /// <summary>The streaming window (<see cref="StreamWindow"/>), when the layer streams.</summary>
    protected override Conv1dPlan AddStates(Conv1dPlan layer, Planner.ArenaBuilder arena, int batch)
    {
        if (CanStream(layer)) layer.Window.AddStates(arena, batch);
        return layer;
    }

    protected override IEnumerable<(string Name, long Length, string Comment)> Scratch(Conv1dPlan layer, int steps, int batch, bool training) =>
        training ? new[] { ("PackedGradient", (long)layer.WeightLength, "a convolution's weight gradient, packed tap by tap") } : Array.Empty<(string, long, string)>();

    protected override string Describe(Conv1dPlan layer)
    {
        var options = new List<string> { $"k {layer.KernelSize}" };
        if (layer.Stride != 1) options.Add($"stride {layer.Stride}");
        if (layer.Causal) options.Add("causal");
        else if (layer.Padding != 0) options.Add($"padding {layer.Padding}{(layer.PaddingMode == PaddingMode.Zeros ? "" : ", " + layer.PaddingMode.ToString().ToLowerInvariant())}");
        if (layer.Dilation != 1) options.Add($"dilation {layer.Dilation}");
        if (layer.Groups != 1) options.Add($"groups {layer.Groups}");
        if (!layer.Bias) options.Add("no bias");
        return $"Conv1d({layer.In} → {layer.Out}, {string.Join(", ", options)})";
    }

    protected override string ViewArguments(ModelPlan plan, Conv1dPlan layer, int index) =>
        ParameterView(plan, index, $"{layer.In}, {layer.Out}, {layer.KernelSize}, {layer.Stride}, {layer.Groups}, {(layer.Bias ? "true" : "false")}");

    /// <summary>The step's countdown, a field of the model.</summary>
    public override void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
        if (part == ModelPart.Constants) ((Conv1dPlan)plan.Layers[index]).Window.WriteCountdownField(w, plan);
    }

    public override IEnumerable<string> StepNotes(ModelPlan plan, int index) => ((Conv1dPlan)plan.Layers[index]).Window.StepNotes(plan);

    protected override void WriteResetState(SourceWriter w, ModelPlan plan, Conv1dPlan layer, int index) =>
        layer.Window.WriteReset(w, plan, layer.Causal ? " (the causal padding)" : "");

    protected override void WriteReorderState(SourceWriter w, ModelPlan plan, Conv1dPlan layer, int index) => layer.Window.WriteReorder(w, plan);

    public override void WritePacking(SourceWriter w, ModelPlan plan, int index, PackingMethod method)
    {
        if (method != PackingMethod.StepWeights) return;
        var layer = (Conv1dPlan)plan.Layers[index];
        w.Line($"// {layer.Property}: weight [{layer.Out}, {layer.In / layer.Groups}, {layer.KernelSize}] tap by tap");
        WritePack(w, layer, Regions<ConvolutionBuffers>(plan.Step!.Layers[index]).PackedWeight);
    }

    private static void WritePack(SourceWriter w, Conv1dPlan layer, string packed) =>
        w.Line($"{Convolution}.PackWeights(p.Slice(Layout.{layer.ParameterNames[0]}, {layer.WeightLength}), a.Slice(Layout.{packed}, {layer.WeightLength}), {layer.In}, {layer.Out}, {layer.KernelSize}, {layer.Groups});");

    private static string Mode(Conv1dPlan layer) => "global::Unroll.PaddingMode." + layer.PaddingMode;

    private static string BiasSlice(Conv1dPlan layer) => layer.Bias ? $"p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out})" : "default";

    protected override void WriteForward(LayerPass pass, Conv1dPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        int B = plan.BatchSize;
        string packed = Regions<ConvolutionBuffers>(buffers).PackedWeight;
        string equation = $"y[t] = {(layer.Bias ? "b + " : "")}Σ_j W[:, :, j]·x[{(layer.Stride == 1 ? "" : layer.Stride + "·")}t + {(layer.Dilation == 1 ? "" : layer.Dilation + "·")}j{(layer.Causal ? $" − {layer.Reach - 1}" : layer.Padding != 0 ? $" − {layer.Padding}" : "")}]";
        if (pass.Streaming)
        {
            int row = B * layer.In, R = layer.Reach;
            w.Line($"// {layer.Property}: {Describe(layer)}: the window of the last {R} inputs moves one step, then {equation} over it");
            layer.Window.WriteAdvance(w, plan, pass.Input);
            w.Line($"{Convolution}.Forward(a.Slice(Layout.{layer.Window.Name}, {R * row}), a.Slice(Layout.{packed}, {layer.WeightLength}), {BiasSlice(layer)}, a.Slice(Layout.{buffers.Output}, {B * layer.Out}), {B}, {R}, {B}, {R}, default, {layer.In}, {layer.Out}, {layer.KernelSize}, 1, 0, {layer.Dilation}, {layer.Groups}, false, global::Unroll.PaddingMode.Zeros);");
            return;
        }
        w.Line($"// {layer.Property}: {Describe(layer)}: {equation}, each row over its own steps ({layer.RowLengths}), zeros past them");
        WritePack(w, layer, packed);
        w.Line($"{Convolution}.Forward(a.Slice(Layout.{pass.Input}, {layer.InputSteps * B * layer.In}), a.Slice(Layout.{packed}, {layer.WeightLength}), {BiasSlice(layer)}, a.Slice(Layout.{buffers.Output}, {layer.OutputSteps * B * layer.Out}), {B}, {layer.InputSteps}, {B}, {layer.Length}, {layer.RowLengths}, {layer.In}, {layer.Out}, {layer.KernelSize}, {layer.Stride}, {layer.Padding}, {layer.Dilation}, {layer.Groups}, {(layer.Causal ? "true" : "false")}, {Mode(layer)});");
    }

    protected override void WriteBackward(LayerPass pass, Conv1dPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        int B = plan.BatchSize;
        string? inputGradient = pass.InputGradient;
        string dx = inputGradient is null ? "default" : $"a.Slice(Layout.{inputGradient}, {layer.InputSteps * B * layer.In})";
        if (inputGradient is not null && pass.Guard.Length > 0) dx = $"inputGradient ? {dx} : default";
        string db = layer.Bias && layer.Trainable ? $"g.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out})" : "default";
        string dw = layer.Trainable ? $"g.Slice(Layout.{layer.ParameterNames[0]}, {layer.WeightLength})" : "default";
        w.Line(layer.Trainable
            ? $"// {layer.Property}: ∂W += Σ_t ∂y[t]ᵀ·x[taps]{(layer.Bias ? ", ∂b += Σ_t ∂y[t]" : "")}{(inputGradient is null ? "" : ", ∂x[taps] = Σ ∂y[t]·W")}, each row over its own steps"
            : $"// {layer.Property}: frozen (Trainable = false): ∂x[taps] = Σ ∂y[t]·W, each row over its own steps");
        w.Line($"{Convolution}.Backward(a.Slice(Layout.{pass.Input}, {layer.InputSteps * B * layer.In}), a.Slice(Layout.{Regions<ConvolutionBuffers>(buffers).PackedWeight}, {layer.WeightLength}), a.Slice(Layout.{buffers.OutputGradient}, {layer.OutputSteps * B * layer.Out}), {dx}, {dw}, {db}, a.Slice(Layout.PackedGradient, {layer.WeightLength}), {B}, {layer.InputSteps}, {B}, {layer.Length}, {layer.RowLengths}, {layer.In}, {layer.Out}, {layer.KernelSize}, {layer.Stride}, {layer.Padding}, {layer.Dilation}, {layer.Groups}, {(layer.Causal ? "true" : "false")}, {Mode(layer)}, false);");
    }
}
