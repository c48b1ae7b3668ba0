using Unroll;

namespace Unroll.Tests;

// Models at odd sizes for the finite-difference tests (FiniteDifferenceTests.cs): batch 3, 9 steps,
// input 7, and hidden sizes that are not multiples of the vector width (9, 11, 17, 33), so every
// kernel runs its remainder loops.

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdRnnTanhModel
{
    [Rnn(7, 11)] public partial RnnLayer Rnn { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdRnnReluModel
{
    [Rnn(7, 33, Nonlinearity = Nonlinearity.Relu)] public partial RnnLayer Rnn { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdLstmModel
{
    [Lstm(7, 17)] public partial LstmLayer Rnn { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdGruModel
{
    [Gru(7, 17)] public partial GruLayer Rnn { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdLstmBidirectional2LayerModel
{
    [Lstm(7, 9, NumLayers = 2, Bidirectional = true)] public partial LstmLayer Rnn { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdGruBidirectionalLastModel
{
    [Gru(7, 11, Bidirectional = true, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(22, 5)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdEmbeddingGruModel
{
    [Embedding(13, 7)] public partial EmbeddingLayer Embed { get; }
    [Gru(7, 11)] public partial GruLayer Rnn { get; }
    [Linear(11, 4)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdLinearModel
{
    [Linear(7, 3)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 9, BatchSize = 3)]
public partial class FdLstmLinearNoBiasModel
{
    [Lstm(7, 11)] public partial LstmLayer Rnn { get; }
    [Linear(11, 6, Bias = false)] public partial LinearLayer Head { get; }
}
