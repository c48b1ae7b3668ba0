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
