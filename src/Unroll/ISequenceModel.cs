namespace Unroll;

/// <summary>
/// What every model Unroll compiles offers, so that code such as a training loop, a checkpoint or
/// an exporter can work with any of them. The generated class implements
/// <see cref="ISequenceModel{TInput}"/> (float features or <c>int</c> token ids) and, when it has no
/// bidirectional layer, <see cref="IStreamingModel{TInput}"/>. The shapes are also the class's constants.
/// </summary>
public interface ISequenceModel
{
    /// <summary>The longest sequence <c>Forward</c> takes.</summary>
    int SequenceLength { get; }

    /// <summary>Sequences processed side by side.</summary>
    int BatchSize { get; }

    /// <summary>Values per sequence and step of the input (1 for token models).</summary>
    int InputSize { get; }

    /// <summary>Features per output row.</summary>
    int OutputSize { get; }

    /// <summary>Number of trainable parameters.</summary>
    int ParameterCount { get; }

    /// <summary>Token models: input ids run from 0 to <c>VocabularySize − 1</c>. Models with float input: 0.</summary>
    int VocabularySize { get; }

    /// <summary>Training mode: dropout applies in <c>Forward</c> only while it is set.</summary>
    bool Training { get; set; }

    /// <summary>The generator of the dropout masks.</summary>
    SeededRandom DropoutGenerator { get; }

    /// <summary>Every parameter, one contiguous block in <see cref="NamedParameters"/> order.</summary>
    Span<float> Parameters { get; }

    /// <summary>The accumulated gradients, same layout as <see cref="Parameters"/>.</summary>
    Span<float> Gradients { get; }

    /// <summary>The parameters with PyTorch's state-dict names and shapes.</summary>
    NamedParameterCollection NamedParameters { get; }

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGradients();

    /// <summary>Loads every parameter from a safetensors file with PyTorch's state-dict names and shapes.</summary>
    void LoadSafetensors(string path);

    /// <summary>Saves every parameter as a safetensors file with PyTorch's state-dict names and shapes.</summary>
    void SaveSafetensors(string path);

    /// <summary>Backpropagation through time for the last <c>Forward</c>; adds into <see cref="Gradients"/>.</summary>
    void Backward(ReadOnlySpan<float> outputGradient);
}

/// <summary>A compiled model whose input is <typeparamref name="TInput"/>: <c>float</c> features or <c>int</c> token ids.</summary>
public interface ISequenceModel<TInput> : ISequenceModel
    where TInput : unmanaged
{
    /// <summary>Runs the network over sequences of <see cref="ISequenceModel.SequenceLength"/> steps, batch-first.</summary>
    void Forward(ReadOnlySpan<TInput> input, Span<float> output);

    /// <summary>Runs the network over sequences of <paramref name="length"/> steps, batch-first.</summary>
    void Forward(ReadOnlySpan<TInput> input, Span<float> output, int length);
}

/// <summary>A compiled model that also streams: one step of every sequence per call.</summary>
public interface IStreamingModel<TInput> : ISequenceModel<TInput>
    where TInput : unmanaged
{
    /// <summary>Advances every sequence of the batch by one step from the running state.</summary>
    void Step(ReadOnlySpan<TInput> input, Span<float> output);

    /// <summary>Sets the running state to the initial state.</summary>
    void ResetState();

    /// <summary>Reorders the running states across the batch: row b takes the state row <c>sources[b]</c> had (for beam search).</summary>
    void ReorderState(ReadOnlySpan<int> sources);
}

/// <summary>A compiled model whose input is float features, so <c>Backward</c> can also give the gradient of the input.</summary>
public interface IFeatureInputModel : ISequenceModel<float>
{
    /// <summary>As <see cref="ISequenceModel.Backward"/>, and writes ∂loss/∂input, shaped as the last <c>Forward</c>'s input.</summary>
    void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient);
}
