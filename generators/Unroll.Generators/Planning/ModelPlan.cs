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

    /// <summary>Whether <c>Step</c> runs on packed copies of the recurrent weights (<c>PackStepWeights</c>, <c>Layout.Step_WeightsStale</c>).</summary>
    public bool PacksStepWeights { get; init; }

    /// <summary>Compiled for inference only: no <c>Backward</c>, gradients, training mode or backward-only buffers.</summary>
    public bool InferenceOnly { get; init; }

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
    /// False for a state-dict buffer (BatchNorm's running statistics, say): saved, loaded and compiled in with the
    /// parameters, never trained. Its <see cref="Offset"/> is then in the <c>StateBuffers</c> block, after
    /// <c>Parameters</c> (both count from the arena's start, where the parameters begin).
    /// </summary>
    public bool Trainable { get; init; } = true;
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

/// <summary>Per layer: its output, and for recurrent layers, per stacked layer and direction, what the cells keep.</summary>
/// <param name="Output">The layer's output: <c>[time, batch, features]</c>, or <c>[batch, features]</c> after the last step.</param>
/// <param name="Sequences">Recurrent layers: each stacked layer's full output <c>[time, batch, directions·H]</c>.</param>
internal sealed record LayerBuffers(
    string Output,
    string? OutputGradient,
    EquatableArray<string> Sequences,
    EquatableArray<string> SequenceGradients,
    EquatableArray<CellBuffers> Cells)
{
    /// <summary>Dropout layer: its mask (sequence pass only).</summary>
    public string? Mask { get; init; }

    /// <summary>Recurrent dropout: per stacked layer but the last, its masked states (the next layer's input), sequence pass only.</summary>
    public EquatableArray<string> Dropped { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Recurrent dropout: the masks that made <see cref="Dropped"/>.</summary>
    public EquatableArray<string> DroppedMasks { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Self-attention: its buffers.</summary>
    public AttentionBuffers? Attention { get; init; }

    /// <summary>Layer normalisation: its buffers.</summary>
    public NormalizationBuffers? Normalization { get; init; }

    /// <summary>Attention decoder: its buffers.</summary>
    public DecoderBuffers? Decoder { get; init; }
}

/// <summary>What a layer normalisation keeps for backward: the normalised rows, each row's 1/σ, and a row of scratch (sequence pass).</summary>
internal sealed record NormalizationBuffers(string Normalized, string InverseDeviation, string? Scratch);

/// <summary>What a self-attention layer keeps: the projections, the attention output, the weights and (sequence pass) their gradients.</summary>
internal sealed record AttentionBuffers(
    string Qkv,
    string Context,
    string Weights,
    string? WeightsGradient,
    string? QkvGradient,
    string? ContextGradient,
    string? Scratch)
{
    /// <summary>Streaming (causal attention only): the keys and values of every step so far, <c>[position, batch, k | v]</c>.</summary>
    public string? KeyValueCache { get; init; }
}

/// <summary>
/// One stacked layer and direction of a recurrent layer: its parameter constants and cache buffers.
/// <c>Cache</c> is <c>[time, batch, 4H]</c> (LSTM: activated gates i, f, g, o; GRU: r, z, n, W_hn·h + b_hn)
/// or <c>[time, batch, H]</c> (RNN: pre-activations); a fused streaming step has none. <c>Cells</c> is the LSTM
/// cell state <c>[time, batch, H]</c>.
/// </summary>
internal sealed record CellBuffers(int Layer, int Direction, string? Cache, string? Cells)
{
    /// <summary>Streaming LSTM and GRU under four rows: the weights and biases packed for <c>Cells.LstmStep</c> / <c>Cells.GruStep</c>.</summary>
    public string? Fused { get; init; }

    /// <summary>
    /// The fused step is unrolled (<c>Cells.LstmStepUnrolled</c> / <c>GruStepUnrolled</c>, inlined with the sizes as
    /// literals into a method of its own): float32, and under <see cref="Planner.UnrolledStepMultiplyAdds"/> a step, too
    /// small to split across the cores, so the step's fixed work (calls, an argument block, prefetches, the check for a
    /// split) is what there is to save.
    /// </summary>
    public bool Unrolled { get; init; }

    /// <summary>
    /// Streaming without <see cref="Fused"/>: the input weights packed for the products, <c>W_ihᵀ [in, G·H]</c>, and (LSTM,
    /// RNN) the folded bias <c>b_ih + b_hh</c> (<see cref="PackedBias"/>); repacked when the parameters may have changed.
    /// </summary>
    public string? PackedIh { get; init; }

    /// <summary><c>W_hhᵀ [H, G·H]</c> in column panels: the recurrent products of the sequence passes (and of the streaming steps without <see cref="Fused"/>).</summary>
    public string? PackedHh { get; init; }

    /// <summary>Streaming LSTM and RNN without <see cref="Fused"/>: <c>b_ih + b_hh</c>.</summary>
    public string? PackedBias { get; init; }

    /// <summary>
    /// The sequence passes read the packed <c>W_hhᵀ</c> too: <c>W_hh</c> as it was packed, so that a sequence pass
    /// notices any change to the parameters (however they were written) and packs again.
    /// </summary>
    public string? PackedFrom { get; init; }
}

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

    /// <summary>Floats of its parameters.</summary>
    public int ParameterCount { get; init; }
}
