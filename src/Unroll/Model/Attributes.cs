using System.Diagnostics.CodeAnalysis;

namespace Unroll;

/// <summary>
/// Marks a <c>partial</c> class as a sequence model compiled by Unroll. Its <c>partial</c>
/// properties carrying layer attributes are the layers, applied in declaration order.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ModelAttribute : Attribute
{
    /// <summary>The maximum number of time steps; a shorter length may be passed at run time.</summary>
    public int SequenceLength { get; set; }

    /// <summary>The number of sequences processed side by side (default 1).</summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>
    /// Encoder–decoder models (the last layer is an <see cref="AttentionDecoderAttribute"/>): the most
    /// decoder steps; a shorter target may be passed at run time. <see cref="SequenceLength"/> is then
    /// the longest source.
    /// </summary>
    public int TargetLength { get; set; }

    /// <summary>
    /// Compiles inference only (default false): <c>Forward</c>, and <c>Step</c> when the model streams, but no
    /// <c>Backward</c>, no gradients and none of the buffers only backpropagation needs, so an edge binary carries
    /// only what it runs. The class then implements <see cref="IInferenceModel{TInput}"/> (and
    /// <see cref="IStepModel{TInput}"/>) instead of <see cref="ISequenceModel{TInput}"/>; its weights come from a
    /// file or from a training twin (<c>trained.Parameters.CopyTo(model.Parameters)</c>: the layouts are the same). The
    /// gradient spans of its layer views and named parameters are empty. An encoder–decoder model keeps its teacher-forced
    /// <c>Forward</c> (in evaluation mode), <c>Encode</c>, <c>Step</c> and <c>ReorderState</c>, and implements
    /// <see cref="IEncoderDecoderModel{TSource, TTarget}"/> alone.
    /// </summary>
    public bool InferenceOnly { get; set; }

    /// <summary>
    /// A safetensors file (as written from PyTorch's <c>state_dict()</c> or by <c>SaveSafetensors</c>) whose weights are
    /// compiled into the assembly as read-only data: the parameterless constructor loads them, and
    /// <c>LoadCompiledWeights()</c> loads them again, with no file system at run time. The file must be an
    /// <c>AdditionalFiles</c> item of the project (<c>&lt;AdditionalFiles Include="weights/model.safetensors" /&gt;</c>),
    /// named here by its file name or the end of its path. Every parameter must be in it with the declared shape, as
    /// F32, F64, F16 or BF16 (converted to float32 when compiling); a missing file or tensor, another shape or dtype is
    /// a compile error, and a tensor the model does not have is a warning.
    /// </summary>
    public string? Weights { get; set; }

    /// <summary>
    /// The precision in which an inference-only model keeps the weights of its streaming steps (default
    /// <see cref="WeightPrecision.Float32"/>): fewer bytes read per step, with sums still in float32. Only with
    /// <see cref="InferenceOnly"/>. <c>Step</c> then runs on the rounded weights of its LSTM and GRU layers; <c>Forward</c>
    /// and <c>Parameters</c> keep float32, so a run of steps equals <c>Forward</c> within the rounding's error rather than
    /// to float32 precision.
    /// </summary>
    public WeightPrecision WeightPrecision { get; set; }
}

/// <summary>
/// Declares an inference-only model from a trained <see cref="ModelAttribute"/> class without repeating its layers: the
/// <c>partial</c> class gets the trained model's layers (the same names, sizes, options and parameter layout, so
/// <c>trained.Parameters.CopyTo(deployed.Parameters)</c> and its safetensors files fit), compiled as
/// <see cref="ModelAttribute.InferenceOnly"/>. The class declares no layer properties of its own: the generator declares them.
/// </summary>
/// <example>
/// <code>
/// [InferenceModel(typeof(CharLm), BatchSize = 1, Weights = "runs/charlm.safetensors")]
/// public partial class CharLmDeployed;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class InferenceModelAttribute : Attribute
{
    /// <summary>Declares an inference-only twin of <paramref name="model"/>, a class marked with <see cref="ModelAttribute"/>.</summary>
    public InferenceModelAttribute([DynamicallyAccessedMembers(LayerProperties)] Type model) => Model = model;

    /// <summary>The trained model whose layers this one has.</summary>
    [DynamicallyAccessedMembers(LayerProperties)]
    public Type Model { get; }

    // The trained model's layer properties (and their attributes) stay readable under trimming and Native AOT: ONNX
    // export reads a twin's layers from them.
    private const DynamicallyAccessedMemberTypes LayerProperties = DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.NonPublicProperties;

    /// <summary>The maximum number of time steps; 0 (the default) keeps the trained model's.</summary>
    public int SequenceLength { get; set; }

    /// <summary>The most sequences side by side; 0 (the default) keeps the trained model's. A streaming twin often takes 1.</summary>
    public int BatchSize { get; set; }

    /// <summary>Encoder–decoder models: the most decoder steps; 0 (the default) keeps the trained model's.</summary>
    public int TargetLength { get; set; }

    /// <summary>
    /// A safetensors file compiled in, as <see cref="ModelAttribute.Weights"/>: typically the file the trained model's
    /// <c>SaveSafetensors</c> writes. A file that does not exist yet (a clean build before the first training run) is
    /// warning UNR0029: the model builds, and its parameterless constructor throws until a build finds the file.
    /// </summary>
    public string? Weights { get; set; }

    /// <summary>How the streaming steps store their weights, as <see cref="ModelAttribute.WeightPrecision"/>.</summary>
    public WeightPrecision WeightPrecision { get; set; }
}

/// <summary>How a model's recurrent step weights are stored (see <see cref="ModelAttribute.WeightPrecision"/>).</summary>
public enum WeightPrecision
{
    /// <summary>As trained: 4 bytes a weight.</summary>
    Float32,

    /// <summary>bfloat16, rounded to nearest even: 2 bytes a weight, float32's range, 8 significant bits.</summary>
    BFloat16,

    /// <summary>IEEE half precision, rounded to nearest even: 2 bytes a weight, 11 significant bits, magnitudes up to 65504.</summary>
    Float16,

    /// <summary>
    /// Signed 8-bit integers with one float32 scale per output row (per gate and unit: the largest magnitude of the
    /// row's input and recurrent weights over 127), symmetric, as PyTorch's dynamic quantization of an LSTM's weights;
    /// activations stay float32. 1 byte a weight.
    /// </summary>
    Int8,
}

/// <summary>The activation of an Elman <see cref="RnnAttribute"/> layer, as PyTorch's <c>nonlinearity</c>.</summary>
public enum Nonlinearity
{
    /// <summary><c>h' = tanh(W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
    Tanh,

    /// <summary><c>h' = relu(W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
    Relu,
}

/// <summary>What every layer attribute takes besides its own options.</summary>
public abstract class LayerAttribute : Attribute
{
    private protected LayerAttribute()
    {
    }

    /// <summary>
    /// False freezes the layer's parameters, as <c>requires_grad_(False)</c> in PyTorch or <c>trainable = False</c> in Keras:
    /// <c>Backward</c> accumulates no gradient for them (it still passes gradients on to the layers before), they are left
    /// out of the model's <c>Parameters</c> and <c>Gradients</c>, so no optimizer or clipping reaches them, and they still
    /// save, load and compile in under their state-dict names (<c>NamedParameter.IsFrozen</c>). A layer without parameters
    /// ignores it. Default true.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>A lookup table from token ids to vectors, as <c>torch.nn.Embedding(numEmbeddings, embeddingDim)</c>. Only valid as the first layer.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class EmbeddingAttribute : LayerAttribute
{
    /// <summary>Declares an embedding of <paramref name="numEmbeddings"/> tokens into <paramref name="embeddingDim"/> features.</summary>
    public EmbeddingAttribute(int numEmbeddings, int embeddingDim)
    {
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
    }

    /// <summary>The vocabulary size.</summary>
    public int NumEmbeddings { get; }

    /// <summary>The width of each embedding vector.</summary>
    public int EmbeddingDim { get; }
}

/// <summary>An affine map <c>y = x Wᵀ + b</c> applied to every step, as <c>torch.nn.Linear(inFeatures, outFeatures, bias)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class LinearAttribute : LayerAttribute
{
    /// <summary>Declares a linear layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    public LinearAttribute(int inFeatures, int outFeatures)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>Options shared by the recurrent layers, named as PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c> and <c>nn.GRU</c> arguments.</summary>
public abstract class RecurrentAttribute : LayerAttribute
{
    private protected RecurrentAttribute(int inputSize, int hiddenSize)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
    }

    /// <summary>Features per step entering the first stacked layer.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state (per direction).</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers (default 1); layer k &gt; 0 reads layer k − 1's output.</summary>
    public int NumLayers { get; set; } = 1;

    /// <summary>Runs a second, reverse-time pass and concatenates its states after the forward ones.</summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// Dropout probability on the outputs of every stacked layer except the last, in training only
    /// (PyTorch's <c>dropout</c>; default 0). Kept values are scaled by 1 / (1 − p).
    /// </summary>
    public double Dropout { get; set; }

    /// <summary>
    /// True (default): every step's state goes on to the next layer. False: only the last step's
    /// (for a bidirectional layer the forward state after the last step and the reverse state
    /// after the first), for many-to-one models.
    /// </summary>
    public bool ReturnSequences { get; set; } = true;
}

/// <summary>An Elman recurrent layer, as <c>torch.nn.RNN</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class RnnAttribute : RecurrentAttribute
{
    /// <summary>Declares an Elman RNN from <paramref name="inputSize"/> to <paramref name="hiddenSize"/>.</summary>
    public RnnAttribute(int inputSize, int hiddenSize) : base(inputSize, hiddenSize) { }

    /// <summary>The activation (default <see cref="Nonlinearity.Tanh"/>).</summary>
    public Nonlinearity Nonlinearity { get; set; } = Nonlinearity.Tanh;
}

/// <summary>A long short-term memory layer, as <c>torch.nn.LSTM</c> (gate order i, f, g, o).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class LstmAttribute : RecurrentAttribute
{
    /// <summary>Declares an LSTM from <paramref name="inputSize"/> to <paramref name="hiddenSize"/>.</summary>
    public LstmAttribute(int inputSize, int hiddenSize) : base(inputSize, hiddenSize) { }
}

/// <summary>A gated recurrent unit layer, as <c>torch.nn.GRU</c> (gate order r, z, n; reset applied after the matrix product).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class GruAttribute : RecurrentAttribute
{
    /// <summary>Declares a GRU from <paramref name="inputSize"/> to <paramref name="hiddenSize"/>.</summary>
    public GruAttribute(int inputSize, int hiddenSize) : base(inputSize, hiddenSize) { }
}

/// <summary>
/// Inverted dropout, as <c>torch.nn.Dropout(p)</c>: in training (the model's <c>Training</c>) each
/// value is zeroed with probability <see cref="P"/> and the others are scaled by 1 / (1 − p); in
/// inference (and in <c>Step</c>) it passes values through. Not valid as the first layer.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    /// <summary>Declares dropout with probability <paramref name="p"/> (at least 0, below 1).</summary>
    public DropoutAttribute(double p) => P = p;

    /// <summary>The probability of zeroing a value.</summary>
    public double P { get; }
}

/// <summary>
/// Multi-head self-attention over the time axis, as <c>torch.nn.MultiheadAttention(embedDim, NumHeads,
/// batch_first=True)</c> called with query = key = value = the layer's input: parameters
/// <c>in_proj_weight [3E, E]</c> (rows q | k | v), <c>in_proj_bias [3E]</c>, <c>out_proj.weight [E, E]</c>,
/// <c>out_proj.bias [E]</c>; head h uses features <c>h·E/NumHeads … (h+1)·E/NumHeads − 1</c> and the
/// scale <c>1/√(E/NumHeads)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class SelfAttentionAttribute : LayerAttribute
{
    /// <summary>Declares self-attention over features of width <paramref name="embedDim"/>.</summary>
    public SelfAttentionAttribute(int embedDim) => EmbedDim = embedDim;

    /// <summary>The width E of the input and output features.</summary>
    public int EmbedDim { get; }

    /// <summary>Attention heads (default 1); must divide <see cref="EmbedDim"/>.</summary>
    public int NumHeads { get; set; } = 1;

    /// <summary>A step attends only to itself and earlier steps (PyTorch's causal <c>attn_mask</c>); masked weights are exactly 0.</summary>
    public bool Causal { get; set; }

    /// <summary>Adds the layer's input to its output (<c>y = x + attention(x)</c>), the residual connection of a transformer block.</summary>
    public bool Residual { get; set; }
}

/// <summary>
/// A transformer encoder block, as <c>torch.nn.TransformerEncoderLayer(dModel, nhead, dim_feedforward, dropout, activation,
/// layer_norm_eps, batch_first=True, norm_first)</c>, with its state-dict names: <c>self_attn.in_proj_weight</c>,
/// <c>self_attn.in_proj_bias</c>, <c>self_attn.out_proj.weight</c>, <c>self_attn.out_proj.bias</c>, <c>linear1.*</c>
/// (<c>[FeedForward, dModel]</c>), <c>linear2.*</c>, <c>norm1.*</c>, <c>norm2.*</c>. Post-norm (the default):
/// <c>s = norm1(x + dropout(self_attn(x)))</c>, <c>y = norm2(s + dropout(linear2(dropout(activation(linear1(s))))))</c>;
/// with <see cref="NormFirst"/>: <c>s = x + dropout(self_attn(norm1(x)))</c>, <c>y = s + dropout(linear2(dropout(activation(linear1(norm2(s))))))</c>.
/// Each row attends to its own steps only (the rows' lengths act as <c>src_key_padding_mask</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class TransformerEncoderLayerAttribute : LayerAttribute
{
    /// <summary>Declares an encoder block over features of width <paramref name="dModel"/>.</summary>
    public TransformerEncoderLayerAttribute(int dModel) => DModel = dModel;

    /// <summary>The width of the input and output features (<c>d_model</c>).</summary>
    public int DModel { get; }

    /// <summary>Attention heads (default 1); must divide <see cref="DModel"/>.</summary>
    public int NumHeads { get; set; } = 1;

    /// <summary>The feed-forward's hidden width (<c>dim_feedforward</c>, default 2048 as PyTorch's).</summary>
    public int FeedForward { get; set; } = 2048;

    /// <summary>Dropout probability of the attention's output, the feed-forward's activation and its output, in training only (default 0.1 as PyTorch's).</summary>
    public double Dropout { get; set; } = 0.1;

    /// <summary>The feed-forward's activation (default <see cref="ActivationFunction.Relu"/>; PyTorch's other is <see cref="ActivationFunction.Gelu"/>).</summary>
    public ActivationFunction Activation { get; set; } = ActivationFunction.Relu;

    /// <summary>Normalises before the attention and the feed-forward rather than after the residual sums (<c>norm_first</c>).</summary>
    public bool NormFirst { get; set; }

    /// <summary>A step attends only to itself and earlier steps (a causal <c>src_mask</c>); such a layer streams with a cache of keys and values.</summary>
    public bool Causal { get; set; }

    /// <summary>The norms' eps (<c>layer_norm_eps</c>, default 1e-5).</summary>
    public double LayerNormEps { get; set; } = 1e-5;
}

/// <summary>
/// The transformer decoder of an encoder–decoder model, the model's last layer, as <c>NumLayers</c>
/// <c>torch.nn.TransformerDecoderLayer(dModel, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
/// batch_first=True, norm_first)</c> stacked as <c>torch.nn.TransformerDecoder</c>: the layers before it are the encoder,
/// and their output (<c>dModel</c> wide, every source step) is the memory its cross-attention reads. The target input (the
/// target shifted right behind a start token) is embedded (token targets) or taken as it is (<c>dModel</c> features), its
/// positions are added, and each layer runs
/// <code>
/// post-norm: x = norm1(x + self_attn(x)); x = norm2(x + multihead_attn(x, memory)); x = norm3(x + ff(x))
/// norm first: x = x + self_attn(norm1(x)); x = x + multihead_attn(norm2(x), memory); x = x + ff(norm3(x))
/// </code>
/// with a causal <c>tgt_mask</c> and the source rows' lengths as <c>memory_key_padding_mask</c>; with
/// <see cref="NormFirst"/> a final <c>norm</c> follows the layers (as <c>nn.TransformerDecoder(…, norm=LayerNorm)</c>), then
/// <c>y = out(x)</c>. Parameter names, under the property's name: <c>embedding.weight [vocabulary, dModel]</c> (token
/// targets), <c>positions.weight [TargetLength, dModel]</c> (learned positions), <c>layers.{i}.self_attn.*</c>,
/// <c>layers.{i}.multihead_attn.*</c>, <c>layers.{i}.linear1.*</c>, <c>layers.{i}.linear2.*</c>,
/// <c>layers.{i}.norm1.*</c> … <c>norm3.*</c>, <c>norm.*</c> (norm first), <c>out.weight [outputSize, dModel]</c>,
/// <c>out.bias</c>. <c>Forward</c> is teacher-forced; <c>Encode</c> then <c>Step</c> decodes with a cache of each layer's
/// keys and values, so greedy and beam search run through <see cref="BeamSearch"/> as for <see cref="AttentionDecoderAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class TransformerDecoderLayerAttribute : LayerAttribute
{
    /// <summary>Declares a decoder of width <paramref name="dModel"/> (the encoder output's) scoring <paramref name="outputSize"/> outputs per step.</summary>
    public TransformerDecoderLayerAttribute(int dModel, int outputSize)
    {
        DModel = dModel;
        OutputSize = outputSize;
    }

    /// <summary>The width of the decoder's features (<c>d_model</c>); it must equal the encoder output's width.</summary>
    public int DModel { get; }

    /// <summary>Outputs per step (the target classes for token targets).</summary>
    public int OutputSize { get; }

    /// <summary>Attention heads of both attentions (default 1); must divide <see cref="DModel"/>.</summary>
    public int NumHeads { get; set; } = 1;

    /// <summary>Decoder layers stacked (default 1), as <c>nn.TransformerDecoder</c>'s <c>num_layers</c>.</summary>
    public int NumLayers { get; set; } = 1;

    /// <summary>The feed-forward's hidden width (<c>dim_feedforward</c>, default 2048 as PyTorch's).</summary>
    public int FeedForward { get; set; } = 2048;

    /// <summary>Dropout probability of each attention's output, the feed-forward's activation and its output, in training only (default 0.1 as PyTorch's).</summary>
    public double Dropout { get; set; } = 0.1;

    /// <summary>The feed-forward's activation (default <see cref="ActivationFunction.Relu"/>; PyTorch's other is <see cref="ActivationFunction.Gelu"/>).</summary>
    public ActivationFunction Activation { get; set; } = ActivationFunction.Relu;

    /// <summary>Normalises before each block rather than after the residual sums (<c>norm_first</c>), with a final <c>norm</c> after the layers.</summary>
    public bool NormFirst { get; set; }

    /// <summary>The norms' eps (<c>layer_norm_eps</c>, default 1e-5).</summary>
    public double LayerNormEps { get; set; } = 1e-5;

    /// <summary>Token targets: the target vocabulary, embedded into <see cref="DModel"/> features (0, the default: float target features, <see cref="DModel"/> per step).</summary>
    public int Vocabulary { get; set; }

    /// <summary>The target positions' encoding (default <see cref="PositionalEncodingKind.Sinusoidal"/>; <see cref="PositionalEncodingKind.Learned"/> adds <c>positions.weight</c>).</summary>
    public PositionalEncodingKind Positions { get; set; }
}

/// <summary>
/// Layer normalisation of every step's features, as <c>torch.nn.LayerNorm(normalizedShape)</c> over
/// the last dimension, with its <c>weight</c> (ones) and <c>bias</c> (zeros) and <c>eps = 1e-5</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>Declares layer normalisation over <paramref name="normalizedShape"/> features.</summary>
    public LayerNormAttribute(int normalizedShape) => NormalizedShape = normalizedShape;

    /// <summary>Features per row.</summary>
    public int NormalizedShape { get; }
}

/// <summary>The function of an <see cref="ActivationAttribute"/> layer, as PyTorch's module of the same name.</summary>
public enum ActivationFunction
{
    /// <summary><c>nn.ReLU</c>: <c>max(x, 0)</c>; its gradient at 0 is 0.</summary>
    Relu,

    /// <summary><c>nn.Tanh</c>.</summary>
    Tanh,

    /// <summary><c>nn.Sigmoid</c>: <c>1 / (1 + e^−x)</c>.</summary>
    Sigmoid,

    /// <summary>
    /// <c>nn.GELU</c>: <c>x·Φ(x) = x/2·(1 + erf(x/√2))</c>, or with <see cref="ActivationAttribute.Approximate"/> =
    /// <see cref="GeluApproximation.Tanh"/> <c>x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>.
    /// </summary>
    Gelu,

    /// <summary><c>nn.SiLU</c> (swish): <c>x·σ(x)</c>.</summary>
    Silu,

    /// <summary><c>nn.LeakyReLU</c>: <c>x</c> above 0, <c>NegativeSlope·x</c> otherwise (its gradient at 0 is the slope).</summary>
    LeakyRelu,
}

/// <summary>Which form of GELU an <see cref="ActivationAttribute"/> computes, as <c>nn.GELU</c>'s <c>approximate</c>.</summary>
public enum GeluApproximation
{
    /// <summary><c>approximate='none'</c>: the exact form, with erf.</summary>
    None,

    /// <summary><c>approximate='tanh'</c>: the tanh approximation.</summary>
    Tanh,
}

/// <summary>
/// An element-wise activation of every feature of every step, as <c>nn.ReLU</c>, <c>nn.Tanh</c>, <c>nn.Sigmoid</c>,
/// <c>nn.GELU</c>, <c>nn.SiLU</c> or <c>nn.LeakyReLU</c>: no parameters, the width of the layer before it. Not valid as
/// the first layer.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class ActivationAttribute : LayerAttribute
{
    /// <summary>Declares the activation <paramref name="function"/>.</summary>
    public ActivationAttribute(ActivationFunction function) => Function = function;

    /// <summary>The function applied to every value.</summary>
    public ActivationFunction Function { get; }

    /// <summary><see cref="ActivationFunction.LeakyRelu"/> only: the slope below 0 (PyTorch's <c>negative_slope</c>, default 0.01).</summary>
    public double NegativeSlope { get; set; } = 0.01;

    /// <summary><see cref="ActivationFunction.Gelu"/> only: the exact form (default) or the tanh approximation.</summary>
    public GeluApproximation Approximate { get; set; }
}

/// <summary>How an <see cref="AttentionDecoderAttribute"/> scores the encoder outputs <c>h_j</c> against the decoder state <c>s</c>.</summary>
public enum AttentionScore
{
    /// <summary>Bahdanau: <c>e_j = vᵀ tanh(W_s s + W_h h_j + b_h)</c>, parameters <c>W_s.weight</c>, <c>W_h.weight</c>, <c>W_h.bias</c>, <c>v.weight</c>.</summary>
    Additive,

    /// <summary>Luong "dot": <c>e_j = s · h_j</c>; no parameters, the decoder's hidden size must equal the encoder's output width.</summary>
    Dot,

    /// <summary>Luong "general": <c>e_j = s · (W_a h_j)</c>, parameter <c>W_a.weight [hidden, encoder width]</c>.</summary>
    General,
}

/// <summary>The recurrent cell of an <see cref="AttentionDecoderAttribute"/>.</summary>
public enum DecoderCell
{
    /// <summary><c>torch.nn.LSTMCell</c> (gate order i, f, g, o).</summary>
    Lstm,

    /// <summary><c>torch.nn.GRUCell</c> (gate order r, z, n).</summary>
    Gru,
}

/// <summary>
/// The decoder of an encoder–decoder model, the model's last layer: the layers before it are the
/// encoder, and their output (every source step, <c>h_j</c>) is the attention memory. At step t,
/// from the previous state <c>s_{t−1}</c> (<c>s_0</c>, <c>c_0</c> = the last recurrent encoder layer's
/// final states, both directions concatenated):
/// <code>
/// a_t = softmax_j(score(s_{t−1}, h_j))      over the row's source steps (padding gets exactly 0)
/// ctx_t = Σ_j a_tj h_j
/// s_t = cell([x_t ; ctx_t], s_{t−1})        x_t: the embedded previous target token (or target features)
/// y_t = out.weight · [s_t ; ctx_t] + out.bias
/// </code>
/// Training is teacher-forced: <c>Forward</c> takes the target input (the target shifted right behind
/// a start token). Parameter names, under the property's name: <c>embedding.weight</c> (token targets),
/// <c>cell.weight_ih [G·hidden, inputSize + encoder width]</c>, <c>cell.weight_hh</c>, <c>cell.bias_ih</c>,
/// <c>cell.bias_hh</c>, the score's parameters (see <see cref="AttentionScore"/>), <c>out.weight
/// [outputSize, hidden + encoder width]</c>, <c>out.bias</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class AttentionDecoderAttribute : LayerAttribute
{
    /// <summary>Declares a decoder reading <paramref name="inputSize"/> features per target step, with state <paramref name="hiddenSize"/>, scoring <paramref name="outputSize"/> outputs per step.</summary>
    public AttentionDecoderAttribute(int inputSize, int hiddenSize, int outputSize)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        OutputSize = outputSize;
    }

    /// <summary>Features per target step entering the cell beside the context (the target embedding's width for token targets).</summary>
    public int InputSize { get; }

    /// <summary>The decoder state's width; it must equal the width of the encoder's final state.</summary>
    public int HiddenSize { get; }

    /// <summary>Outputs per step (the target classes for token targets).</summary>
    public int OutputSize { get; }

    /// <summary>Token targets: the target vocabulary, embedded into <see cref="InputSize"/> features (0, the default: float target features).</summary>
    public int Vocabulary { get; set; }

    /// <summary>The score function (default <see cref="AttentionScore.Additive"/>).</summary>
    public AttentionScore Attention { get; set; }

    /// <summary>Additive attention: the width of <c>W_s</c>, <c>W_h</c> and <c>v</c> (0, the default: <see cref="HiddenSize"/>).</summary>
    public int AttentionSize { get; set; }

    /// <summary>The recurrent cell (default <see cref="DecoderCell.Lstm"/>).</summary>
    public DecoderCell Cell { get; set; }
}

/// <summary>What a <see cref="Conv1dAttribute"/> pads its input with, as <c>nn.Conv1d</c>'s <c>padding_mode</c>.</summary>
public enum PaddingMode
{
    /// <summary><c>'zeros'</c>: zeros (the default).</summary>
    Zeros,

    /// <summary><c>'reflect'</c>: the row reflected about its ends, without repeating them (step −1 is step 1); needs more steps than the padding.</summary>
    Reflect,

    /// <summary><c>'replicate'</c>: the row's first and last steps repeated.</summary>
    Replicate,

    /// <summary><c>'circular'</c>: the row wrapped around (step −1 is its last); needs at least as many steps as the padding.</summary>
    Circular,
}

/// <summary>
/// A one-dimensional convolution over time, as <c>torch.nn.Conv1d(inChannels, outChannels, kernelSize, Stride, Padding,
/// Dilation, Groups, Bias)</c> on Unroll's batch-first <c>[batch, time, channels]</c> data: parameters <c>weight
/// [outChannels, inChannels/Groups, kernelSize]</c> and <c>bias [outChannels]</c>, output step <c>t</c> reading input steps
/// <c>t·Stride + j·Dilation − Padding</c>, <c>⌊(T + 2·Padding − Dilation·(kernelSize − 1) − 1) / Stride⌋ + 1</c> steps from
/// <c>T</c> (each row's length maps the same way, and the layers after it run over the mapped steps).
/// </summary>
/// <remarks>
/// With <see cref="Causal"/> the layer pads <c>(kernelSize − 1)·Dilation</c> steps on the left only, so that output step
/// <c>t</c> sees input steps up to <c>t·Stride</c>: the form that streams. A causal convolution, or one without padding,
/// streams: <c>Step</c> keeps the last <c>(kernelSize − 1)·Dilation</c> inputs of every row, and with a stride or without
/// padding not every step yields an output (the model's <c>Step</c> then returns whether it did).
/// </remarks>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class Conv1dAttribute : LayerAttribute
{
    /// <summary>Declares a convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/> features with a kernel of <paramref name="kernelSize"/> steps.</summary>
    public Conv1dAttribute(int inChannels, int outChannels, int kernelSize)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>Features per input step.</summary>
    public int InChannels { get; }

    /// <summary>Features per output step.</summary>
    public int OutChannels { get; }

    /// <summary>Steps the kernel spans (before dilation).</summary>
    public int KernelSize { get; }

    /// <summary>Input steps between consecutive output steps (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Steps of zeros added on both sides (default 0); must be 0 with <see cref="Causal"/>.</summary>
    public int Padding { get; set; }

    /// <summary>Input steps between the kernel's taps (default 1).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups, each convolved on its own (default 1); must divide both channel counts.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the layer adds a learnable bias (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>What the padding holds (default <see cref="PaddingMode.Zeros"/>).</summary>
    public PaddingMode PaddingMode { get; set; }

    /// <summary>Pads <c>(kernelSize − 1)·Dilation</c> steps on the left only, so no output step sees a later input (default false).</summary>
    public bool Causal { get; set; }
}

/// <summary>
/// Batch normalisation of every feature over the batch and the time axis, as <c>torch.nn.BatchNorm1d(numFeatures, eps,
/// momentum, affine)</c> applied to the real steps of every real row: in training (the model's <c>Training</c>)
/// <c>y = (x − mean) / √(var + eps) ⊙ weight + bias</c> with the batch's mean and biased variance per feature, which also
/// update <c>running_mean</c> and <c>running_var</c> (unbiased) by <see cref="Momentum"/> and count
/// <c>num_batches_tracked</c>; in evaluation (and in <c>Step</c>) the running statistics instead. Padding steps (after a
/// row's length) and the rows past a smaller batch neither enter the statistics nor get an output: theirs is 0.
/// State dict: <c>weight</c> (ones) and <c>bias</c> (zeros) when <see cref="Affine"/>, then the buffers
/// <c>running_mean</c> (zeros), <c>running_var</c> (ones) and <c>num_batches_tracked</c> (a scalar, saved as int64).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class BatchNormAttribute : LayerAttribute
{
    /// <summary>Declares batch normalisation of <paramref name="numFeatures"/> features.</summary>
    public BatchNormAttribute(int numFeatures) => NumFeatures = numFeatures;

    /// <summary>Features per step (PyTorch's <c>num_features</c>, C).</summary>
    public int NumFeatures { get; }

    /// <summary>The weight of the batch's statistics in the running ones, 0 to 1 (default 0.1).</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>Added to the variance before its square root, above 0 (default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>Whether the layer has the learnable <c>weight</c> and <c>bias</c> (default true).</summary>
    public bool Affine { get; set; } = true;
}

/// <summary>What a <see cref="PoolingAttribute"/> keeps of a row's steps.</summary>
public enum PoolingKind
{
    /// <summary>The mean of the row's steps.</summary>
    Mean,

    /// <summary>Each feature's maximum over the row's steps (its gradient goes to the first step holding it).</summary>
    Max,

    /// <summary>The row's last step, <c>x[b, lengths[b] − 1]</c>.</summary>
    Last,
}

/// <summary>
/// Pools each row's steps into one vector, a many-to-one head: the mean, the maximum or the last of the row's own steps
/// (its length, not the padding after it), as <c>x[b, :lengths[b]].mean(0)</c>, <c>.amax(0)</c> or <c>x[b, lengths[b] − 1]</c>
/// in PyTorch. The output is <c>[batch, features]</c>, the width of the layer before it; no parameters. Not valid as the first
/// layer. <c>Step</c> gives the pool of the steps since <c>ResetState</c> (a running sum, a running maximum, the current step).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class PoolingAttribute : LayerAttribute
{
    /// <summary>Declares pooling over time of the given <paramref name="kind"/>.</summary>
    public PoolingAttribute(PoolingKind kind) => Kind = kind;

    /// <summary>What the layer keeps of a row's steps.</summary>
    public PoolingKind Kind { get; }
}

/// <summary>
/// Max pooling over time, as <c>torch.nn.MaxPool1d(kernelSize, Stride, Padding, Dilation)</c> on Unroll's batch-first
/// <c>[batch, time, channels]</c> data: output step <c>t</c> is each channel's maximum over input steps
/// <c>t·Stride + j·Dilation − Padding</c>, <c>⌊(T + 2·Padding − Dilation·(kernelSize − 1) − 1) / Stride⌋ + 1</c> steps from
/// <c>T</c> (each row's length maps the same way). The padding is −∞, never chosen; ties go to the first step. No
/// <c>ceil_mode</c>. Not valid as the first layer.
/// </summary>
/// <remarks>Without padding it streams: <c>Step</c> keeps a window of the last inputs and yields an output every <c>Stride</c> steps once it is full.</remarks>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class MaxPool1dAttribute : LayerAttribute
{
    /// <summary>Declares max pooling over windows of <paramref name="kernelSize"/> steps.</summary>
    public MaxPool1dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>Steps the window spans (before dilation).</summary>
    public int KernelSize { get; }

    /// <summary>Input steps between consecutive windows (default 0: <see cref="KernelSize"/>, as PyTorch's <c>stride=None</c>).</summary>
    public int Stride { get; set; }

    /// <summary>Steps of −∞ added on both sides (default 0); at most half <see cref="KernelSize"/>.</summary>
    public int Padding { get; set; }

    /// <summary>Input steps between the window's taps (default 1).</summary>
    public int Dilation { get; set; } = 1;
}

/// <summary>
/// Average pooling over time, as <c>torch.nn.AvgPool1d(kernelSize, Stride, Padding, count_include_pad=CountIncludePad)</c>
/// on Unroll's batch-first <c>[batch, time, channels]</c> data: output step <c>t</c> is the mean over input steps
/// <c>t·Stride + j − Padding</c>, <c>⌊(T + 2·Padding − kernelSize) / Stride⌋ + 1</c> steps from <c>T</c> (each row's length
/// maps the same way). No <c>ceil_mode</c>. Not valid as the first layer.
/// </summary>
/// <remarks>Without padding it streams: <c>Step</c> keeps a window of the last inputs and yields an output every <c>Stride</c> steps once it is full.</remarks>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class AvgPool1dAttribute : LayerAttribute
{
    /// <summary>Declares average pooling over windows of <paramref name="kernelSize"/> steps.</summary>
    public AvgPool1dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>Steps the window spans.</summary>
    public int KernelSize { get; }

    /// <summary>Input steps between consecutive windows (default 0: <see cref="KernelSize"/>, as PyTorch's <c>stride=None</c>).</summary>
    public int Stride { get; set; }

    /// <summary>Steps of zeros added on both sides (default 0); at most half <see cref="KernelSize"/>.</summary>
    public int Padding { get; set; }

    /// <summary>Whether the padding's zeros count in a window's mean (default true: every window divides by <see cref="KernelSize"/>).</summary>
    public bool CountIncludePad { get; set; } = true;
}

/// <summary>What a <see cref="PositionalEncodingAttribute"/> layer adds to each step.</summary>
public enum PositionalEncodingKind
{
    /// <summary>
    /// The fixed sines and cosines of "Attention Is All You Need" (PyTorch's tutorial <c>PositionalEncoding</c>):
    /// <c>PE[t, 2i] = sin(t·exp(2i·(−ln 10000 / d)))</c>, <c>PE[t, 2i + 1] = cos(…)</c> of the same angle; no parameters.
    /// </summary>
    Sinusoidal,

    /// <summary>A trained table <c>weight [maxLength, d]</c>, as <c>nn.Embedding(maxLength, d)</c> of the positions, initialised N(0, 1).</summary>
    Learned,
}

/// <summary>
/// Adds a vector that depends only on the step to every step's features, <c>y[b, t] = x[b, t] + PE[t]</c>, the width of the
/// layer before it: the sinusoidal encoding of PyTorch's transformer tutorial, or a learned table of positions. Not valid as
/// the first layer; <c>maxLength</c> must cover the model's <c>SequenceLength</c>. <c>Step</c> adds the encoding
/// of the steps since <c>ResetState</c>, up to <c>SequenceLength</c> of them.
/// </summary>
/// <remarks>
/// The sinusoidal kind has no state-dict entry: the tutorial registers its table as a buffer <c>pe</c>, which Unroll computes
/// in the model's constructor instead (for <c>SequenceLength</c> positions), so a PyTorch state dict's <c>pe</c> is not one of
/// the model's tensors: leave it out of the file (loading refuses an extra tensor by name). The learned kind's <c>weight</c>
/// loads and saves under the layer's name (<c>Pos.weight</c>).
/// </remarks>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class PositionalEncodingAttribute : LayerAttribute
{
    /// <summary>Declares a positional encoding of up to <paramref name="maxLength"/> positions.</summary>
    public PositionalEncodingAttribute(int maxLength) => MaxLength = maxLength;

    /// <summary>Positions the encoding covers (PyTorch's <c>max_len</c>; the learned table's rows).</summary>
    public int MaxLength { get; }

    /// <summary>Sinusoidal (default) or learned.</summary>
    public PositionalEncodingKind Kind { get; set; }
}
