using Unroll;

namespace Sentiment;

/// <summary>
/// The course's Emojify V2 model for two classes: each word's pretrained vector (frozen), an LSTM over the sentence, the
/// mean of its states over the sentence's own words, dropout, and a linear head scoring negative and positive. Sentences
/// are padded to the batch's longest (at most <see cref="MaxWords"/> words) and each row's length is passed to
/// <c>Forward</c>, so the LSTM stops at a row's last word and the mean covers its words only.
/// </summary>
[Model(SequenceLength = MaxWords, BatchSize = 32)]
public partial class SentimentModel
{
    /// <summary>Embedding rows: the vocabulary's ids (padding 0, unknown 1, then the words) and unused rows after them.</summary>
    public const int Words = 16384;

    /// <summary>The width of a word vector.</summary>
    public const int Dimension = 50;

    /// <summary>The longest sentence read; longer ones are cut (the data's longest has 36 tokens).</summary>
    public const int MaxWords = 40;

    /// <summary>The two classes, in label order.</summary>
    public static readonly string[] Classes = ["negative", "positive"];

    [Embedding(Words, Dimension, Trainable = false)] public partial EmbeddingLayer Embed { get; }
    [Lstm(Dimension, 64)] public partial LstmLayer Rnn { get; }
    [Pooling(PoolingKind.Mean)] public partial PoolingLayer Pool { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop { get; }
    [Linear(64, 2)] public partial LinearLayer Head { get; }
}

/// <summary><see cref="SentimentModel"/> with an embedding that trains too (<c>--fine-tune</c>): the same layers, names and shapes.</summary>
[Model(SequenceLength = SentimentModel.MaxWords, BatchSize = 32)]
public partial class SentimentFineTuned
{
    [Embedding(SentimentModel.Words, SentimentModel.Dimension)] public partial EmbeddingLayer Embed { get; }
    [Lstm(SentimentModel.Dimension, 64)] public partial LstmLayer Rnn { get; }
    [Pooling(PoolingKind.Mean)] public partial PoolingLayer Pool { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop { get; }
    [Linear(64, 2)] public partial LinearLayer Head { get; }
}

/// <summary>The trained classifier for an application: inference only, one sentence at a time, weights from the training run's file.</summary>
[InferenceModel(typeof(SentimentModel), BatchSize = 1)]
public partial class SentimentReader;
