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
