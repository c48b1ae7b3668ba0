using Unroll;

namespace SineForecast;

/// <summary>
/// The forecaster that is trained: an LSTM, then a small head (a hidden layer with GELU) that maps its state to the next
/// value; 16 sequences of 32 steps at a time.
/// </summary>
[Model(SequenceLength = 32, BatchSize = 16)]
public partial class SineLstm
{
    [Lstm(1, 32)] public partial LstmLayer Rnn { get; }
    [Linear(32, 16)] public partial LinearLayer Hidden { get; }
    [Activation(ActivationFunction.Gelu)] public partial ActivationLayer Gelu { get; }
    [Linear(16, 1)] public partial LinearLayer Head { get; }
}

/// <summary>The same network for deployment: one sequence, fed one value per <c>Step</c>.</summary>
[InferenceModel(typeof(SineLstm), BatchSize = 1)]
public partial class SineLstmStreaming;

/// <summary>
/// The network as a device ships it: SineLstm's layers for inference only (declared without repeating them), with the
/// weights of a training run compiled into the program (the file is an AdditionalFiles item of this project).
/// </summary>
[InferenceModel(typeof(SineLstm), Weights = "sine-forecast.safetensors")]
public partial class SineForecaster;

/// <summary>The compiled-in network streaming one sequence, step weights in float32 …</summary>
[InferenceModel(typeof(SineLstm), BatchSize = 1, Weights = "sine-forecast.safetensors")]
public partial class SineStepF32;

/// <summary>… in bfloat16 (half the bytes a step reads), …</summary>
[InferenceModel(typeof(SineLstm), BatchSize = 1, Weights = "sine-forecast.safetensors", WeightPrecision = WeightPrecision.BFloat16)]
public partial class SineStepBf16;

/// <summary>… in half precision, …</summary>
[InferenceModel(typeof(SineLstm), BatchSize = 1, Weights = "sine-forecast.safetensors", WeightPrecision = WeightPrecision.Float16)]
public partial class SineStepF16;

/// <summary>… and in int8 with a scale per row (a quarter of the bytes).</summary>
[InferenceModel(typeof(SineLstm), BatchSize = 1, Weights = "sine-forecast.safetensors", WeightPrecision = WeightPrecision.Int8)]
public partial class SineStepInt8;
