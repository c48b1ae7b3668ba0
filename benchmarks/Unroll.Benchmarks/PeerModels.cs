using Unroll;

namespace Unroll.Benchmarks;

// The models of RTNeural's timing harness (../shared/peers/rtneural/bench.cpp), one class per row of it, for
// PeerBenchmarks. Streaming rows: 8 inputs → LSTM or GRU of hidden H → Linear(H, 1), batch 1, one Step per sample.
// The sequence row: 32 inputs → LSTM 128, no head, 64 Steps per sequence.

[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerLstm16 { [Lstm(8, 16)] public partial LstmLayer Rnn { get; } [Linear(16, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerLstm32 { [Lstm(8, 32)] public partial LstmLayer Rnn { get; } [Linear(32, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerLstm64 { [Lstm(8, 64)] public partial LstmLayer Rnn { get; } [Linear(64, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerLstm128 { [Lstm(8, 128)] public partial LstmLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerLstm256 { [Lstm(8, 256)] public partial LstmLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }

[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerGru16 { [Gru(8, 16)] public partial GruLayer Rnn { get; } [Linear(16, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerGru32 { [Gru(8, 32)] public partial GruLayer Rnn { get; } [Linear(32, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerGru64 { [Gru(8, 64)] public partial GruLayer Rnn { get; } [Linear(64, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerGru128 { [Gru(8, 128)] public partial GruLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, BatchSize = 1)] public partial class PeerGru256 { [Gru(8, 256)] public partial GruLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }

/// <summary>RTNeural's <c>seq_lstm32x128</c>: sequences of 64 steps, streamed one <c>Step</c> at a time.</summary>
[Model(SequenceLength = 64, BatchSize = 1)] public partial class PeerSeqLstm32x128 { [Lstm(32, 128)] public partial LstmLayer Rnn { get; } }

// The same rows at H ≥ 128 with the step weights in fewer bytes ([Model(InferenceOnly = true, WeightPrecision = …)]),
// for PeerPrecisionBenchmarks: bfloat16 and half read half the bytes a step, int8 a quarter.
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.BFloat16)] public partial class PeerLstm128Bf16 { [Lstm(8, 128)] public partial LstmLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Float16)] public partial class PeerLstm128F16 { [Lstm(8, 128)] public partial LstmLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8)] public partial class PeerLstm128Int8 { [Lstm(8, 128)] public partial LstmLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.BFloat16)] public partial class PeerLstm256Bf16 { [Lstm(8, 256)] public partial LstmLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Float16)] public partial class PeerLstm256F16 { [Lstm(8, 256)] public partial LstmLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8)] public partial class PeerLstm256Int8 { [Lstm(8, 256)] public partial LstmLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.BFloat16)] public partial class PeerGru128Bf16 { [Gru(8, 128)] public partial GruLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Float16)] public partial class PeerGru128F16 { [Gru(8, 128)] public partial GruLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8)] public partial class PeerGru128Int8 { [Gru(8, 128)] public partial GruLayer Rnn { get; } [Linear(128, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.BFloat16)] public partial class PeerGru256Bf16 { [Gru(8, 256)] public partial GruLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Float16)] public partial class PeerGru256F16 { [Gru(8, 256)] public partial GruLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }
[Model(SequenceLength = 1, InferenceOnly = true, WeightPrecision = WeightPrecision.Int8)] public partial class PeerGru256Int8 { [Gru(8, 256)] public partial GruLayer Rnn { get; } [Linear(256, 1)] public partial LinearLayer Head { get; } }
