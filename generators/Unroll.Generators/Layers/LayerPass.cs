namespace Unroll.Generators.Layers;

/// <summary>Where in the model class <see cref="LayerHandler.WriteModelMembers"/> writes.</summary>
internal enum ModelPart
{
    /// <summary>After the model's constants: the layer's own constants and fields.</summary>
    Constants,

    /// <summary>The entry points, when the handler <see cref="LayerHandler.WritesEntryPoints"/>.</summary>
    EntryPoints,

    /// <summary>After <c>ForwardCore</c>, <c>StepCore</c> and <c>BackwardCore</c>: the layer's own passes.</summary>
    Passes,

    /// <summary>After the model's argument checks: the layer's own.</summary>
    Checks,

    /// <summary>After <c>StepCore</c>: methods the streaming step calls (an unrolled step's).</summary>
    StepPasses,
}

/// <summary>The methods that pack weights for the kernels (see <see cref="LayerHandler.WritePacking"/>).</summary>
internal enum PackingMethod
{
    /// <summary><c>PackStepWeights</c>: what the streaming step reads, when the parameters may have changed.</summary>
    StepWeights,

    /// <summary><c>PackSequenceWeights</c>: what the sequence passes read.</summary>
    SequenceWeights,

    /// <summary><c>PackedWeightsCurrent</c>: whether the weights are still those last packed for the sequence passes.</summary>
    WeightsCurrent,
}

/// <summary>Where one pass's layer buffers go: the arena, the pass's name prefix (<c>Step_</c>), its steps and rows.</summary>
internal sealed class BufferContext
{
    public BufferContext(ModelSpec spec, Planner.ArenaBuilder arena, string prefix, int steps, int batch, bool gradients, bool streaming)
    {
        Spec = spec;
        Arena = arena;
        Prefix = prefix;
        Steps = steps;
        B = batch;
        Gradients = gradients;
        Streaming = streaming;
    }

    public ModelSpec Spec { get; }

    public Planner.ArenaBuilder Arena { get; }

    /// <summary>What the pass's buffer names start with: "" for the sequence, <c>Step_</c> for one step.</summary>
    public string Prefix { get; }

    /// <summary>The steps the pass holds: the sequence length, or 1.</summary>
    public int Steps { get; }

    /// <summary>The batch size.</summary>
    public int B { get; }

    /// <summary>Whether the pass keeps what <c>Backward</c> needs (the sequence pass of a model that trains).</summary>
    public bool Gradients { get; }

    /// <summary>One step (<c>Step</c>) rather than a sequence.</summary>
    public bool Streaming { get; }

    /// <summary>The shape of a buffer with a row per step and batch row: one step's buffers have no time axis.</summary>
    public string Rows(int width) => Streaming ? $"[batch, {width}]" : $"[time, batch, {width}]";

    /// <summary>Rows of the layer's buffers: a row per step and batch row, or per batch row after a layer that keeps only its last step.</summary>
    public long RowsOf(LayerPlan layer) => (long)(layer.SequenceInput && !Streaming ? layer.InputSteps : 1) * B;

    /// <summary>Rows of the layer's output: a row per output step and batch row (<see cref="LayerPlan.OutputSteps"/>), or per batch row.</summary>
    public long OutputRowsOf(LayerPlan layer) => (long)(layer.SequenceOutput && !Streaming ? layer.OutputSteps : 1) * B;

    /// <summary>The shape of the layer's output in this pass.</summary>
    public string ShapeOf(LayerPlan layer) => layer.SequenceOutput ? Rows(layer.Out) : $"[batch, {layer.Out}]";

    /// <summary>A region named <c>{Prefix}{Property}_{what}</c>.</summary>
    public string Add(LayerPlan layer, string what, long length, string comment) => Arena.Add($"{Prefix}{layer.Property}_{what}", length, comment);
}

/// <summary>
/// Adds one state-dict tensor: its name within the layer, shape, how PyTorch initialises it (uniform in ±bound, normal, 0,
/// 1), whether it is a trainable parameter or a buffer (<c>register_buffer</c>: saved and loaded, never trained), and
/// whether PyTorch keeps it as int64 (a count: held as a float, saved as <c>I64</c>).
/// </summary>
internal delegate void ParameterAdder(string name, int[] shape, InitKind init, double bound, bool trainable = true, bool integer = false);

/// <summary>What a layer's pass code needs: where to write, the model, the layer, its buffers in the pass, and its input.</summary>
internal sealed class LayerPass
{
    private readonly ModeBuffers _mode;

    public LayerPass(SourceWriter w, ModelPlan plan, int index, bool streaming)
    {
        W = w;
        Plan = plan;
        Index = index;
        Streaming = streaming;
        _mode = streaming ? plan.Step! : plan.Sequence;
    }

    public SourceWriter W { get; }

    /// <summary>What every pass uses: <c>var (w, plan, layer, buffers) = pass;</c>.</summary>
    public void Deconstruct(out SourceWriter w, out ModelPlan plan, out LayerPlan layer, out LayerBuffers buffers) =>
        (w, plan, layer, buffers) = (W, Plan, Layer, Buffers);

    public ModelPlan Plan { get; }

    /// <summary>The layer's index in <see cref="ModelPlan.Layers"/>.</summary>
    public int Index { get; }

    /// <summary>One step (<c>StepCore</c>), or a sequence of <c>length</c> steps.</summary>
    public bool Streaming { get; }


    public LayerPlan Layer => Plan.Layers[Index];

    public LayerBuffers Buffers => _mode.Layers[Index];

    /// <summary>The <c>Layout</c> name of the layer's input: the model's input, or the previous layer's output.</summary>
    public string Input => Index == 0 ? _mode.Input : _mode.Layers[Index - 1].Output;

    /// <summary>
    /// Backward: where the input's gradient goes; null when nothing needs it (a token model's first layer, or a layer after
    /// only layers that want no gradient: frozen ones, or none with parameters, as after <c>[Embedding(…, Trainable = false)]</c>).
    /// </summary>
    public string? InputGradient => Index == 0 ? _mode.InputGradient
        : _mode.InputGradient is not null || Enumerable.Range(0, Index).Any(j => LayerHandler.For(Plan.Layers[j].Kind).WantsOutputGradient(Plan.Layers[j]))
            ? _mode.Layers[Index - 1].OutputGradient
            : null;

    /// <summary>Backward: whether the layer has anything to write (a gradient of its parameters or states, or of its input).</summary>
    public bool HasGradients => InputGradient is not null || LayerHandler.For(Layer.Kind).WantsOutputGradient(Layer);

    /// <summary>Backward: the condition on writing the model input's gradient (only the first layer has one).</summary>
    public string Guard => Index == 0 ? "if (inputGradient) " : "";

    /// <summary>Rows the layer runs over: <c>length * B</c>, or <c>B</c> for one step (or after a layer that keeps only its last step).</summary>
    public string Rows => Emitter.Rows(Plan, Layer, Streaming);
}
