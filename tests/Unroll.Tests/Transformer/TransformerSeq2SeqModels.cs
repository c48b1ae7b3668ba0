namespace Unroll.Tests.Transformer;

/// <summary>
/// Golden/transformer_decoder_post: float source → Linear(3, 8) → post-norm encoder layer (2 heads, 12) → a post-norm
/// decoder layer over token targets (vocabulary 7, sinusoidal positions, 2 heads, 12), 5 outputs.
/// </summary>
[Model(SequenceLength = 5, TargetLength = 4, BatchSize = 3)]
public partial class GoldenTransformerPost
{
    [Linear(3, 8)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(8, NumHeads = 2, FeedForward = 12, Dropout = 0)] public partial TransformerEncoderLayer Enc { get; }
    [TransformerDecoderLayer(8, 5, NumHeads = 2, FeedForward = 12, Dropout = 0, Vocabulary = 7)] public partial TransformerDecoderLayer Dec { get; }
}

/// <summary>
/// Golden/transformer_decoder_pre_stacked, odd sizes: float source → Linear(3, 6) → pre-norm encoder layer (3 heads, 7)
/// → two pre-norm GELU decoder layers over float targets (learned positions, 2 heads, 5) with the final norm, 4 outputs.
/// </summary>
[Model(SequenceLength = 4, TargetLength = 3, BatchSize = 3)]
public partial class GoldenTransformerPreStacked
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(6, NumHeads = 3, FeedForward = 7, Dropout = 0, NormFirst = true)] public partial TransformerEncoderLayer Enc { get; }

    [TransformerDecoderLayer(6, 4, NumHeads = 2, NumLayers = 2, FeedForward = 5, Dropout = 0, Activation = ActivationFunction.Gelu, NormFirst = true, Positions = PositionalEncodingKind.Learned)]
    public partial TransformerDecoderLayer Dec { get; }
}

/// <summary>GoldenTransformerPost for inference only, with PyTorch's weights compiled in (IO/Fixtures/transformer_decoder_post.safetensors).</summary>
[InferenceModel(typeof(GoldenTransformerPost), Weights = "transformer_decoder_post.safetensors")]
public partial class CompiledTransformerPost;

/// <summary>Token source with learned positions, a post-norm encoder layer, two post-norm decoder layers over token targets.</summary>
[Model(SequenceLength = 5, TargetLength = 4, BatchSize = 3)]
public partial class TokenTransformer
{
    [Embedding(9, 8)] public partial EmbeddingLayer Embed { get; }
    [PositionalEncoding(5, Kind = PositionalEncodingKind.Learned)] public partial PositionalEncodingLayer Positions { get; }
    [TransformerEncoderLayer(8, NumHeads = 2, FeedForward = 10, Dropout = 0)] public partial TransformerEncoderLayer Encoder { get; }
    [TransformerDecoderLayer(8, 6, NumHeads = 2, NumLayers = 2, FeedForward = 10, Dropout = 0, Vocabulary = 7)] public partial TransformerDecoderLayer Decoder { get; }
}

/// <summary>TokenTransformer for inference only: beam search's model.</summary>
[InferenceModel(typeof(TokenTransformer), BatchSize = 4)]
public partial class TokenTransformerBeams;

/// <summary>TokenTransformer with its decoder frozen.</summary>
[Model(SequenceLength = 5, TargetLength = 4, BatchSize = 3)]
public partial class FrozenDecoderTransformer
{
    [Embedding(9, 8)] public partial EmbeddingLayer Embed { get; }
    [PositionalEncoding(5, Kind = PositionalEncodingKind.Learned)] public partial PositionalEncodingLayer Positions { get; }
    [TransformerEncoderLayer(8, NumHeads = 2, FeedForward = 10, Dropout = 0)] public partial TransformerEncoderLayer Encoder { get; }
    [TransformerDecoderLayer(8, 6, NumHeads = 2, NumLayers = 2, FeedForward = 10, Dropout = 0, Vocabulary = 7, Trainable = false)] public partial TransformerDecoderLayer Decoder { get; }
}

/// <summary>Float source and target with dropout everywhere, smooth activations (for finite differences), a pre-norm decoder.</summary>
[Model(SequenceLength = 4, TargetLength = 3, BatchSize = 2)]
public partial class DropoutTransformer
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(6, NumHeads = 2, FeedForward = 7, Dropout = 0.3, Activation = ActivationFunction.Gelu)] public partial TransformerEncoderLayer Encoder { get; }

    [TransformerDecoderLayer(6, 3, NumHeads = 3, NumLayers = 2, FeedForward = 5, Dropout = 0.3, Activation = ActivationFunction.Silu, NormFirst = true)]
    public partial TransformerDecoderLayer Decoder { get; }
}
