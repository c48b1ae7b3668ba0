using Unroll;

namespace CharLm;

/// <summary>
/// The character language model: each character's embedding goes through an LSTM, and a linear
/// head scores the next character. Trained on 32 windows of 64 characters at a time.
/// </summary>
[Model(SequenceLength = 64, BatchSize = 32)]
public partial class CharLmModel
{
    [Embedding(Vocabulary.Size, 48)] public partial EmbeddingLayer Embed { get; }
    [Lstm(48, 256)] public partial LstmLayer Rnn { get; }
    [Linear(256, Vocabulary.Size)] public partial LinearLayer Head { get; }
}

/// <summary>
/// The same layers for generation, taken from <see cref="CharLmModel"/> without repeating them: one sequence, one
/// character per <c>Step</c>, compiled for inference only (no backward pass, no gradients). Its parameters have the same
/// names and layout, so the trained weights copy over.
/// </summary>
[InferenceModel(typeof(CharLmModel), SequenceLength = 1, BatchSize = 1)]
public partial class CharLmSampler;

/// <summary><see cref="CharLmSampler"/> with its LSTM's step weights in bfloat16 (half the bytes a step reads).</summary>
[InferenceModel(typeof(CharLmModel), SequenceLength = 1, BatchSize = 1, WeightPrecision = WeightPrecision.BFloat16)]
public partial class CharLmSamplerBf16;

/// <summary><see cref="CharLmSampler"/> with its LSTM's step weights in half precision.</summary>
[InferenceModel(typeof(CharLmModel), SequenceLength = 1, BatchSize = 1, WeightPrecision = WeightPrecision.Float16)]
public partial class CharLmSamplerF16;

/// <summary><see cref="CharLmSampler"/> with its LSTM's step weights in int8 with a scale per row (a quarter of the bytes).</summary>
[InferenceModel(typeof(CharLmModel), SequenceLength = 1, BatchSize = 1, WeightPrecision = WeightPrecision.Int8)]
public partial class CharLmSamplerInt8;
