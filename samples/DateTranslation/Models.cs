using Unroll;

namespace DateTranslation;

/// <summary>
/// The translator Unroll compiles for training: source characters → a bidirectional LSTM encoder → an LSTM decoder
/// with additive (Bahdanau) attention over the encoder's outputs, scoring the next ISO character. 64 dates per batch.
/// </summary>
[Model(SequenceLength = CharVocabulary.MaxSourceLength, TargetLength = CharVocabulary.TargetLength, BatchSize = 64)]
public partial class DateTranslator
{
    [Embedding(CharVocabulary.SourceVocabularySize, 24)]
    public partial EmbeddingLayer Embed { get; }

    [Lstm(24, 48, Bidirectional = true)]
    public partial LstmLayer Encoder { get; }

    [AttentionDecoder(16, 96, CharVocabulary.TargetClasses, Vocabulary = CharVocabulary.TargetVocabularySize, AttentionSize = 48)]
    public partial AttentionDecoderLayer Decoder { get; }
}

/// <summary>
/// The same network for beam search, taken from <see cref="DateTranslator"/> without repeating its layers: one date at a
/// time, one batch row per beam (the parameters are copied from the trained model), compiled for inference only.
/// </summary>
[InferenceModel(typeof(DateTranslator), BatchSize = BeamWidth)]
public partial class DateTranslatorBeams
{
    /// <summary>Hypotheses kept by the beam search.</summary>
    public const int BeamWidth = 4;
}

/// <summary>
/// The transformer alternative (<c>--transformer</c>): source characters → an embedding plus sinusoidal positions → two
/// pre-norm encoder layers (4 heads, feed-forward 128) with a final LayerNorm → two pre-norm decoder layers over the ISO
/// characters (self-attention over the characters so far, cross-attention over the encoded source), scoring the next ISO
/// character. No dropout: every batch is freshly generated, so there is nothing to overfit. 64 dates per batch, as
/// <see cref="DateTranslator"/>.
/// </summary>
[Model(SequenceLength = CharVocabulary.MaxSourceLength, TargetLength = CharVocabulary.TargetLength, BatchSize = 64)]
public partial class DateTransformer
{
    /// <summary>The width of every layer (the embedding, the attention, the residual stream).</summary>
    public const int Width = 64;

    /// <summary>The attention heads of every encoder and decoder layer.</summary>
    public const int Heads = 4;

    [Embedding(CharVocabulary.SourceVocabularySize, Width)]
    public partial EmbeddingLayer Embed { get; }

    [PositionalEncoding(CharVocabulary.MaxSourceLength, Kind = PositionalEncodingKind.Sinusoidal)]
    public partial PositionalEncodingLayer Positions { get; }

    [TransformerEncoderLayer(Width, NumHeads = Heads, FeedForward = 128, Dropout = 0, NormFirst = true)]
    public partial TransformerEncoderLayer Encoder1 { get; }

    [TransformerEncoderLayer(Width, NumHeads = Heads, FeedForward = 128, Dropout = 0, NormFirst = true)]
    public partial TransformerEncoderLayer Encoder2 { get; }

    [LayerNorm(Width)]
    public partial LayerNormLayer EncoderNorm { get; }

    [TransformerDecoderLayer(Width, CharVocabulary.TargetClasses, NumHeads = Heads, NumLayers = 2, FeedForward = 128, Dropout = 0, NormFirst = true,
        Vocabulary = CharVocabulary.TargetVocabularySize)]
    public partial TransformerDecoderLayer Decoder { get; }
}

/// <summary>
/// <see cref="DateTransformer"/> for beam search, as <see cref="DateTranslatorBeams"/> is for the LSTM: one date at a
/// time, one batch row per beam, compiled for inference only.
/// </summary>
[InferenceModel(typeof(DateTransformer), BatchSize = DateTranslatorBeams.BeamWidth)]
public partial class DateTransformerBeams;
