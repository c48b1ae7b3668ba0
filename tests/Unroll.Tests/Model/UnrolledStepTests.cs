using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Two stacked LSTMs small enough for the unrolled step (5 → 20, 20 → 20: 4,000 and 6,400 multiply-adds a step for two
/// rows), a GRU too large for it (20 → 100: 72,000, the shared fused step, split across the workers), and a head of three
/// outputs, two rows streaming.
/// </summary>
[Model(SequenceLength = 6, BatchSize = 2)]
public partial class UnrolledMix
{
    [Lstm(5, 20, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Gru(20, 100)] public partial GruLayer Gru { get; }
    [Linear(100, 3)] public partial LinearLayer Head { get; }
}

/// <summary>A GRU small enough to unroll, with an edge block at every width (H 13), as the last recurrent layer.</summary>
[Model(SequenceLength = 6, BatchSize = 1, InferenceOnly = true)]
public partial class UnrolledGru
{
    [Gru(7, 13)] public partial GruLayer Rnn { get; }
    [Linear(13, 1)] public partial LinearLayer Head { get; }
}

/// <summary>
/// The generated unrolled steps against the shared kernels: the same model stepped by hand through
/// <c>Cells.LstmStep</c>/<c>GruStep</c> over weights packed from its parameters, and the head through
/// <c>Blas.MultiplyTransposed</c> and <c>AddRowVector</c>, gives the model's <c>Step</c> outputs bit for bit.
/// </summary>
public class UnrolledStepTests
{
    private const int Steps = 9;

    private static float[] Packed(NamedParameterCollection p, string layer, int l, int input, int hidden, bool gru)
    {
        string suffix = $"_l{l}";
        var packed = new float[gru ? Cells.GruStepSize(input, hidden) : Cells.LstmStepSize(input, hidden)];
        Span<float> wIh = p[$"{layer}.weight_ih{suffix}"].Values, wHh = p[$"{layer}.weight_hh{suffix}"].Values;
        Span<float> bIh = p[$"{layer}.bias_ih{suffix}"].Values, bHh = p[$"{layer}.bias_hh{suffix}"].Values;
        if (gru) Cells.PackGruStep(wIh, wHh, bIh, bHh, packed, input, hidden);
        else Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, input, hidden);
        return packed;
    }

    private static float[] Head(NamedParameterCollection p, float[] h, int batch, int outputs, int inputs)
    {
        var y = new float[batch * outputs];
        Blas.MultiplyTransposed(h, inputs, p["Head.weight"].Values, inputs, y, outputs, batch, outputs, inputs, accumulate: false);
        Blas.AddRowVector(y, outputs, batch, outputs, p["Head.bias"].Values);
        return y;
    }

    [Fact]
    public void A_stacked_LSTM_and_a_GRU_step_as_the_shared_kernels_do_bit_for_bit()
    {
        const int B = 2;
        var model = new UnrolledMix();
        var random = new SeededRandom(71);
        random.FillUniform(model.Parameters, -0.4f, 0.4f);
        NamedParameterCollection p = model.NamedParameters;
        float[] l0 = Packed(p, "Rnn", 0, 5, 20, gru: false), l1 = Packed(p, "Rnn", 1, 20, 20, gru: false), g = Packed(p, "Gru", 0, 20, 100, gru: true);
        float[] h0 = new float[B * 20], c0 = new float[B * 20], h1 = new float[B * 20], c1 = new float[B * 20], hg = new float[B * 100];
        float[] x = new float[B * 5], y = new float[B * 3];
        for (int t = 0; t < Steps; t++)
        {
            random.FillUniform(x, -1f, 1f);
            model.Step(x, y);
            float[] nh0 = new float[B * 20], nc0 = new float[B * 20], nh1 = new float[B * 20], nc1 = new float[B * 20], nhg = new float[B * 100];
            Cells.LstmStep(x, 5, h0, 20, l0, c0, nc0, nh0, 20, B, 5, 20);
            Cells.LstmStep(nh0, 20, h1, 20, l1, c1, nc1, nh1, 20, B, 20, 20);
            Cells.GruStep(nh1, 20, hg, 100, g, nhg, 100, B, 20, 100);
            (h0, c0, h1, c1, hg) = (nh0, nc0, nh1, nc1, nhg);
            Assert.Equal(Head(p, hg, B, 3, 100), y);
        }
    }

    [Fact]
    public void A_GRU_with_an_edge_block_steps_as_the_shared_kernel_does_bit_for_bit()
    {
        var model = new UnrolledGru();
        var random = new SeededRandom(72);
        random.FillUniform(model.Parameters, -0.5f, 0.5f);
        NamedParameterCollection p = model.NamedParameters;
        float[] packed = Packed(p, "Rnn", 0, 7, 13, gru: true), h = new float[13], x = new float[7], y = new float[1];
        for (int t = 0; t < Steps; t++)
        {
            random.FillUniform(x, -1f, 1f);
            model.Step(x, y);
            var next = new float[13];
            Cells.GruStep(x, 7, h, 13, packed, next, 13, 1, 7, 13);
            h = next;
            Assert.Equal(Head(p, h, 1, 1, 13), y);
        }
    }
    [Fact]
    public void A_model_with_compiled_in_weights_steps_unrolled_as_the_shared_kernel_does_bit_for_bit()
    {
        // CompiledGru: PyTorch's st_gru weights compiled in, GRU 4 → 6 (unrolled), two rows, the head on the last state.
        var model = new CompiledGru();
        NamedParameterCollection p = model.NamedParameters;
        float[] packed = Packed(p, "Rnn", 0, 4, 6, gru: true), h = new float[2 * 6], x = new float[2 * 4], y = new float[2 * 3];
        var random = new SeededRandom(73);
        for (int t = 0; t < Steps; t++)
        {
            random.FillUniform(x, -1f, 1f);
            model.Step(x, y);
            var next = new float[2 * 6];
            Cells.GruStep(x, 4, h, 6, packed, next, 6, 2, 4, 6);
            h = next;
            Assert.Equal(Head(p, h, 2, 3, 6), y);
        }
    }
}
