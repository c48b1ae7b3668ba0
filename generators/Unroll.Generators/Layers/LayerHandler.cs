namespace Unroll.Generators.Layers;

/// <summary>
/// One layer kind's part in the pipeline, in one file (<c>Layers/{Kind}.cs</c>): its attribute and view, the sizes the
/// planner checks, its parameters (PyTorch's names, shapes and initialisation), how it is described, its view's
/// arguments, and the code of its forward pass, streaming step and backward pass. The parser, planner and emitter walk
/// the layers through <see cref="For"/> without knowing the kinds.
/// </summary>
internal abstract class LayerHandler
{
    /// <summary>
    /// Every layer kind's handler: one instance of each handler class of this assembly, so that a new kind is its
    /// handler's file and nothing else here.
    /// </summary>
    public static IReadOnlyList<LayerHandler> All => s_all;

    private static LayerHandler[] s_all = typeof(LayerHandler).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(LayerHandler)) && !t.IsAbstract)
        .Select(t => (LayerHandler)Activator.CreateInstance(t)!)
        .OrderBy(h => h.Kind, StringComparer.Ordinal)
        .ToArray();

    private static Dictionary<string, LayerHandler> s_byKind = s_all.ToDictionary(h => h.Kind, StringComparer.Ordinal);

    private static readonly object s_registering = new();

    /// <summary>The handler of <paramref name="kind"/>; an unknown kind is a bug in the generator, not a recurrent layer.</summary>
    public static LayerHandler For(string kind) =>
        s_byKind.TryGetValue(kind, out LayerHandler? handler)
            ? handler
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "No handler for this layer kind: a LayerHandler subclass whose Kind it is.");

    /// <summary>
    /// Adds a kind whose handler is not in this assembly: the tests' kinds that exercise what no shipped kind uses yet
    /// (their attributes and views declared in the compiled source). The tables are replaced, never changed, so a
    /// generator run on another thread sees the old ones or the new ones.
    /// </summary>
    internal static void Register(LayerHandler handler)
    {
        lock (s_registering)
        {
            if (s_byKind.ContainsKey(handler.Kind)) return;
            s_byKind = new Dictionary<string, LayerHandler>(s_byKind, StringComparer.Ordinal) { [handler.Kind] = handler };
            s_all = s_all.Append(handler).ToArray();
        }
    }

    /// <summary>The layer kind: its attribute's name without the suffix (<c>Lstm</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>The attribute's class name (<c>LstmAttribute</c>).</summary>
    public string Attribute => Kind + "Attribute";

    /// <summary>The layer property's type, in the <c>Unroll</c> namespace (<c>LstmLayer</c>).</summary>
    public virtual string ViewType => Kind + "Layer";

    /// <summary>
    /// The layer's spec from its attribute's arguments (sizes kept as written: the planner checks them), or null when the
    /// constructor's arguments are not the ones the attribute takes (the compiler reports that). Named arguments the
    /// handler does not read make the parser leave the layer out, as the compiler reports them too.
    /// </summary>
    public abstract LayerSpec? Read(LayerArguments arguments);

    /// <summary>The sizes that must be positive, by the names PyTorch's constructor gives them.</summary>
    public abstract IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer);

    /// <summary>
    /// The input width the attribute states, which must equal the previous layer's output (UNR0004); null for a layer
    /// whose first size is something else (an embedding's vocabulary, a decoder's target features) or that takes whatever
    /// width comes (<see cref="PassesWidthOn"/>).
    /// </summary>
    public abstract int? InputWidth(LayerSpec layer);

    /// <summary>Features per step the layer passes on, given its input's (<paramref name="inputWidth"/>).</summary>
    public abstract int OutputWidth(LayerSpec layer, int inputWidth);

    /// <summary>Whether the layer passes on the width of the layer before it (Dropout), and so needs one (UNR0018).</summary>
    public virtual bool PassesWidthOn => false;

    /// <summary>Whether the layer reads token ids: the model's first layer (UNR0006), which makes it a token model.</summary>
    public virtual bool TakesTokens => false;

    /// <summary>
    /// What the layer is called when it needs a time axis in its input ("Recurrent layer", "Attention layer"): after a
    /// layer that keeps only its last step it has none (UNR0009). Null: any input will do.
    /// </summary>
    public virtual string? NeedsTimeAxis => null;

    /// <summary>What a layer without a time axis in its output did to it, for UNR0009 about a layer after it that needs one.</summary>
    public virtual string DropsTimeAxis => "returns only its last step (ReturnSequences = false)";

    /// <summary>Whether the layer must be the model's last (a decoder: UNR0021 for a layer after it).</summary>
    public virtual bool MustBeLast => false;

    /// <summary>Whether the layer runs over a target of up to <c>[Model(TargetLength = …)]</c> steps, which must then be set (UNR0020).</summary>
    public virtual bool UsesTargetLength => false;

    /// <summary>
    /// The checks of the layer against the layers before it (<paramref name="index"/> in <paramref name="spec"/>, whose
    /// output is <paramref name="inputWidth"/> wide), beyond the widths chaining; run when every layer could be read.
    /// </summary>
    public virtual void CheckPlace(ModelSpec spec, int index, int inputWidth, List<DiagnosticInfo> diagnostics)
    {
    }

    /// <summary>
    /// Whether the layer's passes are its own methods, called from the model members it writes (<see cref="WriteModelMembers"/>),
    /// rather than part of <c>ForwardCore</c>, <c>StepCore</c> and <c>BackwardCore</c>: a decoder, which runs after the
    /// other layers over a target of its own.
    /// </summary>
    public virtual bool RunsOwnPasses => false;

    /// <summary>
    /// Whether the layer writes the model's entry points (<c>Forward</c>, <c>Backward</c>, <c>Step</c>) and interfaces in
    /// place of the ordinary ones (a decoder's take a source and a target).
    /// </summary>
    public virtual bool WritesEntryPoints => false;

    /// <summary>The interfaces the model implements, when <see cref="WritesEntryPoints"/>.</summary>
    public virtual IEnumerable<string> ModelInterfaces(ModelPlan plan, int index) => Array.Empty<string>();

    /// <summary>The model's <c>IInferenceModel.VocabularySize</c>, when <see cref="WritesEntryPoints"/> (a decoder's: its target vocabulary).</summary>
    public virtual int ModelVocabulary(ModelPlan plan, int index) => plan.Vocabulary;

    /// <summary>The members the layer adds to the model class, where <paramref name="part"/> goes.</summary>
    public virtual void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
    }

    /// <summary>
    /// <c>FindNonFinite</c>: the layer's buffers of the last <c>Forward</c> to scan, in order (by default its output: its
    /// steps, or one step without a time axis).
    /// </summary>
    public virtual void WriteNonFiniteScans(SourceWriter w, ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        bool sequence = layer.SequenceOutput;
        Emitter.Scan(w, plan.Sequence.Layers[index].Output, sequence ? Emitter.LengthAt(plan, index + 1, "_length") : "1", layer.Out, $"{layer.Property} output", plan.BatchSize);
    }

    /// <summary>
    /// Whether the layer's sequence passes read <c>_rows</c> as the running <c>Forward</c>'s batch rows (batch statistics
    /// count only the caller's rows): <c>Forward</c> then sets it before <c>ForwardCore</c>, not after.
    /// </summary>
    public virtual bool ReadsBatchRows => false;

    /// <summary>
    /// The layer's checks of a run's arguments, in <c>Forward</c> after the model's and before anything changes (C#
    /// expressions: <paramref name="input"/> the input's name, <paramref name="length"/> its steps, <paramref name="lengths"/>
    /// the rows' lengths (maybe empty), <paramref name="training"/> whether it trains, <paramref name="rows"/> the batch's rows).
    /// </summary>
    public virtual void WriteRunChecks(SourceWriter w, ModelPlan plan, int index, string input, string length, string lengths, string training, string rows)
    {
    }

    /// <summary>Paragraphs of the model's remarks about the layer's streaming step (after the arena's), none by default.</summary>
    public virtual IEnumerable<string> StepNotes(ModelPlan plan, int index) => Array.Empty<string>();

    /// <summary>Whether the layer's streaming step reads <c>[Model(WeightPrecision = …)]</c> (UNR0026 when no layer does).</summary>
    public virtual bool UsesWeightPrecision(ModelPlan plan, int index) => false;

    /// <summary>Whether the layer keeps a running state between steps (which <c>ReorderState</c> reorders).</summary>
    public virtual bool HasRunningState(ModelPlan plan, int index) => false;

    /// <summary>
    /// Whether the layer keeps a cache of past steps' positions, up to <c>SequenceLength</c> (causal attention's keys and
    /// values): the model then counts its steps since <c>ResetState</c> (<c>_stepPosition</c>) and refuses one more.
    /// </summary>
    public virtual bool CachesSteps(ModelPlan plan, int index) => false;

    /// <summary>What holds the steps of a layer that <see cref="CachesSteps"/>, in the model's messages about them ("the attention caches").</summary>
    public virtual string StepHolder => "the caches of past steps";

    /// <summary>
    /// The layer's part of <c>PackStepWeights</c>, <c>PackSequenceWeights</c> or <c>PackedWeightsCurrent</c>
    /// (<paramref name="method"/>), for a layer that <see cref="PacksStepWeights"/>.
    /// </summary>
    public virtual void WritePacking(SourceWriter w, ModelPlan plan, int index, PackingMethod method)
    {
    }

    /// <summary>Lines of the model's remarks after the layer's own (a decoder's target input), and the output line in place of the model's, or null.</summary>
    public virtual (IEnumerable<string> Lines, string? Output) Remarks(ModelPlan plan, int index) => (Array.Empty<string>(), null);

    /// <summary>Stacked layers × directions the layer unrolls (the planner bounds their sum: UNR0012).</summary>
    public virtual long RecurrentPasses(LayerSpec layer) => 0;

    /// <summary>Whether the layer's output has a time axis: not for a layer that keeps only its last step, or pools over time.</summary>
    public abstract bool KeepsTimeAxis(LayerSpec layer);

    /// <summary>
    /// Steps of the layer's output for <paramref name="inputSteps"/> steps of input: the same by default, 1 without a
    /// time axis (<see cref="KeepsTimeAxis"/>); a strided layer maps the count as its output length formula does
    /// (<see cref="MapsLength"/>).
    /// </summary>
    public abstract int OutputSteps(LayerSpec layer, int inputSteps);

    /// <summary>
    /// A layer that maps the time axis (a strided convolution, pooling over windows): its output's steps at run time as a C#
    /// expression of its input's (<paramref name="length"/>, an identifier or parenthesised), PyTorch's output length
    /// formula, which the passes apply to the run's length and to every row's; it must agree with <see cref="OutputSteps"/>.
    /// Null (the default) when the steps stay as they are, or the layer keeps no time axis (<see cref="OutputSteps"/> 1).
    /// </summary>
    public abstract string? MapsLength(LayerPlan layer, string length);

    /// <summary>
    /// The layer's options that no size check covers (an enum's value, a probability, heads that divide the width), with
    /// <paramref name="positive"/> saying whether its sizes passed <see cref="Sizes"/>.
    /// </summary>
    public abstract void CheckOptions(LayerSpec layer, bool positive, List<DiagnosticInfo> diagnostics);

    /// <summary>The layer as the model declares it: its spec with what the <c>[Model]</c> attribute adds (a decoder's target steps), before planning.</summary>
    public virtual LayerSpec InModel(LayerSpec layer, ModelSpec model) => layer;

    /// <summary>
    /// The layer's parameters, in state-dict order (names relative to the layer: <c>weight_ih_l0</c>), given the width of
    /// its input (<paramref name="inputWidth"/>, the previous layer's output).
    /// </summary>
    public abstract void AddParameters(LayerSpec layer, int inputWidth, ParameterAdder add);

    /// <summary>
    /// The layer's plan: what its passes need beyond what every plan has (the planner fills in its property, widths, time
    /// axis and parameter constants).
    /// </summary>
    public abstract LayerPlan Plan(LayerSpec layer);

    /// <summary>Whether the layer runs one step at a time (<c>Step</c>): not when it needs the whole sequence at once.</summary>
    public abstract bool CanStream(LayerPlan layer);

    /// <summary>Whether its streaming step reads packed copies of its weights (<c>PackStepWeights</c>, <c>Layout.Step_WeightsStale</c>).</summary>
    public virtual bool PacksStepWeights => false;

    /// <summary>The layer's arena regions in one pass (the sequence's, or one step's), in the order the arena holds them.</summary>
    public abstract LayerBuffers AddBuffers(LayerPlan layer, BufferContext c);

    /// <summary>The layer's regions that outlive a pass (after the parameters and gradients).</summary>
    public abstract LayerPlan AddStates(LayerPlan layer, Planner.ArenaBuilder arena, int batch);

    /// <summary>Scratch the layer's passes share with other layers' (each region sized for the layer that needs most): name, floats, comment.</summary>
    public abstract IEnumerable<(string Name, long Length, string Comment)> Scratch(LayerPlan layer, int steps, int batch, bool training);

    /// <summary>The layer in a few words, for the generated comments and remarks (<c>Linear(128 → 65)</c>).</summary>
    public abstract string Describe(LayerPlan layer);

    /// <summary>The arguments of the layer property's view constructor.</summary>
    public abstract string ViewArguments(ModelPlan plan, int index);

    /// <summary><c>ResetState</c>: the layer's running state back to its initial state.</summary>
    public abstract void WriteResetState(SourceWriter w, ModelPlan plan, int index);

    /// <summary><c>ReorderState</c>: row b of the layer's running state takes row <c>sources[b]</c>'s.</summary>
    public abstract void WriteReorderState(SourceWriter w, ModelPlan plan, int index);

    /// <summary>The layer in <c>ForwardCore</c> (over <c>length</c> steps) or, when <see cref="LayerPass.Streaming"/>, in <c>StepCore</c>.</summary>
    public abstract void WriteForward(LayerPass pass);

    /// <summary>The layer in <c>BackwardCore</c>: its parameter gradients, and its input's gradient when there is one to write.</summary>
    public abstract void WriteBackward(LayerPass pass);

    /// <summary>
    /// Whether the layer's backward pass wants its output's gradient for itself: to accumulate the gradients of its
    /// parameters (unless frozen), or of states a caller reads (a recurrent layer's <c>∂h_0</c>). When no layer up to one
    /// wants it (and a token model has no input gradient), the layers after it write none (<see cref="LayerPass.InputGradient"/>).
    /// </summary>
    public virtual bool WantsOutputGradient(LayerPlan layer) => layer.Trainable && layer.ParameterCount > 0;

    /// <summary>UNR0017 for an option outside what it may be.</summary>
    protected static void Invalid(LayerSpec layer, string option, object value, string expected, List<DiagnosticInfo> diagnostics) =>
        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Descriptors.InvalidOption, layer.Location, option, layer.Property, value, expected));

    /// <summary>A dropout probability: at least 0 and below 1, as PyTorch requires.</summary>
    protected static void CheckProbability(LayerSpec layer, string option, double p, List<DiagnosticInfo> diagnostics)
    {
        if (!(p >= 0 && p < 1))
            Invalid(layer, option, p.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "at least 0 and below 1", diagnostics);
    }

    /// <summary>
    /// The view arguments of a layer whose view reads its parameters: the arena, the first parameter's index and its
    /// gradient's (−1 without gradients: compiled for inference only, or frozen), then <paramref name="sizes"/>.
    /// </summary>
    protected static string ParameterView(ModelPlan plan, int index, string sizes)
    {
        string first = "Layout." + plan.Layers[index].ParameterNames[0];
        return $"_arena, {Emitter.ArrayIndex(first)}, {(plan.Layers[index].Trainable ? Emitter.GradientOffset(plan, first) : "-1")}, {sizes}";
    }

    /// <summary>The regions of a layer's kind in a pass (<see cref="LayerBuffers.Regions"/>).</summary>
    protected static T Regions<T>(LayerBuffers buffers) where T : LayerRegions => (T)buffers.Regions!;

    /// <summary>The output and its gradient, which every layer but a recurrent one has as its first regions.</summary>
    protected static LayerBuffers OutputBuffers(LayerPlan layer, BufferContext c)
    {
        long rows = c.OutputRowsOf(layer);
        string output = c.Add(layer, "Output", rows * layer.Out, $"{layer.Property} output, {c.ShapeOf(layer)}");
        string? outputGradient = c.Gradients ? c.Add(layer, "OutputGradient", rows * layer.Out, $"∂{layer.Property} output") : null;
        return new LayerBuffers(output, outputGradient);
    }
}
