namespace Unroll.Generators.Layers;

/// <summary>
/// One layer kind's part in the pipeline, in one file (<c>Layers/{Kind}.cs</c>): its attribute and view, the sizes the
/// planner checks, its parameters (PyTorch's names, shapes and initialisation), how it is described, its view's
/// arguments, and the code of its forward pass, streaming step and backward pass. The parser, planner and emitter walk
/// the layers through <see cref="For"/> without knowing the kinds.
/// </summary>
internal abstract class LayerHandler
{
    /// <summary>Every layer kind's handler, in the order of <see cref="LayerKind"/>.</summary>
    public static readonly LayerHandler[] All =
    {
        new EmbeddingHandler(), new LinearHandler(), new RecurrentHandler(LayerKind.Rnn), new RecurrentHandler(LayerKind.Lstm),
        new RecurrentHandler(LayerKind.Gru), new DropoutHandler(), new SelfAttentionHandler(), new LayerNormHandler(), new AttentionDecoderHandler(),
    };

    /// <summary>The handler of <paramref name="kind"/>; an unknown kind is a bug in the generator, not a recurrent layer.</summary>
    public static LayerHandler For(LayerKind kind) =>
        (int)kind >= 0 && (int)kind < All.Length && All[(int)kind].Kind == kind
            ? All[(int)kind]
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "No handler for this layer kind: add it to LayerHandler.All.");

    public abstract LayerKind Kind { get; }

    /// <summary>The attribute's class name (<c>LstmAttribute</c>).</summary>
    public string Attribute => Kind + "Attribute";

    /// <summary>The layer property's type, in the <c>Unroll</c> namespace (<c>LstmLayer</c>).</summary>
    public string ViewType => Kind + "Layer";

    /// <summary>
    /// The attribute's constructor arguments (their values) into <paramref name="read"/>; false when they are not the
    /// ones the attribute takes (the compiler reports that). Most kinds take two sizes: input features and output features.
    /// </summary>
    public virtual bool ReadArguments(object?[] arguments, out LayerArguments read)
    {
        read = default;
        if (!(arguments.Length == 2 && arguments[0] is int input && arguments[1] is int output)) return false;
        read = new LayerArguments { In = input, Out = output };
        return true;
    }

    /// <summary>The sizes that must be positive, by the names PyTorch's constructor gives them.</summary>
    public abstract IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer);

    /// <summary>Features per step the layer passes on, given its input's (<paramref name="inputWidth"/>).</summary>
    public virtual int OutputWidth(LayerSpec layer, int inputWidth) => layer.Out;

    /// <summary>
    /// Whether the attribute states the input width (<c>In</c>), which must equal the previous layer's output (UNR0004);
    /// false for a layer whose <c>In</c> is something else (an embedding's vocabulary, a decoder's target features) or
    /// that takes whatever width comes (<see cref="PassesWidthOn"/>).
    /// </summary>
    public virtual bool ChainsInputWidth => true;

    /// <summary>Whether the layer passes on the width of the layer before it (Dropout), and so needs one (UNR0018).</summary>
    public virtual bool PassesWidthOn => false;

    /// <summary>Whether the layer reads token ids: the model's first layer (UNR0006), which makes it a token model.</summary>
    public virtual bool TakesTokens => false;

    /// <summary>
    /// What the layer is called when it needs a time axis in its input ("Recurrent layer", "Attention layer"): after a
    /// layer that keeps only its last step it has none (UNR0009). Null: any input will do.
    /// </summary>
    public virtual string? NeedsTimeAxis => null;

    /// <summary>Whether the layer's output keeps the time axis of its input (a recurrent layer returning only its last step does not).</summary>
    public virtual bool KeepsTimeAxis(LayerSpec layer) => true;

    /// <summary>
    /// The layer's plan: its sizes (<paramref name="inputWidth"/> from the layer before it), whether its input has a
    /// time axis, and its parameters' <c>Layout</c> names and count (from <see cref="AddParameters"/>).
    /// </summary>
    public virtual LayerPlan Plan(LayerSpec layer, int inputWidth, bool sequenceInput, EquatableArray<string> parameters, int parameterCount) =>
        new(layer.Property, layer.Modifiers, layer.Kind, layer.In, OutputWidth(layer, inputWidth), layer.Out, 0, 0, true, layer.Nonlinearity, layer.Bias,
            sequenceInput, parameters, null, parameterCount, 0)
        {
            NumHeads = layer.NumHeads,
            Causal = layer.Causal,
            Residual = layer.Residual,
        };

    /// <summary>
    /// The layer's options that no size check covers (an enum's value, a probability, heads that divide the width), with
    /// <paramref name="positive"/> saying whether its sizes passed <see cref="Sizes"/>.
    /// </summary>
    public virtual void CheckOptions(LayerSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
    }

    /// <summary>UNR0017 for an option outside what it may be.</summary>
    protected static void Invalid(LayerSpec layer, string option, object value, string expected, List<DiagnosticInfo> diagnostics) =>
        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.InvalidOption, layer.Location, option, layer.Property, value, expected));

    /// <summary>A dropout probability: at least 0 and below 1, as PyTorch requires.</summary>
    protected static void CheckProbability(LayerSpec layer, string option, List<DiagnosticInfo> diagnostics)
    {
        if (!(layer.Dropout >= 0 && layer.Dropout < 1))
            Invalid(layer, option, layer.Dropout.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "at least 0 and below 1", diagnostics);
    }

    /// <summary>
    /// The view arguments of a layer whose view reads its parameters: the arena, the first parameter's index and its
    /// gradient's (−1 without gradients), then <paramref name="sizes"/>.
    /// </summary>
    protected static string ParameterView(ModelPlan plan, int index, string sizes)
    {
        string first = "Layout." + plan.Layers[index].ParameterNames[0];
        return $"_arena, {Emitter.ArrayIndex(first)}, {Emitter.GradientOffset(plan, first)}, {sizes}";
    }

    /// <summary>Whether the layer runs one step at a time (<c>Step</c>): not when it needs the whole sequence at once.</summary>
    public virtual bool CanStream(LayerPlan layer) => true;

    /// <summary>Whether its streaming step reads packed copies of its weights (<c>PackStepWeights</c>, <c>Layout.Step_WeightsStale</c>).</summary>
    public virtual bool PacksStepWeights => false;

    /// <summary>The layer's parameters, in state-dict order (names relative to the layer: <c>weight_ih_l0</c>).</summary>
    public virtual void AddParameters(LayerSpec layer, ParameterAdder add)
    {
    }

    /// <summary>
    /// The layer's arena regions in one pass (the sequence's, or one step's), in the order the arena holds them: by
    /// default its output and, when the pass keeps gradients, the output's gradient.
    /// </summary>
    public virtual LayerBuffers AddBuffers(LayerPlan layer, BufferContext c) => OutputBuffers(layer, c);

    /// <summary>The layer's regions that outlive a pass (after the parameters and gradients): none by default.</summary>
    public virtual LayerPlan AddStates(LayerPlan layer, Planner.ArenaBuilder arena, int batch) => layer;

    /// <summary>
    /// Scratch the layer's passes share with other layers' (each region sized for the layer that needs most): name,
    /// floats, comment; none by default.
    /// </summary>
    public virtual IEnumerable<(string Name, long Length, string Comment)> Scratch(LayerPlan layer, int steps, int batch, bool training) =>
        Array.Empty<(string, long, string)>();

    /// <summary>The output and its gradient, which every layer but a recurrent one has as its first regions.</summary>
    protected static LayerBuffers OutputBuffers(LayerPlan layer, BufferContext c)
    {
        long rows = c.RowsOf(layer);
        string output = c.Add(layer, "Output", rows * layer.Out, $"{layer.Property} output, {c.ShapeOf(layer)}");
        string? outputGradient = c.Gradients ? c.Add(layer, "OutputGradient", rows * layer.Out, $"∂{layer.Property} output") : null;
        return new LayerBuffers(output, outputGradient, EquatableArray<string>.Empty, EquatableArray<string>.Empty, EquatableArray<CellBuffers>.Empty);
    }

    /// <summary>The layer in a few words, for the generated comments and remarks (<c>Linear(128 → 65)</c>).</summary>
    public abstract string Describe(LayerPlan layer);

    /// <summary>The arguments of the layer property's view constructor.</summary>
    public abstract string ViewArguments(ModelPlan plan, int index);

    /// <summary><c>ResetState</c>: the layer's running state back to its initial state (nothing for a layer without one).</summary>
    public virtual void WriteResetState(SourceWriter w, ModelPlan plan, int index)
    {
    }

    /// <summary><c>ReorderState</c>: row b of the layer's running state takes row <c>sources[b]</c>'s (nothing for a layer without one).</summary>
    public virtual void WriteReorderState(SourceWriter w, ModelPlan plan, int index)
    {
    }

    /// <summary>The layer in <c>ForwardCore</c> (over <c>length</c> steps) or, when <see cref="LayerPass.Streaming"/>, in <c>StepCore</c>.</summary>
    public abstract void WriteForward(LayerPass pass);

    /// <summary>The layer in <c>BackwardCore</c>: its parameter gradients, and its input's gradient when there is one to write.</summary>
    public abstract void WriteBackward(LayerPass pass);
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
    public long RowsOf(LayerPlan layer) => layer.SequenceInput ? (long)Steps * B : B;

    /// <summary>The shape of the layer's output in this pass.</summary>
    public string ShapeOf(LayerPlan layer) => layer.SequenceInput ? Rows(layer.Out) : $"[batch, {layer.Out}]";

    /// <summary>A region named <c>{Prefix}{Property}_{what}</c>.</summary>
    public string Add(LayerPlan layer, string what, long length, string comment) => Arena.Add($"{Prefix}{layer.Property}_{what}", length, comment);
}

/// <summary>What a layer attribute's constructor arguments say (the named ones are read apart).</summary>
internal struct LayerArguments
{
    /// <summary>Input features (Embedding: the vocabulary; one-width layers: their width).</summary>
    public int In;

    /// <summary>Output features (Embedding: the embedding width; recurrent layers and the decoder: the hidden size).</summary>
    public int Out;

    /// <summary>The decoder's outputs per step.</summary>
    public int DecoderOutput;

    /// <summary>Dropout's probability.</summary>
    public double Dropout;
}

/// <summary>Adds one parameter tensor: its name within the layer, shape, and how PyTorch initialises it (uniform in ±bound, normal, 0, 1).</summary>
internal delegate void ParameterAdder(string name, int[] shape, InitKind init, double bound);

/// <summary>What a layer's pass code needs: where to write, the model, the layer, its buffers in the pass, and its input.</summary>
internal sealed class LayerPass
{
    private readonly ModeBuffers _mode;

    public LayerPass(SourceWriter w, ModelPlan plan, int index, bool streaming, List<(int Layer, int StackedLayer, string Input)> unrolled)
    {
        W = w;
        Plan = plan;
        Index = index;
        Streaming = streaming;
        Unrolled = unrolled;
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

    /// <summary>Unrolled streaming steps the pass calls: each becomes a method of its own after <c>StepCore</c>.</summary>
    public List<(int Layer, int StackedLayer, string Input)> Unrolled { get; }

    public LayerPlan Layer => Plan.Layers[Index];

    public LayerBuffers Buffers => _mode.Layers[Index];

    /// <summary>The <c>Layout</c> name of the layer's input: the model's input, or the previous layer's output.</summary>
    public string Input => Index == 0 ? _mode.Input : _mode.Layers[Index - 1].Output;

    /// <summary>Backward: where the input's gradient goes (null when nothing needs it).</summary>
    public string? InputGradient => Index == 0 ? _mode.InputGradient : _mode.Layers[Index - 1].OutputGradient;

    /// <summary>Backward: the condition on writing the model input's gradient (only the first layer has one).</summary>
    public string Guard => Index == 0 ? "if (inputGradient) " : "";

    /// <summary>Rows the layer runs over: <c>length * B</c>, or <c>B</c> for one step (or after a layer that keeps only its last step).</summary>
    public string Rows => Emitter.Rows(Plan, Layer, Streaming);
}
