// Written by `unroll import` from keras3_embedding_gru_dense.keras (Keras 3.16.0, Sequential).
// Its weights are in Keras3EmbeddingGruDense.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 6, BatchSize = 2)]
public partial class Keras3EmbeddingGruDense
{
    /// <summary>Keras layer 'embedding' (Embedding, layer 2 of 6).</summary>
    [Embedding(10, 4)]
    public partial EmbeddingLayer Embedding { get; }

    /// <summary>Keras layer 'gru' (GRU, layer 3 of 6).</summary>
    [Gru(4, 5)]
    public partial GruLayer Gru { get; }

    /// <summary>Keras layer 'dropout' (Dropout, layer 4 of 6).</summary>
    [Dropout(0.2)]
    public partial DropoutLayer Dropout { get; }

    /// <summary>Keras layer 'time_distributed' (TimeDistributed, layer 5 of 6).</summary>
    [Linear(5, 3)]
    public partial LinearLayer TimeDistributed { get; }

    /// <summary>Keras layer 'dense_1' (Dense, layer 6 of 6).</summary>
    [Linear(3, 2)]
    public partial LinearLayer Dense1 { get; }
}
