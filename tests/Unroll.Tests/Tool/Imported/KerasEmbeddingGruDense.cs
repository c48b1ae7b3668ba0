// Written by `unroll import` from embedding_gru_dense.h5 (Keras 2.15.0, Sequential).
// Its weights are in KerasEmbeddingGruDense.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 6, BatchSize = 2)]
public partial class KerasEmbeddingGruDense
{
    /// <summary>Keras layer 'embedding' (Embedding, layer 2 of 4).</summary>
    [Embedding(10, 4)]
    public partial EmbeddingLayer Embedding { get; }

    /// <summary>Keras layer 'gru' (GRU, layer 3 of 4).</summary>
    [Gru(4, 5)]
    public partial GruLayer Gru { get; }

    /// <summary>Keras layer 'time_distributed' (TimeDistributed, layer 4 of 4).</summary>
    [Linear(5, 3)]
    public partial LinearLayer TimeDistributed { get; }
}
