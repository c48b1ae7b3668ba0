namespace Unroll;

/// <summary>
/// What every model Unroll compiles offers for inference: its shapes and its parameters. A model declared with
/// <see cref="ModelAttribute.InferenceOnly"/> implements <see cref="IInferenceModel{TInput}"/> (and, when it streams,
/// <see cref="IStepModel{TInput}"/>); every other model also trains, as <see cref="ISequenceModel"/> adds. The shapes
/// are also the class's constants.
/// </summary>
// Every model's layer properties stay readable by reflection under trimming and Native AOT: ONNX export
// (Unroll.Onnx) reads the layer attributes on them from model.GetType().
[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(
    System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties | System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.NonPublicProperties)]
public interface IInferenceModel
{
    /// <summary>The longest sequence <c>Forward</c> takes (for an encoder–decoder model, the longest source).</summary>
    int SequenceLength { get; }

    /// <summary>Sequences processed side by side.</summary>
    int BatchSize { get; }

    /// <summary>Values per sequence and step of the input, or of an encoder–decoder model's source (1 for tokens).</summary>
    int InputSize { get; }

    /// <summary>Features per output row.</summary>
    int OutputSize { get; }

    /// <summary>Number of trainable parameters.</summary>
    int ParameterCount { get; }

    /// <summary>
    /// The ids the model reads step by step run from 0 to <c>VocabularySize − 1</c>: a token model's input,
    /// an encoder–decoder model's target. Float input: 0.
    /// </summary>
    int VocabularySize { get; }

    /// <summary>Every parameter, one contiguous block in <see cref="NamedParameters"/> order.</summary>
    Span<float> Parameters { get; }

    /// <summary>The parameters with PyTorch's state-dict names and shapes.</summary>
    NamedParameterCollection NamedParameters { get; }

    /// <summary>Loads every parameter from a safetensors file with PyTorch's state-dict names and shapes.</summary>
    void LoadSafetensors(string path);

    /// <summary>Saves every parameter as a safetensors file with PyTorch's state-dict names and shapes.</summary>
    void SaveSafetensors(string path);
}

/// <summary>A compiled model that runs whole sequences of <typeparamref name="TInput"/>: <c>float</c> features or <c>int</c> token ids.</summary>
public interface IInferenceModel<TInput> : IInferenceModel
    where TInput : unmanaged
{
    /// <summary>Runs the network over sequences of <see cref="IInferenceModel.SequenceLength"/> steps, batch-first.</summary>
    void Forward(ReadOnlySpan<TInput> input, Span<float> output);

    /// <summary>
    /// Runs the network over sequences of <paramref name="length"/> steps, batch-first. With
    /// <paramref name="lengths"/>, row b's first <c>lengths[b]</c> steps are real and the rest padding, as
    /// PyTorch's packed sequences: recurrent states are held after a row's last real step (in both
    /// directions), and attention gives the padding no weight.
    /// </summary>
    void Forward(ReadOnlySpan<TInput> input, Span<float> output, int length, ReadOnlySpan<int> lengths = default);
}

/// <summary>
/// What every model Unroll compiles for training offers beyond inference, so that code such as a training loop, a
/// checkpoint or an exporter can work with any of them. The generated class implements
/// <see cref="ISequenceModel{TInput}"/> (float features or <c>int</c> token ids) and, when it has no
/// bidirectional or non-causal attention layer, <see cref="IStreamingModel{TInput}"/>; an encoder–decoder model
/// implements <see cref="IEncoderDecoderModel{TSource, TTarget}"/> and this interface.
/// </summary>
public interface ISequenceModel : IInferenceModel
{
    /// <summary>Training mode: dropout applies in <c>Forward</c> only while it is set.</summary>
    bool Training { get; set; }

    /// <summary>The generator of the dropout masks.</summary>
    SeededRandom DropoutGenerator { get; }

    /// <summary>The accumulated gradients, same layout as <see cref="IInferenceModel.Parameters"/>.</summary>
    Span<float> Gradients { get; }

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGradients();

    /// <summary>Backpropagation through time for the last <c>Forward</c>; adds into <see cref="Gradients"/>.</summary>
    void Backward(ReadOnlySpan<float> outputGradient);
}

/// <summary>A compiled model whose input is <typeparamref name="TInput"/> (<c>float</c> features or <c>int</c> token ids), for training and inference.</summary>
public interface ISequenceModel<TInput> : ISequenceModel, IInferenceModel<TInput>
    where TInput : unmanaged
{
}

/// <summary>
/// A model that advances step by step from a running state: what <see cref="TokenDecoder"/> and
/// <see cref="BeamSearch"/> drive. A streaming sequence model, or the decoder of an encoder–decoder model.
/// </summary>
public interface IStepModel<TInput> : IInferenceModel
    where TInput : unmanaged
{
    /// <summary>Advances every sequence of the batch by one step from the running state.</summary>
    void Step(ReadOnlySpan<TInput> input, Span<float> output);

    /// <summary>Sets the running state to the initial state.</summary>
    void ResetState();

    /// <summary>Reorders the running states across the batch: row b takes the state row <c>sources[b]</c> had (for beam search).</summary>
    void ReorderState(ReadOnlySpan<int> sources);
}

/// <summary>A compiled model that also streams: one step of every sequence per call.</summary>
public interface IStreamingModel<TInput> : ISequenceModel<TInput>, IStepModel<TInput>
    where TInput : unmanaged
{
}

/// <summary>
/// A compiled encoder–decoder model: the encoder reads a <typeparamref name="TSource"/> source, the
/// attention decoder a <typeparamref name="TTarget"/> target (<c>float</c> features or <c>int</c> token ids).
/// <c>Forward</c> is teacher-forced training; <c>Encode</c> then <c>Step</c> decode one token at a time.
/// </summary>
public interface IEncoderDecoderModel<TSource, TTarget> : IStepModel<TTarget>
    where TSource : unmanaged
    where TTarget : unmanaged
{
    /// <summary>The most decoder steps <c>Forward</c> takes.</summary>
    int TargetLength { get; }

    /// <summary>Token sources: source ids run from 0 to <c>SourceVocabularySize − 1</c>. Float sources: 0.</summary>
    int SourceVocabularySize { get; }

    /// <summary>Runs encoder and decoder over full-length sources and targets, batch-first, keeping what <c>Backward</c> needs.</summary>
    void Forward(ReadOnlySpan<TSource> source, ReadOnlySpan<TTarget> targetInput, Span<float> output);

    /// <summary>
    /// Runs encoder and decoder over sources of <paramref name="sourceLength"/> steps (row b's first
    /// <c>sourceLengths[b]</c> are real, the rest padding; empty: all real) and targets of
    /// <paramref name="targetLength"/> steps, keeping what <c>Backward</c> needs.
    /// </summary>
    void Forward(ReadOnlySpan<TSource> source, ReadOnlySpan<TTarget> targetInput, Span<float> output, int sourceLength, int targetLength, ReadOnlySpan<int> sourceLengths = default);

    /// <summary>Runs the encoder over full-length sources and sets the decoder's running state for <c>Step</c>.</summary>
    void Encode(ReadOnlySpan<TSource> source);

    /// <summary>Runs the encoder over sources of <paramref name="sourceLength"/> steps (with per-row lengths, as <c>Forward</c>) and sets the decoder's running state for <c>Step</c>.</summary>
    void Encode(ReadOnlySpan<TSource> source, int sourceLength, ReadOnlySpan<int> sourceLengths = default);
}

/// <summary>A compiled model whose input is float features, so <c>Backward</c> can also give the gradient of the input.</summary>
public interface IFeatureInputModel : ISequenceModel<float>
{
    /// <summary>As <see cref="ISequenceModel.Backward"/>, and writes ∂loss/∂input, shaped as the last <c>Forward</c>'s input.</summary>
    void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient);
}
