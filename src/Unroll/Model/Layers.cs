using System.ComponentModel;

namespace Unroll;

/// <summary>
/// The recurrent states of one recurrent layer property, as PyTorch's <c>h_0</c>, <c>c_0</c>,
/// <c>h_n</c>, <c>c_n</c>: each is <c>[NumLayers * Directions, BatchSize, HiddenSize]</c>, row-major,
/// index <c>layer * Directions + direction</c>. All live in the model's arena.
/// </summary>
/// <remarks>
/// The block holds, in this order: h_0, h_n, ∂h_0, ∂h_n, and for an LSTM c_0, c_n, ∂c_0, ∂c_n.
/// <c>Forward</c> starts from h_0 (and c_0) and writes h_n (and c_n). <c>Step</c> carries its state in
/// h_n (and c_n): <c>ResetState</c> copies h_0 into h_n, and every <c>Step</c> moves h_n forward,
/// so a <c>Forward</c> over a prefix followed by <c>Step</c> continues the sequence.
/// <c>Backward</c> reads ∂h_n (the loss gradient with respect to the final state; zero unless set)
/// and writes ∂h_0.
/// </remarks>
internal readonly struct StateBlock
{
    private readonly float[] _arena;
    private readonly int _offset;
    public readonly int Length;

    public StateBlock(float[] arena, int offset, int length)
    {
        _arena = arena;
        _offset = offset;
        Length = length;
    }

    public Span<float> this[int k] => _arena.AsSpan(_offset + k * Length, Length);
}

/// <summary>
/// The states of a recurrent layer (<see cref="RnnLayer"/>, <see cref="GruLayer"/>, <see cref="LstmLayer"/>),
/// for code that handles any of them; each is <c>[NumLayers * Directions, batch, HiddenSize]</c>.
/// </summary>
public interface IRecurrentLayer
{
    /// <summary>Stacked layers.</summary>
    int NumLayers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    int Directions { get; }

    /// <summary>Features of each state.</summary>
    int HiddenSize { get; }

    /// <summary>h_0; zero unless set.</summary>
    Span<float> InitialHidden { get; }

    /// <summary>h_n after <c>Forward</c>, or the streaming state of <c>Step</c>.</summary>
    Span<float> FinalHidden { get; }

    /// <summary>∂loss/∂h_0, written by <c>Backward</c>.</summary>
    Span<float> InitialHiddenGradient { get; }

    /// <summary>∂loss/∂h_n, read by <c>Backward</c>; zero unless set.</summary>
    Span<float> FinalHiddenGradient { get; }
}

/// <summary>A view of an <see cref="EmbeddingAttribute"/> layer: its weight <c>[NumEmbeddings, EmbeddingDim]</c> and gradient.</summary>
public readonly struct EmbeddingLayer
{
    private readonly float[] _arena;
    private readonly int _weight, _gradient;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public EmbeddingLayer(float[] arena, int weightOffset, int gradientOffset, int numEmbeddings, int embeddingDim)
    {
        _arena = arena;
        _weight = weightOffset;
        _gradient = gradientOffset;
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
    }

    /// <summary>The vocabulary size.</summary>
    public int NumEmbeddings { get; }

    /// <summary>The width of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The table, <c>[NumEmbeddings, EmbeddingDim]</c> (PyTorch's <c>weight</c>).</summary>
    public Span<float> Weight => _arena.AsSpan(_weight, NumEmbeddings * EmbeddingDim);

    /// <summary>The accumulated gradient of <see cref="Weight"/>.</summary>
    public Span<float> WeightGradient => GradientSpan.Of(_arena, _gradient, NumEmbeddings * EmbeddingDim);
}

/// <summary>A view of a <see cref="LinearAttribute"/> layer: weight <c>[OutFeatures, InFeatures]</c>, bias and gradients.</summary>
public readonly struct LinearLayer
{
    private readonly float[] _arena;
    private readonly int _weight, _gradient;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public LinearLayer(float[] arena, int weightOffset, int gradientOffset, int inFeatures, int outFeatures, bool hasBias)
    {
        _arena = arena;
        _weight = weightOffset;
        _gradient = gradientOffset;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        HasBias = hasBias;
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool HasBias { get; }

    /// <summary>PyTorch's <c>weight</c>, <c>[OutFeatures, InFeatures]</c>.</summary>
    public Span<float> Weight => _arena.AsSpan(_weight, OutFeatures * InFeatures);

    /// <summary>PyTorch's <c>bias</c>, <c>[OutFeatures]</c> (empty without a bias).</summary>
    public Span<float> Bias => _arena.AsSpan(_weight + OutFeatures * InFeatures, HasBias ? OutFeatures : 0);

    /// <summary>The accumulated gradient of <see cref="Weight"/>.</summary>
    public Span<float> WeightGradient => GradientSpan.Of(_arena, _gradient, OutFeatures * InFeatures);

    /// <summary>The accumulated gradient of <see cref="Bias"/>.</summary>
    public Span<float> BiasGradient => GradientSpan.Of(_arena, _gradient < 0 ? -1 : _gradient + OutFeatures * InFeatures, HasBias ? OutFeatures : 0);
}

/// <summary>
/// A view of a <see cref="SelfAttentionAttribute"/> layer: the attention weights of the last
/// <c>Forward</c>, and the gradient arriving at them.
/// </summary>
public readonly struct SelfAttentionLayer
{
    private readonly float[] _arena;
    private readonly int _weights, _weightsGradient;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public SelfAttentionLayer(float[] arena, int weightsOffset, int weightsGradientOffset, int batchSize, int numHeads, int sequenceLength)
    {
        _arena = arena;
        _weights = weightsOffset;
        _weightsGradient = weightsGradientOffset;
        BatchSize = batchSize;
        NumHeads = numHeads;
        SequenceLength = sequenceLength;
    }

    /// <summary>Sequences of the batch.</summary>
    public int BatchSize { get; }

    /// <summary>Attention heads.</summary>
    public int NumHeads { get; }

    /// <summary>The longest sequence.</summary>
    public int SequenceLength { get; }

    /// <summary>
    /// The softmax weights of the last <c>Forward</c> over <c>length</c> steps: its first
    /// <c>BatchSize · NumHeads · length · length</c> values are <c>[batch, head, query, key]</c>, row-major.
    /// </summary>
    public Span<float> Weights => _arena.AsSpan(_weights, BatchSize * NumHeads * SequenceLength * SequenceLength);

    /// <summary>
    /// ∂loss/∂weights, laid out as <see cref="Weights"/>: read by <c>Backward</c> (zero unless set), for a
    /// loss that looks at the attention weights themselves.
    /// </summary>
    public Span<float> WeightsGradient => GradientSpan.Of(_arena, _weightsGradient, BatchSize * NumHeads * SequenceLength * SequenceLength);
}

/// <summary>
/// A view of a <see cref="TransformerEncoderLayerAttribute"/> layer: its self-attention's weights of the last
/// <c>Forward</c>, and the gradient arriving at them (its parameters are in the model's <c>NamedParameters</c>).
/// </summary>
public readonly struct TransformerEncoderLayer
{
    private readonly SelfAttentionLayer _attention;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TransformerEncoderLayer(float[] arena, int weightsOffset, int weightsGradientOffset, int batchSize, int numHeads, int sequenceLength, int feedForward)
    {
        _attention = new SelfAttentionLayer(arena, weightsOffset, weightsGradientOffset, batchSize, numHeads, sequenceLength);
        FeedForward = feedForward;
    }

    /// <summary>Attention heads.</summary>
    public int NumHeads => _attention.NumHeads;

    /// <summary>The feed-forward's hidden width.</summary>
    public int FeedForward { get; }

    /// <summary>The self-attention's softmax weights of the last <c>Forward</c>, <c>[batch, head, query, key]</c> (see <see cref="SelfAttentionLayer.Weights"/>).</summary>
    public Span<float> AttentionWeights => _attention.Weights;

    /// <summary>∂loss/∂<see cref="AttentionWeights"/>, read by <c>Backward</c> (zero unless set).</summary>
    public Span<float> AttentionWeightsGradient => _attention.WeightsGradient;
}

/// <summary>A view of a <see cref="LayerNormAttribute"/> layer: its <c>weight</c> and <c>bias</c> and their gradients.</summary>
public readonly struct LayerNormLayer
{
    private readonly float[] _arena;
    private readonly int _weight, _gradient;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public LayerNormLayer(float[] arena, int weightOffset, int gradientOffset, int features)
    {
        _arena = arena;
        _weight = weightOffset;
        _gradient = gradientOffset;
        Features = features;
    }

    /// <summary>Features per row.</summary>
    public int Features { get; }

    /// <summary>PyTorch's <c>weight</c> (γ), <c>[Features]</c>.</summary>
    public Span<float> Weight => _arena.AsSpan(_weight, Features);

    /// <summary>PyTorch's <c>bias</c> (β), <c>[Features]</c>.</summary>
    public Span<float> Bias => _arena.AsSpan(_weight + Features, Features);

    /// <summary>The accumulated gradient of <see cref="Weight"/>.</summary>
    public Span<float> WeightGradient => GradientSpan.Of(_arena, _gradient, Features);

    /// <summary>The accumulated gradient of <see cref="Bias"/>.</summary>
    public Span<float> BiasGradient => GradientSpan.Of(_arena, _gradient < 0 ? -1 : _gradient + Features, Features);
}

/// <summary>A view of a <see cref="DropoutAttribute"/> layer (it has no parameters).</summary>
public readonly struct DropoutLayer
{
    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public DropoutLayer(float p, int features)
    {
        P = p;
        Features = features;
    }

    /// <summary>The probability of zeroing a value in training.</summary>
    public float P { get; }

    /// <summary>Features per row it passes on.</summary>
    public int Features { get; }
}

/// <summary>A view of an <see cref="ActivationAttribute"/> layer (it has no parameters).</summary>
public readonly struct ActivationLayer
{
    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ActivationLayer(ActivationFunction function, GeluApproximation approximate, float negativeSlope, int features)
    {
        Function = function;
        Approximate = approximate;
        NegativeSlope = negativeSlope;
        Features = features;
    }

    /// <summary>The function applied to every value.</summary>
    public ActivationFunction Function { get; }

    /// <summary>GELU's form (<see cref="GeluApproximation.None"/> for the other functions).</summary>
    public GeluApproximation Approximate { get; }

    /// <summary>LeakyReLU's slope below 0.</summary>
    public float NegativeSlope { get; }

    /// <summary>Features per row it passes on.</summary>
    public int Features { get; }
}

/// <summary>A view of an <see cref="RnnAttribute"/> layer's states; see <see cref="LstmLayer"/> for their meaning.</summary>
public readonly struct RnnLayer : IRecurrentLayer
{
    private readonly StateBlock _states;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public RnnLayer(float[] arena, int statesOffset, int numLayers, int directions, int batchSize, int hiddenSize)
    {
        _states = new StateBlock(arena, statesOffset, numLayers * directions * batchSize * hiddenSize);
        NumLayers = numLayers;
        Directions = directions;
        HiddenSize = hiddenSize;
    }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Features of each state.</summary>
    public int HiddenSize { get; }

    /// <summary>h_0, <c>[NumLayers * Directions, BatchSize, HiddenSize]</c>; zero unless set.</summary>
    public Span<float> InitialHidden => _states[0];

    /// <summary>h_n after <c>Forward</c>, or the streaming state of <c>Step</c>.</summary>
    public Span<float> FinalHidden => _states[1];

    /// <summary>∂loss/∂h_0, written by <c>Backward</c>.</summary>
    public Span<float> InitialHiddenGradient => _states[2];

    /// <summary>∂loss/∂h_n, read by <c>Backward</c>; zero unless set.</summary>
    public Span<float> FinalHiddenGradient => _states[3];
}

/// <summary>A view of a <see cref="GruAttribute"/> layer's states; see <see cref="LstmLayer"/> for their meaning.</summary>
public readonly struct GruLayer : IRecurrentLayer
{
    private readonly StateBlock _states;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public GruLayer(float[] arena, int statesOffset, int numLayers, int directions, int batchSize, int hiddenSize)
    {
        _states = new StateBlock(arena, statesOffset, numLayers * directions * batchSize * hiddenSize);
        NumLayers = numLayers;
        Directions = directions;
        HiddenSize = hiddenSize;
    }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Features of each state.</summary>
    public int HiddenSize { get; }

    /// <summary>h_0, <c>[NumLayers * Directions, BatchSize, HiddenSize]</c>; zero unless set.</summary>
    public Span<float> InitialHidden => _states[0];

    /// <summary>h_n after <c>Forward</c>, or the streaming state of <c>Step</c>.</summary>
    public Span<float> FinalHidden => _states[1];

    /// <summary>∂loss/∂h_0, written by <c>Backward</c>.</summary>
    public Span<float> InitialHiddenGradient => _states[2];

    /// <summary>∂loss/∂h_n, read by <c>Backward</c>; zero unless set.</summary>
    public Span<float> FinalHiddenGradient => _states[3];
}

/// <summary>
/// A view of an <see cref="LstmAttribute"/> layer's states, as PyTorch's <c>(h_0, c_0)</c> and
/// <c>(h_n, c_n)</c>: each <c>[NumLayers * Directions, BatchSize, HiddenSize]</c>, index
/// <c>layer * Directions + direction</c>.
/// </summary>
/// <remarks>
/// <c>Forward</c> starts from the initial states and writes the final ones. <c>Step</c> carries its
/// state in the final states: <c>ResetState</c> copies the initial states into them. <c>Backward</c>
/// reads the final-state gradients (the loss's dependence on h_n and c_n; zero unless set) and
/// writes the initial-state gradients.
/// </remarks>
public readonly struct LstmLayer : IRecurrentLayer
{
    private readonly StateBlock _states;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public LstmLayer(float[] arena, int statesOffset, int numLayers, int directions, int batchSize, int hiddenSize)
    {
        _states = new StateBlock(arena, statesOffset, numLayers * directions * batchSize * hiddenSize);
        NumLayers = numLayers;
        Directions = directions;
        HiddenSize = hiddenSize;
    }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Features of each state.</summary>
    public int HiddenSize { get; }

    /// <summary>h_0; zero unless set.</summary>
    public Span<float> InitialHidden => _states[0];

    /// <summary>h_n after <c>Forward</c>, or the streaming state of <c>Step</c>.</summary>
    public Span<float> FinalHidden => _states[1];

    /// <summary>∂loss/∂h_0, written by <c>Backward</c>.</summary>
    public Span<float> InitialHiddenGradient => _states[2];

    /// <summary>∂loss/∂h_n, read by <c>Backward</c>; zero unless set.</summary>
    public Span<float> FinalHiddenGradient => _states[3];

    /// <summary>c_0; zero unless set.</summary>
    public Span<float> InitialCell => _states[4];

    /// <summary>c_n after <c>Forward</c>, or the streaming cell state of <c>Step</c>.</summary>
    public Span<float> FinalCell => _states[5];

    /// <summary>∂loss/∂c_0, written by <c>Backward</c>.</summary>
    public Span<float> InitialCellGradient => _states[6];

    /// <summary>∂loss/∂c_n, read by <c>Backward</c>; zero unless set.</summary>
    public Span<float> FinalCellGradient => _states[7];
}

/// <summary>
/// A view of an <see cref="AttentionDecoderAttribute"/> layer: its states and attention weights. States
/// are <c>[BatchSize, HiddenSize]</c>; <c>FinalCell</c> and its gradient are empty for a GRU decoder.
/// </summary>
/// <remarks>
/// <c>Forward</c> and <c>Encode</c> take the initial state from the encoder and write it to
/// <see cref="InitialHidden"/>. <c>Step</c> carries its state in <see cref="FinalHidden"/> (and
/// <see cref="FinalCell"/>): <c>ResetState</c> copies the initial state there.
/// </remarks>
public readonly struct AttentionDecoderLayer
{
    private readonly StateBlock _states;
    private readonly float[] _arena;
    private readonly int _weights, _weightsGradient, _stepWeights;
    private readonly bool _lstm;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public AttentionDecoderLayer(float[] arena, int statesOffset, int weightsOffset, int weightsGradientOffset, int stepWeightsOffset,
        int batchSize, int hiddenSize, int targetLength, int sourceLength, bool lstm)
    {
        _states = new StateBlock(arena, statesOffset, batchSize * hiddenSize);
        _arena = arena;
        _weights = weightsOffset;
        _weightsGradient = weightsGradientOffset;
        _stepWeights = stepWeightsOffset;
        _lstm = lstm;
        BatchSize = batchSize;
        HiddenSize = hiddenSize;
        TargetLength = targetLength;
        SourceLength = sourceLength;
    }

    /// <summary>Sequences of the batch.</summary>
    public int BatchSize { get; }

    /// <summary>Features of the decoder state.</summary>
    public int HiddenSize { get; }

    /// <summary>The most decoder steps.</summary>
    public int TargetLength { get; }

    /// <summary>The longest source.</summary>
    public int SourceLength { get; }

    /// <summary>s_0: the encoder's final state, as the last <c>Forward</c> or <c>Encode</c> took it.</summary>
    public Span<float> InitialHidden => _states[0];

    /// <summary>s_n after <c>Forward</c>, or the streaming state of <c>Step</c>.</summary>
    public Span<float> FinalHidden => _states[1];

    /// <summary>∂loss/∂s_n, read by <c>Backward</c>; zero unless set.</summary>
    public Span<float> FinalHiddenGradient => _states[3];

    /// <summary>LSTM decoder: c_0, from the encoder (zero when the encoder's last recurrent layer has no cell state).</summary>
    public Span<float> InitialCell => _lstm ? _states[4] : default;

    /// <summary>LSTM decoder: c_n after <c>Forward</c>, or the streaming cell state of <c>Step</c>.</summary>
    public Span<float> FinalCell => _lstm ? _states[5] : default;

    /// <summary>LSTM decoder: ∂loss/∂c_n, read by <c>Backward</c>; zero unless set.</summary>
    public Span<float> FinalCellGradient => _lstm ? _states[7] : default;

    /// <summary>
    /// The attention weights of the last <c>Forward</c> over <c>targetLength</c> decoder steps and
    /// <c>sourceLength</c> source steps: its first <c>BatchSize · targetLength · sourceLength</c> values
    /// are <c>[batch, target step, source step]</c>, row-major; padding gets exactly 0.
    /// </summary>
    public Span<float> AttentionWeights => _arena.AsSpan(_weights, BatchSize * TargetLength * SourceLength);

    /// <summary>
    /// ∂loss/∂weights, laid out as <see cref="AttentionWeights"/>: read by <c>Backward</c> (zero unless
    /// set), for a loss that looks at the attention weights themselves.
    /// </summary>
    public Span<float> AttentionWeightsGradient => GradientSpan.Of(_arena, _weightsGradient, BatchSize * TargetLength * SourceLength);

    /// <summary>The attention weights of the last <c>Step</c>: the first <c>BatchSize · sourceLength</c> values are <c>[batch, source step]</c> for the encoded length.</summary>
    public Span<float> StepAttentionWeights => _arena.AsSpan(_stepWeights, BatchSize * SourceLength);
}

/// <summary>
/// A view of a <see cref="TransformerDecoderLayerAttribute"/> decoder: the cross-attention weights of its last layer, of
/// the last <c>Forward</c> and of the last <c>Step</c> (its parameters are in the model's <c>NamedParameters</c>).
/// </summary>
public readonly struct TransformerDecoderLayer
{
    private readonly float[] _arena;
    private readonly int _weights, _stepWeights;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TransformerDecoderLayer(float[] arena, int weightsOffset, int stepWeightsOffset, int batchSize, int numHeads, int numLayers, int targetLength, int sourceLength)
    {
        _arena = arena;
        _weights = weightsOffset;
        _stepWeights = stepWeightsOffset;
        BatchSize = batchSize;
        NumHeads = numHeads;
        NumLayers = numLayers;
        TargetLength = targetLength;
        SourceLength = sourceLength;
    }

    /// <summary>Sequences of the batch.</summary>
    public int BatchSize { get; }

    /// <summary>Attention heads.</summary>
    public int NumHeads { get; }

    /// <summary>Decoder layers.</summary>
    public int NumLayers { get; }

    /// <summary>The most decoder steps.</summary>
    public int TargetLength { get; }

    /// <summary>The longest source.</summary>
    public int SourceLength { get; }

    /// <summary>
    /// The last layer's cross-attention weights of the last <c>Forward</c> over <c>targetLength</c> decoder steps and
    /// <c>sourceLength</c> source steps: its first <c>BatchSize · NumHeads · targetLength · sourceLength</c> values are
    /// <c>[batch, head, target step, source step]</c>, row-major; padding gets exactly 0.
    /// </summary>
    public Span<float> CrossAttentionWeights => _arena.AsSpan(_weights, BatchSize * NumHeads * TargetLength * SourceLength);

    /// <summary>The last layer's cross-attention weights of the last <c>Step</c>: the first <c>BatchSize · NumHeads · sourceLength</c> values are <c>[batch, head, source step]</c> for the encoded length.</summary>
    public Span<float> StepCrossAttentionWeights => _arena.AsSpan(_stepWeights, BatchSize * NumHeads * SourceLength);
}

/// <summary>A gradient's span in the arena, or an empty one when the model is compiled for inference only (offset -1).</summary>
internal static class GradientSpan
{
    public static Span<float> Of(float[] arena, int offset, int length) => offset < 0 ? default : arena.AsSpan(offset, length);
}

/// <summary>A view of a <see cref="Conv1dAttribute"/> layer: its <c>weight</c> and <c>bias</c> and their gradients.</summary>
public readonly struct Conv1dLayer
{
    private readonly float[] _arena;
    private readonly int _weight, _gradient;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Conv1dLayer(float[] arena, int weightOffset, int gradientOffset, int inChannels, int outChannels, int kernelSize, int stride, int groups, bool hasBias)
    {
        _arena = arena;
        _weight = weightOffset;
        _gradient = gradientOffset;
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Groups = groups;
        HasBias = hasBias;
    }

    /// <summary>Features per input step.</summary>
    public int InChannels { get; }

    /// <summary>Features per output step.</summary>
    public int OutChannels { get; }

    /// <summary>Steps the kernel spans.</summary>
    public int KernelSize { get; }

    /// <summary>Input steps between consecutive output steps.</summary>
    public int Stride { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool HasBias { get; }

    private int WeightLength => OutChannels * (InChannels / Groups) * KernelSize;

    /// <summary>PyTorch's <c>weight</c>, <c>[OutChannels, InChannels / Groups, KernelSize]</c>.</summary>
    public Span<float> Weight => _arena.AsSpan(_weight, WeightLength);

    /// <summary>PyTorch's <c>bias</c>, <c>[OutChannels]</c> (empty without one).</summary>
    public Span<float> Bias => HasBias ? _arena.AsSpan(_weight + WeightLength, OutChannels) : default;

    /// <summary>The accumulated gradient of <see cref="Weight"/>.</summary>
    public Span<float> WeightGradient => GradientSpan.Of(_arena, _gradient, WeightLength);

    /// <summary>The accumulated gradient of <see cref="Bias"/> (empty without one).</summary>
    public Span<float> BiasGradient => HasBias ? GradientSpan.Of(_arena, _gradient < 0 ? -1 : _gradient + WeightLength, OutChannels) : default;
}

/// <summary>A view of a <see cref="BatchNormAttribute"/> layer: its parameters (when affine) and running statistics.</summary>
public readonly struct BatchNormLayer
{
    private readonly float[] _arena;
    private readonly int _weight, _gradient, _buffers;

    /// <summary>Used by generated code: <paramref name="weightOffset"/> is -1 without <c>weight</c> and <c>bias</c>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public BatchNormLayer(float[] arena, int weightOffset, int gradientOffset, int buffersOffset, int features, float momentum, float eps)
    {
        _arena = arena;
        _weight = weightOffset;
        _gradient = weightOffset < 0 ? -1 : gradientOffset;
        _buffers = buffersOffset;
        Features = features;
        Momentum = momentum;
        Eps = eps;
    }

    /// <summary>Features per step.</summary>
    public int Features { get; }

    /// <summary>The weight of a batch's statistics in the running ones.</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public float Eps { get; }

    /// <summary>Whether the layer has <see cref="Weight"/> and <see cref="Bias"/>.</summary>
    public bool Affine => _weight >= 0;

    /// <summary>PyTorch's <c>weight</c> (γ), <c>[Features]</c>; empty when not <see cref="Affine"/>.</summary>
    public Span<float> Weight => _weight < 0 ? default : _arena.AsSpan(_weight, Features);

    /// <summary>PyTorch's <c>bias</c> (β), <c>[Features]</c>; empty when not <see cref="Affine"/>.</summary>
    public Span<float> Bias => _weight < 0 ? default : _arena.AsSpan(_weight + Features, Features);

    /// <summary>The accumulated gradient of <see cref="Weight"/>.</summary>
    public Span<float> WeightGradient => GradientSpan.Of(_arena, _gradient, Features);

    /// <summary>The accumulated gradient of <see cref="Bias"/>.</summary>
    public Span<float> BiasGradient => GradientSpan.Of(_arena, _gradient < 0 ? -1 : _gradient + Features, Features);

    /// <summary>The buffer <c>running_mean</c>, <c>[Features]</c>.</summary>
    public Span<float> RunningMean => _arena.AsSpan(_buffers, Features);

    /// <summary>The buffer <c>running_var</c> (unbiased), <c>[Features]</c>.</summary>
    public Span<float> RunningVar => _arena.AsSpan(_buffers + Features, Features);

    /// <summary>The buffer <c>num_batches_tracked</c>: the training batches seen (an int64 in PyTorch's state dict).</summary>
    public long NumBatchesTracked => (long)_arena[_buffers + 2 * Features];
}

/// <summary>A view of a <see cref="PoolingAttribute"/> layer (it has no parameters).</summary>
public readonly struct PoolingLayer
{
    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public PoolingLayer(PoolingKind kind, int features)
    {
        Kind = kind;
        Features = features;
    }

    /// <summary>What the layer keeps of a row's steps.</summary>
    public PoolingKind Kind { get; }

    /// <summary>Features per row it passes on.</summary>
    public int Features { get; }
}

/// <summary>A view of a <see cref="MaxPool1dAttribute"/> layer (it has no parameters).</summary>
public readonly struct MaxPool1dLayer
{
    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public MaxPool1dLayer(int kernelSize, int stride, int padding, int dilation, int channels)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Channels = channels;
    }

    /// <summary>Steps the window spans.</summary>
    public int KernelSize { get; }

    /// <summary>Input steps between consecutive windows.</summary>
    public int Stride { get; }

    /// <summary>Steps of −∞ on both sides.</summary>
    public int Padding { get; }

    /// <summary>Input steps between the window's taps.</summary>
    public int Dilation { get; }

    /// <summary>Features per step it passes on.</summary>
    public int Channels { get; }
}

/// <summary>A view of an <see cref="AvgPool1dAttribute"/> layer (it has no parameters).</summary>
public readonly struct AvgPool1dLayer
{
    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public AvgPool1dLayer(int kernelSize, int stride, int padding, bool countIncludePad, int channels)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        CountIncludePad = countIncludePad;
        Channels = channels;
    }

    /// <summary>Steps the window spans.</summary>
    public int KernelSize { get; }

    /// <summary>Input steps between consecutive windows.</summary>
    public int Stride { get; }

    /// <summary>Steps of zeros on both sides.</summary>
    public int Padding { get; }

    /// <summary>Whether the padding's zeros count in a window's mean.</summary>
    public bool CountIncludePad { get; }

    /// <summary>Features per step it passes on.</summary>
    public int Channels { get; }
}

/// <summary>
/// A view of a <see cref="PositionalEncodingAttribute"/> layer: its kind and, for the learned kind, its <c>weight</c>
/// <c>[MaxLength, Features]</c> and gradient (empty for the sinusoidal kind, which has no parameters).
/// </summary>
public readonly struct PositionalEncodingLayer
{
    private readonly float[]? _arena;
    private readonly int _weight, _gradient;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public PositionalEncodingLayer(float[]? arena, int weightOffset, int gradientOffset, PositionalEncodingKind kind, int maxLength, int features)
    {
        _arena = arena;
        _weight = weightOffset;
        _gradient = gradientOffset;
        Kind = kind;
        MaxLength = maxLength;
        Features = features;
    }

    /// <summary>Sinusoidal or learned.</summary>
    public PositionalEncodingKind Kind { get; }

    /// <summary>Positions the encoding covers.</summary>
    public int MaxLength { get; }

    /// <summary>Features per row it passes on.</summary>
    public int Features { get; }

    /// <summary>The learned table, <c>[MaxLength, Features]</c> (PyTorch's <c>weight</c>); empty for the sinusoidal kind.</summary>
    public Span<float> Weight => _arena is null || _weight < 0 ? default : _arena.AsSpan(_weight, MaxLength * Features);

    /// <summary>The accumulated gradient of <see cref="Weight"/>; empty for the sinusoidal kind, a frozen table or a model for inference only.</summary>
    public Span<float> WeightGradient => _arena is null ? default : GradientSpan.Of(_arena, _gradient, MaxLength * Features);
}
