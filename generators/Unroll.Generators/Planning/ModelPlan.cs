using Unroll.Generators.Model;

namespace Unroll.Generators.Planning;

/// <summary>
/// Everything the emitter writes, decided: shapes checked, every buffer placed in the arena, every
/// parameter named. Values only (it compares structurally), so the emitter runs again only when
/// the compiled network changes.
/// </summary>
/// <param name="InputSize">Features per step (1 for token models).</param>
/// <param name="OutputSize">Features per output row.</param>
/// <param name="SequenceOutput">True: the output is <c>[batch, time, OutputSize]</c>; false: <c>[batch, OutputSize]</c>.</param>
/// <param name="Vocabulary">Token models: the embedding's vocabulary; otherwise 0.</param>
/// <param name="CanStep">False when a layer is bidirectional or non-causal attention (they need the whole sequence), or the model is an encoder–decoder (it steps through its decoder); then <paramref name="Step"/> is null.</param>
internal sealed record ModelPlan(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string TypeName,
    int SequenceLength,
    int BatchSize,
    int InputSize,
    int OutputSize,
    bool SequenceOutput,
    int Vocabulary,
    bool CanStep,
    int ParameterCount,
    int ArenaLength,
    EquatableArray<ParameterPlan> Parameters,
    EquatableArray<BufferPlan> Buffers,
    EquatableArray<LayerPlan> Layers,
    ModeBuffers Sequence,
    ModeBuffers? Step)
{
    /// <summary>Encoder–decoder models: the most decoder steps.</summary>
    public int TargetLength { get; init; }

    /// <summary>
    /// Whether a streaming step may yield no output: a layer that maps the time axis (a strided convolution) streams, and
    /// <c>Step</c> returns whether it wrote the output.
    /// </summary>
    public bool StepSkips { get; init; }

    /// <summary>The fewest steps a sequence (and each row) may have: enough for every strided layer's kernel to yield a step.</summary>
    public int MinimumLength { get; init; } = 1;

    /// <summary>Whether <c>Step</c> runs on packed copies of the recurrent weights (<c>PackStepWeights</c>, <c>Layout.Step_WeightsStale</c>).</summary>
    public bool PacksStepWeights { get; init; }

    /// <summary>Compiled for inference only: no <c>Backward</c>, gradients, training mode or backward-only buffers.</summary>
    public bool InferenceOnly { get; init; }

    /// <summary><c>[InferenceModel(typeof(Trained))]</c>: the trained model's name; the generated code declares the layer properties.</summary>
    public string? TrainedModel { get; init; }

    /// <summary>The safetensors file compiled in (<c>[Model(Weights = "...")]</c>), as written; null when the weights are initialised.</summary>
    public string? Weights { get; init; }

    /// <summary>How the fused streaming steps store their packed weights (<c>[Model(WeightPrecision = …)]</c>).</summary>
    public StepPrecision WeightPrecision { get; init; }
}

/// <summary>A PyTorch parameter tensor: state-dict name, shape, offset in the parameter block, and its default initialisation.</summary>
/// <param name="Constant">The name of its offset constant in the emitted <c>Layout</c> class.</param>
/// <param name="Init">How PyTorch initialises it: uniform in ±<paramref name="Bound"/>, or standard normal.</param>
internal sealed record ParameterPlan(string Name, string Constant, EquatableArray<int> Shape, int Offset, int Length, InitKind Init, double Bound)
{
    /// <summary>
    /// False for a state-dict buffer (BatchNorm's running statistics, say) or a <see cref="Frozen"/> parameter: saved, loaded
    /// and compiled in with the parameters, never trained. Its <see cref="Offset"/> is then in the <c>Untrained</c> block, after
    /// <c>Parameters</c> (both count from the arena's start, where the parameters begin).
    /// </summary>
    public bool Trainable { get; init; } = true;

    /// <summary>
    /// Whether it is a parameter of a layer declared <c>Trainable = false</c>: not <see cref="Trainable"/> (it lies with the
    /// buffers, outside <c>Parameters</c> and <c>Gradients</c>), but a parameter of PyTorch's, which derived weights repack.
    /// </summary>
    public bool Frozen { get; init; }

    /// <summary>Whether PyTorch keeps the tensor as int64 (a count such as <c>num_batches_tracked</c>): saved as <c>I64</c>.</summary>
    public bool Integer { get; init; }
}

internal enum InitKind
{
    Uniform,
    Normal,
    Zero,
    One,
}

/// <summary>A region of the arena, as a named offset constant.</summary>
internal sealed record BufferPlan(string Name, int Offset, int Length, string Comment);

/// <summary>
/// The buffers a pass runs on. <c>Sequence</c> holds <c>SequenceLength</c> steps (and the gradients
/// BPTT needs); <c>Step</c> holds one step for streaming, so <c>Step</c> never disturbs what
/// <c>Backward</c> needs from the last <c>Forward</c>.
/// </summary>
internal sealed record ModeBuffers(string Input, string? InputGradient, EquatableArray<LayerBuffers> Layers);

/// <summary>Per layer, in one pass: its output and output gradient, and the regions of its kind (<see cref="Regions"/>).</summary>
/// <param name="Output">The layer's output: <c>[time, batch, features]</c>, or <c>[batch, features]</c> without a time axis.</param>
internal sealed record LayerBuffers(string Output, string? OutputGradient)
{
    /// <summary>The kind's own regions (a recurrent layer's states and caches, a self-attention's projections, …), or null.</summary>
    public LayerRegions? Regions { get; init; }
}

/// <summary>A layer kind's own arena regions in one pass: a record of the kind (beside its handler) with a field per region.</summary>
internal abstract record LayerRegions;

/// <summary>
/// A layer as the emitter needs it: what every layer has here, and in the derived record of its kind
/// (<c>LinearPlan</c>, <c>RecurrentPlan</c>, … next to their handlers in <c>Layers/</c>) what its passes need besides.
/// </summary>
internal abstract record LayerPlan
{
    /// <summary>The layer kind (<see cref="LayerSpec.Kind"/>).</summary>
    public abstract string Kind { get; }

    /// <summary>The property's name.</summary>
    public string Property { get; init; } = "";

    /// <summary>The property's modifiers, repeated on the implementing part.</summary>
    public string Modifiers { get; init; } = "";

    /// <summary>Features per step of the layer's input (1 for token ids).</summary>
    public int In { get; init; }

    /// <summary>Features per step of its output (directions × hidden for recurrent layers).</summary>
    public int Out { get; init; }

    /// <summary>Whether the input has a time axis (false after a layer that keeps only its last step, or pools over time).</summary>
    public bool SequenceInput { get; init; }

    /// <summary>Whether its output has a time axis.</summary>
    public bool SequenceOutput { get; init; }

    /// <summary>Steps of its input in the sequence pass: the longest sequence, or after a strided layer its output length (1 without a time axis).</summary>
    public int InputSteps { get; init; }

    /// <summary>Steps of its output in the sequence pass (<see cref="LayerHandler.OutputSteps"/> of <see cref="InputSteps"/>).</summary>
    public int OutputSteps { get; init; }

    /// <summary>
    /// Its input's steps at run time in the sequence passes, as C#: <c>length</c> (the run's padded length), or after a
    /// layer that maps the time axis that layer's output length (<see cref="LayerHandler.MapsLength"/>).
    /// </summary>
    public string Length { get; init; } = "length";

    /// <summary>Each row's real steps of its input, as C#: <c>_rowLengths</c>, or after a layer that maps the time axis, that layer's.</summary>
    public string RowLengths { get; init; } = "_rowLengths";

    /// <summary>The <c>Layout</c> constants of the layer's parameters, in state-dict order.</summary>
    public EquatableArray<string> ParameterNames { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Floats of its parameters (frozen or not; not its state-dict buffers).</summary>
    public int ParameterCount { get; init; }

    /// <summary>False when declared <c>Trainable = false</c>: its parameters are frozen, and its backward pass writes no gradient of theirs.</summary>
    public bool Trainable { get; init; } = true;
}
