using Unroll;

namespace Unroll.Benchmarks;

// The models the suites run. Shapes are compile-time constants in Unroll, so every size is its own
// class: one step of one sequence (batch 1), 8 input features, hidden sizes 16 to 256.

[Model(SequenceLength = 1, BatchSize = 1)] public partial class LstmStep16 { [Lstm(8, 16)] public partial LstmLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class LstmStep32 { [Lstm(8, 32)] public partial LstmLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class LstmStep64 { [Lstm(8, 64)] public partial LstmLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class LstmStep128 { [Lstm(8, 128)] public partial LstmLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class LstmStep256 { [Lstm(8, 256)] public partial LstmLayer Rnn { get; } }

[Model(SequenceLength = 1, BatchSize = 1)] public partial class GruStep16 { [Gru(8, 16)] public partial GruLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class GruStep32 { [Gru(8, 32)] public partial GruLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class GruStep64 { [Gru(8, 64)] public partial GruLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class GruStep128 { [Gru(8, 128)] public partial GruLayer Rnn { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class GruStep256 { [Gru(8, 256)] public partial GruLayer Rnn { get; } }

/// <summary>The character language model of the CharLm sample, one sequence of 64 characters at a time.</summary>
[Model(SequenceLength = 64, BatchSize = 1)]
public partial class CharLm
{
    [Embedding(65, 32)] public partial EmbeddingLayer Embed { get; }
    [Lstm(32, 128)] public partial LstmLayer Rnn { get; }
    [Linear(128, 65)] public partial LinearLayer Head { get; }
}

/// <summary>The char-LM of <see cref="CharLm"/> with 16 sequences side by side.</summary>
[Model(SequenceLength = 64, BatchSize = 16)]
public partial class CharLmBatch16
{
    [Embedding(65, 32)] public partial EmbeddingLayer Embed { get; }
    [Lstm(32, 128)] public partial LstmLayer Rnn { get; }
    [Linear(128, 65)] public partial LinearLayer Head { get; }
}

/// <summary>Sequence workloads, one sequence of 64 steps with 32 input features and a state of 128.</summary>
[Model(SequenceLength = 64, BatchSize = 1)] public partial class LstmSequence { [Lstm(32, 128)] public partial LstmLayer Rnn { get; } }

[Model(SequenceLength = 64, BatchSize = 1)] public partial class GruSequence { [Gru(32, 128)] public partial GruLayer Rnn { get; } }

[Model(SequenceLength = 64, BatchSize = 1)] public partial class RnnSequence { [Rnn(32, 128)] public partial RnnLayer Rnn { get; } }

/// <summary>A causal self-attention block of width 64 (4 heads, residual, layer norm) with a linear head, over 64 steps.</summary>
[Model(SequenceLength = 64, BatchSize = 1)]
public partial class AttentionBlock
{
    [SelfAttention(64, NumHeads = 4, Causal = true, Residual = true)] public partial SelfAttentionLayer Attn { get; }
    [LayerNorm(64)] public partial LayerNormLayer Norm { get; }
    [Linear(64, 64)] public partial LinearLayer Head { get; }
}

/// <summary>An attention encoder–decoder of the size of the DateTranslation sample's, 16 pairs at a time.</summary>
[Model(SequenceLength = 24, TargetLength = 11, BatchSize = 16)]
public partial class Seq2Seq
{
    [Embedding(42, 24)] public partial EmbeddingLayer Embed { get; }
    [Lstm(24, 48, Bidirectional = true)] public partial LstmLayer Encoder { get; }
    [AttentionDecoder(16, 96, 12, Vocabulary = 13, AttentionSize = 48)] public partial AttentionDecoderLayer Decoder { get; }
}
