using Unroll;

namespace Unroll.Tests;

/// <summary>A token model with a stacked LSTM: Embedding → LSTM ×2 → Linear.</summary>
[Model(SequenceLength = 6, BatchSize = 3)]
public partial class TokenLm
{
    [Embedding(11, 5)] public partial EmbeddingLayer Embed { get; }
    [Lstm(5, 7, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Linear(7, 11)] public partial LinearLayer Head { get; }
}

/// <summary>A many-to-one model: a GRU that returns only its last step, then a classifier.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class ManyToOne
{
    [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}
