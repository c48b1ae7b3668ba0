using Unroll;

namespace Unroll.Tests.Decoding;

// The same tiny token language model, Embedding(6, 4) → LSTM(4, 8) → Linear(8, 6), at the batch
// sizes the decoding tests need: 1 for greedy decoding, sampling and the exhaustive reference, and
// 3, 6 and 36 as beam widths (36 = 6², every prefix of two tokens, makes a search of three tokens exhaustive).

/// <summary>The decoding test model, one sequence.</summary>
[Model(SequenceLength = 1, BatchSize = 1)]
public partial class DecLm1
{
    [Embedding(6, 4)] public partial EmbeddingLayer Embed { get; }
    [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
    [Linear(8, 6)] public partial LinearLayer Head { get; }
}

/// <summary>The decoding test model with 3 rows (a beam of 3).</summary>
[Model(SequenceLength = 1, BatchSize = 3)]
public partial class DecLm3
{
    [Embedding(6, 4)] public partial EmbeddingLayer Embed { get; }
    [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
    [Linear(8, 6)] public partial LinearLayer Head { get; }
}

/// <summary>The decoding test model with 6 rows (a beam as wide as the vocabulary).</summary>
[Model(SequenceLength = 1, BatchSize = 6)]
public partial class DecLm6
{
    [Embedding(6, 4)] public partial EmbeddingLayer Embed { get; }
    [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
    [Linear(8, 6)] public partial LinearLayer Head { get; }
}

/// <summary>The decoding test model with 36 rows (a beam that holds every two-token prefix).</summary>
[Model(SequenceLength = 1, BatchSize = 36)]
public partial class DecLm36
{
    [Embedding(6, 4)] public partial EmbeddingLayer Embed { get; }
    [Lstm(4, 8)] public partial LstmLayer Rnn { get; }
    [Linear(8, 6)] public partial LinearLayer Head { get; }
}

/// <summary>Seeded weights shared by the decoding models.</summary>
public static class DecWeights
{
    /// <summary>The vocabulary of the decoding models (input and output).</summary>
    public const int Vocabulary = 6;

    /// <summary>
    /// Fills the parameters with normal values times <paramref name="scale"/> (larger than PyTorch's
    /// default initialisation, so that the next-token distributions are peaked but not one-hot). The
    /// layout is the same at every batch size, so a seed gives every model the same weights.
    /// </summary>
    public static T With<T>(T model, int seed, float scale = 1.5f) where T : ISequenceModel
    {
        Span<float> p = model.Parameters;
        new SeededRandom((ulong)seed).FillNormal(p);
        for (int i = 0; i < p.Length; i++) p[i] *= scale;
        return model;
    }
}
