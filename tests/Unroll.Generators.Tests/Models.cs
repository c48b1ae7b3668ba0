namespace Unroll.Generators.Tests;

/// <summary>Declarations shared by the snapshot, sweep and incremental tests.</summary>
public static class Models
{
    /// <summary>The character language model of DESIGN.md: tokens → embedding → 2-layer LSTM → logits per step.</summary>
    public const string CharLm = """
        using Unroll;

        [Model(SequenceLength = 100, BatchSize = 16)]
        public partial class CharLm
        {
            [Embedding(65, 32)]                   public partial EmbeddingLayer Embed { get; }
            [Lstm(32, 128, NumLayers = 2)]        public partial LstmLayer Rnn { get; }
            [Linear(128, 65)]                     public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>Many-to-one: a bidirectional GRU that returns only its last step, then a classifier.</summary>
    public const string BidirectionalGruClassifier = """
        using Unroll;

        namespace Sentiment
        {
            [Model(SequenceLength = 24, BatchSize = 4)]
            public partial class Classifier
            {
                [Gru(8, 16, Bidirectional = true, ReturnSequences = false)]
                public partial GruLayer Encoder { get; }

                [Linear(32, 3)]
                public partial LinearLayer Head { get; }
            }
        }
        """;

    /// <summary>Float input, an Elman RNN with ReLU and a linear read-out without bias.</summary>
    public const string ReluRnnRegressor = """
        using Unroll;

        namespace Signals
        {
            [Model(SequenceLength = 50, BatchSize = 2)]
            public partial class Denoiser
            {
                [Rnn(3, 20, Nonlinearity = Nonlinearity.Relu)]
                public partial RnnLayer Rnn { get; }

                [Linear(20, 1, Bias = false)]
                public partial LinearLayer Readout { get; }
            }
        }
        """;

    /// <summary>A model nested in a partial class, in a file-scoped namespace, with internal layer properties and the default batch size.</summary>
    public const string NestedInternalTagger = """
        using Unroll;

        namespace Company.Product.Nlp;

        internal partial class Catalog
        {
            [Model(SequenceLength = 8)]
            internal partial class Tagger
            {
                [Embedding(100, 16)] internal partial EmbeddingLayer Embed { get; }
                [Lstm(16, 24)]       internal partial LstmLayer Encoder { get; }
                [Linear(24, 5)]      internal partial LinearLayer Tags { get; }
            }
        }
        """;

    /// <summary>A stacked bidirectional LSTM over float input, returning every step (the reverse pass of a stacked layer).</summary>
    public const string StackedBidirectionalLstm = """
        using Unroll;

        namespace Speech;

        [Model(SequenceLength = 12, BatchSize = 3)]
        public partial class FrameTagger
        {
            [Lstm(6, 10, NumLayers = 2, Bidirectional = true, Dropout = 0.25)] public partial LstmLayer Encoder { get; }
            [Dropout(0.1)]                                                      public partial DropoutLayer Drop { get; }
            [Linear(20, 4)]                                                     public partial LinearLayer Frames { get; }
        }
        """;

    public const string CausalTransformerBlock = """
        using Unroll;

        namespace Text;

        [Model(SequenceLength = 16, BatchSize = 2)]
        public partial class TinyGpt
        {
            [Embedding(50, 8)]                                          public partial EmbeddingLayer Embed { get; }
            [SelfAttention(8, NumHeads = 2, Causal = true, Residual = true)] public partial SelfAttentionLayer Attn { get; }
            [LayerNorm(8)]                                              public partial LayerNormLayer Norm { get; }
            [Linear(8, 50)]                                             public partial LinearLayer Head { get; }
        }
        """;

    public const string DateTranslator = """
        using Unroll;

        namespace Dates;

        [Model(SequenceLength = 12, TargetLength = 11, BatchSize = 4)]
        public partial class Translator
        {
            [Embedding(42, 16)]                                  public partial EmbeddingLayer Embed { get; }
            [Lstm(16, 32, Bidirectional = true)]                 public partial LstmLayer Encoder { get; }
            [AttentionDecoder(8, 64, 12, Vocabulary = 13, AttentionSize = 24)] public partial AttentionDecoderLayer Decoder { get; }
        }
        """;

    /// <summary>The date translator compiled for inference only: Forward (teacher-forced), Encode, Step; no Backward.</summary>
    public const string InferenceOnlyDateTranslator = """
        using Unroll;

        namespace Dates;

        [Model(SequenceLength = 12, TargetLength = 11, BatchSize = 4, InferenceOnly = true)]
        public partial class Translator
        {
            [Embedding(42, 16)]                                  public partial EmbeddingLayer Embed { get; }
            [Lstm(16, 32, Bidirectional = true)]                 public partial LstmLayer Encoder { get; }
            [AttentionDecoder(8, 64, 12, Vocabulary = 13, AttentionSize = 24)] public partial AttentionDecoderLayer Decoder { get; }
        }
        """;

    public const string GruDotSeq2Seq = """
        using Unroll;

        namespace Signals;

        [Model(SequenceLength = 8, TargetLength = 5, BatchSize = 2)]
        public partial class Forecaster
        {
            [Gru(3, 6)]                                                           public partial GruLayer Encoder { get; }
            [AttentionDecoder(2, 6, 2, Attention = AttentionScore.Dot, Cell = DecoderCell.Gru)] public partial AttentionDecoderLayer Decoder { get; }
        }
        """;

    /// <summary>Inference only with int8 step weights: a streaming LSTM denoiser whose step reads a quarter of the bytes.</summary>
    public const string Int8Denoiser = """
        using Unroll;

        namespace Audio;

        [Model(SequenceLength = 64, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8)]
        public partial class Denoiser
        {
            [Lstm(8, 32)]   public partial LstmLayer Rnn { get; }
            [Linear(32, 1)] public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>Inference only: a streaming GRU keyword spotter for a device (no Backward, no gradients; dropout passes through).</summary>
    public const string InferenceOnlyKeywordSpotter = """
        using Unroll;

        namespace Audio;

        [Model(SequenceLength = 50, BatchSize = 1, InferenceOnly = true)]
        public partial class KeywordSpotter
        {
            [Gru(40, 64)]    public partial GruLayer Rnn { get; }
            [Dropout(0.1)]   public partial DropoutLayer Drop { get; }
            [Linear(64, 12)] public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>A wake-word detector: a strided convolution over spectrogram frames (no padding: it streams once its window fills), a GRU, a score per step.</summary>
    public const string ConvWakeWord = """
        using Unroll;

        namespace Audio;

        [Model(SequenceLength = 101, BatchSize = 4)]
        public partial class WakeWord
        {
            [Conv1d(40, 32, 15, Stride = 4)]          public partial Conv1dLayer Front { get; }
            [Activation(ActivationFunction.Relu)]     public partial ActivationLayer Act { get; }
            [Gru(32, 32)]                             public partial GruLayer Rnn { get; }
            [Linear(32, 1)]                           public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>A pooled classifier: max then average pooling over time halve the frames (no padding: it streams), a GRU, the mean of its steps.</summary>
    public const string PooledClassifier = """
        using Unroll;

        namespace Audio;

        [Model(SequenceLength = 40, BatchSize = 2)]
        public partial class PooledClassifier
        {
            [Linear(16, 8)]                 public partial LinearLayer Front { get; }
            [MaxPool1d(3, Stride = 2)]      public partial MaxPool1dLayer Max { get; }
            [AvgPool1d(2)]                  public partial AvgPool1dLayer Avg { get; }
            [Gru(8, 8)]                     public partial GruLayer Rnn { get; }
            [Pooling(PoolingKind.Mean)]     public partial PoolingLayer Pool { get; }
            [Linear(8, 3)]                  public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>Pretrained word vectors kept frozen under an LSTM, pooled over each row's steps.</summary>
    public const string FrozenEmbeddingClassifier = """
        using Unroll;

        namespace Text;

        [Model(SequenceLength = 12, BatchSize = 4)]
        public partial class SentenceClassifier
        {
            [Embedding(50, 8, Trainable = false)]   public partial EmbeddingLayer Embed { get; }
            [Lstm(8, 10)]                            public partial LstmLayer Rnn { get; }
            [Pooling(PoolingKind.Mean)]              public partial PoolingLayer Pool { get; }
            [Linear(10, 3)]                          public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>A causal transformer encoder block over token embeddings: pre-norm, GELU, dropout; it streams with a key/value cache.</summary>
    public const string TransformerBlock = """
        using Unroll;

        namespace Text;

        [Model(SequenceLength = 16, BatchSize = 2)]
        public partial class TinyTransformer
        {
            [Embedding(40, 8)]                                                                 public partial EmbeddingLayer Embed { get; }
            [TransformerEncoderLayer(8, NumHeads = 2, FeedForward = 16, Activation = ActivationFunction.Gelu, NormFirst = true, Causal = true)]
            public partial TransformerEncoderLayer Block { get; }
            [Linear(8, 40)]                                                                    public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>An encoder–decoder transformer over dates: token source with learned positions, two pre-norm encoder layers, a final norm, and two pre-norm decoder layers with dropout.</summary>
    public const string TransformerTranslator = """
        using Unroll;

        namespace Dates;

        [Model(SequenceLength = 12, TargetLength = 11, BatchSize = 4)]
        public partial class TransformerTranslator
        {
            [Embedding(42, 16)]                                                          public partial EmbeddingLayer Embed { get; }
            [PositionalEncoding(12, Kind = PositionalEncodingKind.Learned)]             public partial PositionalEncodingLayer Positions { get; }
            [TransformerEncoderLayer(16, NumHeads = 2, FeedForward = 32, NormFirst = true)] public partial TransformerEncoderLayer Encoder { get; }
            [LayerNorm(16)]                                                              public partial LayerNormLayer Norm { get; }
            [TransformerDecoderLayer(16, 12, NumHeads = 2, NumLayers = 2, FeedForward = 32, NormFirst = true, Vocabulary = 13)]
            public partial TransformerDecoderLayer Decoder { get; }
        }
        """;

    /// <summary>A causal transformer tagger: the tutorial's sinusoidal encoding before causal self-attention (it streams by step position).</summary>
    public const string PositionalTagger = """
        using Unroll;

        namespace Text;

        [Model(SequenceLength = 16, BatchSize = 2)]
        public partial class PositionalTagger
        {
            [Linear(8, 12)]                                  public partial LinearLayer In { get; }
            [PositionalEncoding(32)]                         public partial PositionalEncodingLayer Pos { get; }
            [SelfAttention(12, NumHeads = 2, Causal = true)] public partial SelfAttentionLayer Attend { get; }
            [Linear(12, 5)]                                  public partial LinearLayer Head { get; }
        }
        """;

    /// <summary>Token embeddings plus a learned table of positions (an odd width), under a GRU.</summary>
    public const string LearnedPositions = """
        using Unroll;

        namespace Text;

        [Model(SequenceLength = 10, BatchSize = 3)]
        public partial class PositionTagger
        {
            [Embedding(40, 7)]                                              public partial EmbeddingLayer Embed { get; }
            [PositionalEncoding(12, Kind = PositionalEncodingKind.Learned)] public partial PositionalEncodingLayer Pos { get; }
            [Gru(7, 6)]                                                     public partial GruLayer Rnn { get; }
            [Linear(6, 4)]                                                  public partial LinearLayer Head { get; }
        }
        """;
}
