using Unroll;

namespace Unroll.Tests;

// The Unroll side of the modules in make_safetensors_fixtures.py: the property names are the
// PyTorch submodule names, so state_dict() keys load as they are.

/// <summary>A token model with a stacked LSTM (as <c>TokenLm</c>): Embedding(11, 5) → LSTM(5, 7) ×2 → Linear(7, 11).</summary>
[Model(SequenceLength = 6, BatchSize = 3)]
public partial class StTokenLm
{
    [Embedding(11, 5)] public partial EmbeddingLayer Embed { get; }
    [Lstm(5, 7, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Linear(7, 11)] public partial LinearLayer Head { get; }
}

/// <summary>A bidirectional 2-layer LSTM and a linear layer without bias.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class StBiLstm
{
    [Lstm(3, 5, NumLayers = 2, Bidirectional = true)] public partial LstmLayer Rnn { get; }
    [Linear(10, 4, Bias = false)] public partial LinearLayer Head { get; }
}

/// <summary>A many-to-one GRU and a classifier.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class StGru
{
    [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}
