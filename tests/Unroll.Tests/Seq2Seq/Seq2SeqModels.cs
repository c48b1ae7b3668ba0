namespace Unroll.Tests.Seq2Seq;

/// <summary>golden/seq2seq_bahdanau_lstm: encoder LSTM 3 → 5, LSTM decoder with additive attention 6, outputs 3.</summary>
[Model(SequenceLength = 4, TargetLength = 3, BatchSize = 2)]
public partial class GoldenSeq2Seq
{
    [Lstm(3, 5)] public partial LstmLayer Enc { get; }
    [AttentionDecoder(3, 5, 3, AttentionSize = 6)] public partial AttentionDecoderLayer Dec { get; }
}

/// <summary>The golden case's encoder alone: its output is also part of the golden loss.</summary>
[Model(SequenceLength = 4, BatchSize = 2)]
public partial class GoldenSeq2SeqEncoder
{
    [Lstm(3, 5)] public partial LstmLayer Enc { get; }
}

/// <summary>Token source and target, bidirectional LSTM encoder, LSTM decoder, additive attention of another width.</summary>
[Model(SequenceLength = 5, TargetLength = 4, BatchSize = 3)]
public partial class TokenBiLstmAdditive
{
    [Embedding(7, 3)] public partial EmbeddingLayer Embed { get; }
    [Lstm(3, 4, Bidirectional = true)] public partial LstmLayer Encoder { get; }
    [AttentionDecoder(3, 8, 5, Vocabulary = 6, AttentionSize = 5)] public partial AttentionDecoderLayer Decoder { get; }
}

/// <summary>Float source and target, GRU encoder, GRU decoder, Luong dot attention.</summary>
[Model(SequenceLength = 6, TargetLength = 3, BatchSize = 2)]
public partial class FloatGruDot
{
    [Gru(3, 4)] public partial GruLayer Encoder { get; }
    [AttentionDecoder(2, 4, 3, Attention = AttentionScore.Dot, Cell = DecoderCell.Gru)] public partial AttentionDecoderLayer Decoder { get; }
}

/// <summary>Float source and target, stacked LSTM then a linear layer (the memory is wider than the state), Luong general attention.</summary>
[Model(SequenceLength = 4, TargetLength = 3, BatchSize = 2)]
public partial class FloatStackedGeneral
{
    [Lstm(3, 4, NumLayers = 2)] public partial LstmLayer Encoder { get; }
    [Linear(4, 6)] public partial LinearLayer Project { get; }
    [AttentionDecoder(2, 4, 3, Attention = AttentionScore.General)] public partial AttentionDecoderLayer Decoder { get; }
}

/// <summary>An Elman encoder starts an LSTM decoder: c_0 is zero.</summary>
[Model(SequenceLength = 4, TargetLength = 3, BatchSize = 2)]
public partial class RnnToLstm
{
    [Rnn(2, 3)] public partial RnnLayer Encoder { get; }
    [AttentionDecoder(2, 3, 2)] public partial AttentionDecoderLayer Decoder { get; }
}
