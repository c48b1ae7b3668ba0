using BenchmarkDotNet.Attributes;

namespace Unroll.Benchmarks;

/// <summary>
/// <see cref="PeerBenchmarks"/>' rows at hidden 128 and 256 with the step weights in bfloat16, half and int8
/// (<c>[Model(WeightPrecision = …)]</c>): the same weights (rounded when packed), inputs and one thread. Their
/// checksums differ from float32's by the rounding. <c>bash benchmarks/peers/rtneural</c> sets them beside RTNeural's
/// float32 rows of the same size.
/// </summary>
[MemoryDiagnoser]
public class PeerPrecisionBenchmarks
{
    private readonly float[] _inputs8 = PeerData.Inputs(8);
    private readonly float[] _out1 = new float[1];
    private int _row;
    private IStepModel<float> _model = null!;

    /// <summary>The row: RTNeural's name and the precision, <c>lstm128_bf16</c> … <c>gru256_int8</c>.</summary>
    [Params("lstm128_bf16", "lstm128_f16", "lstm128_int8", "lstm256_bf16", "lstm256_f16", "lstm256_int8",
            "gru128_bf16", "gru128_f16", "gru128_int8", "gru256_bf16", "gru256_f16", "gru256_int8")]
    public string Row { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        // Seeds as PeerBenchmarks' float32 rows (1000 + H for the LSTM, 2000 + H for the GRU).
        (_model, ulong seed, int hidden) = Row switch
        {
            "lstm128_bf16" => (Load<PeerLstm128Bf16>(), 1128UL, 128),
            "lstm128_f16" => (Load<PeerLstm128F16>(), 1128UL, 128),
            "lstm128_int8" => (Load<PeerLstm128Int8>(), 1128UL, 128),
            "lstm256_bf16" => (Load<PeerLstm256Bf16>(), 1256UL, 256),
            "lstm256_f16" => (Load<PeerLstm256F16>(), 1256UL, 256),
            "lstm256_int8" => (Load<PeerLstm256Int8>(), 1256UL, 256),
            "gru128_bf16" => (Load<PeerGru128Bf16>(), 2128UL, 128),
            "gru128_f16" => (Load<PeerGru128F16>(), 2128UL, 128),
            "gru128_int8" => (Load<PeerGru128Int8>(), 2128UL, 128),
            "gru256_bf16" => (Load<PeerGru256Bf16>(), 2256UL, 256),
            "gru256_f16" => (Load<PeerGru256F16>(), 2256UL, 256),
            "gru256_int8" => (Load<PeerGru256Int8>(), 2256UL, 256),
            _ => throw new ArgumentException($"Unknown row {Row}.", nameof(Row)),
        };
        _model = PeerData.Load(_model, seed, hidden);
        PeerData.Check(Row, _model, _inputs8, steps: 2000);
        _row = 0;

        static IStepModel<float> Load<T>() where T : IStepModel<float>, new() => new T();
    }

    [Benchmark]
    public void Step()
    {
        _model.Step(new ReadOnlySpan<float>(_inputs8, _row * 8, 8), _out1);
        _row = (_row + 1) & (PeerData.Rows - 1);
    }
}
