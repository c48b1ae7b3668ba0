using Unroll;

namespace Unroll.Tests;

// The shapes of the recurrent cases in shared/golden: input 3, hidden 5, 4 steps, batch 2.

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class RnnTanhModel
{
    [Rnn(3, 5)] public partial RnnLayer Rnn { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class RnnReluModel
{
    [Rnn(3, 5, Nonlinearity = Nonlinearity.Relu)] public partial RnnLayer Rnn { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class LstmModel
{
    [Lstm(3, 5)] public partial LstmLayer Rnn { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class GruModel
{
    [Gru(3, 5)] public partial GruLayer Rnn { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class Lstm2LayerModel
{
    [Lstm(3, 5, NumLayers = 2)] public partial LstmLayer Rnn { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class GruBidirectionalModel
{
    [Gru(3, 5, Bidirectional = true)] public partial GruLayer Rnn { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class Lstm2LayerBidirectionalModel
{
    [Lstm(3, 5, NumLayers = 2, Bidirectional = true)] public partial LstmLayer Rnn { get; }
}
