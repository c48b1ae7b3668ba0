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
