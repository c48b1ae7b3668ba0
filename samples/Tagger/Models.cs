using Unroll;

namespace Tagger;

/// <summary>
/// A named-entity tagger: each word's pretrained vector (frozen), a bidirectional LSTM that reads the sentence both
/// ways, dropout, and a linear layer scoring the nine BIO tags of every word. Sentences are padded to the batch's
/// longest and each row's length is passed to <c>Forward</c>, so the backward direction starts at the row's own last
/// word (PyTorch's packed sequences) and the padding gets no loss.
/// </summary>
[Model(SequenceLength = MaxWords, BatchSize = 32)]
public partial class TaggerModel
{
    /// <summary>Embedding rows: the vocabulary's ids (padding 0, unknown 1, then the words) and unused rows after them.</summary>
    public const int Words = 512;

    /// <summary>The width of a word vector.</summary>
    public const int Dimension = 50;

    /// <summary>The longest sentence read (the generator's longest has 15 tokens).</summary>
    public const int MaxWords = 24;

    [Embedding(Words, Dimension, Trainable = false)] public partial EmbeddingLayer Embed { get; }
    [Lstm(Dimension, 64, Bidirectional = true)] public partial LstmLayer Rnn { get; }
    [Dropout(0.3)] public partial DropoutLayer Drop { get; }
    [Linear(128, 9)] public partial LinearLayer Head { get; }
}

/// <summary>The trained tagger for an application: inference only, one sentence at a time, weights from the training run's file.</summary>
[InferenceModel(typeof(TaggerModel), BatchSize = 1)]
public partial class TaggerReader;
