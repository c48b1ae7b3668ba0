using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The fused LSTM and GRU steps over weights packed in bfloat16, half and int8, at every hidden size 0 to 257 (every
/// block edge of every vector width; CI runs them again with AVX-512, AVX2 and all intrinsics off): each equals a
/// double-precision step over the same rounded weights (int8: and over each row's input and state quantized to 7 bits,
/// as PyTorch's dynamic quantization does), computed here independently of the kernels' encoders, and stays within the
/// precision's own error of the float32 step.
/// </summary>
public class ReducedPrecisionStepTests
{
    private const int Input = 5, Batch = 2;

    /// <summary>Float32 sums and activations over the rounded weights against double precision.</summary>
    private const double Absolute = 1e-5, Relative = 1e-5;

    public static TheoryData<int> HiddenSizes => new(Enumerable.Range(0, 258));

    public static TheoryData<WeightPrecision> Precisions => new(WeightPrecision.BFloat16, WeightPrecision.Float16, WeightPrecision.Int8);

    private static float[] Random(int n, ulong seed, float bound = 1f)
    {
        var values = new float[Math.Max(n, 1)];
        new SeededRandom(seed).FillUniform(values, -bound, bound);
        return values;
    }

    /// <summary>bfloat16: 8 significant bits, to nearest even, by double arithmetic.</summary>
    private static double RoundBFloat16(float v)
    {
        if (v == 0) return 0;
        int e = Math.ILogB(v);
        return Math.ScaleB(Math.Round(Math.ScaleB(v, 7 - e), MidpointRounding.ToEven), e - 7);
    }

    /// <summary>
    /// The weights a step in <paramref name="precision"/> computes with: <c>[W_ih W_hh]</c> row by row, rounded (int8: each
    /// output row to multiples of its largest magnitude / 127).
    /// </summary>
    private static (double[] ih, double[] hh) Rounded(float[] wIh, float[] wHh, int rows, int hidden, WeightPrecision precision)
    {
        var ih = new double[rows * Input];
        var hh = new double[rows * hidden];
        for (int r = 0; r < rows; r++)
        {
            float largest = 0;
            for (int p = 0; p < Input; p++) largest = Math.Max(largest, Math.Abs(wIh[r * Input + p]));
            for (int p = 0; p < hidden; p++) largest = Math.Max(largest, Math.Abs(wHh[r * hidden + p]));
            float scale = largest > 0 ? largest / 127f : 1; // int8: q = w / scale in float32, to nearest even
            double Round(float v) => precision switch
            {
                WeightPrecision.BFloat16 => RoundBFloat16(v),
                WeightPrecision.Float16 => (double)(Half)v,
                _ => (double)MathF.Round(v / scale) * scale,
            };
            for (int p = 0; p < Input; p++) ih[r * Input + p] = Round(wIh[r * Input + p]);
            for (int p = 0; p < hidden; p++) hh[r * hidden + p] = Round(wHh[r * hidden + p]);
        }
        return (ih, hh);
    }

    /// <summary>
    /// The values a step in <paramref name="precision"/> multiplies: as they are, or for int8 each row of
    /// <paramref name="width"/> values as 7-bit integers <c>q</c> and back, <c>scale·(q − zero)</c>, with
    /// <c>scale = (max − min) / 127</c> over the row and 0, <c>zero = round(−min / scale)</c>, <c>q = round(v · (1 / scale) + zero)</c>
    /// limited to 0–127 (the product in float32, the rounding to nearest even).
    /// </summary>
    private static double[] Multiplied(float[] values, int rows, int width, WeightPrecision precision)
    {
        var result = values.Select(v => (double)v).ToArray();
        if (precision != WeightPrecision.Int8) return result;
        for (int b = 0; b < rows; b++)
        {
            float[] row = values.Skip(b * width).Take(width).ToArray();
            float low = Math.Min(0, row.DefaultIfEmpty().Min()), range = Math.Max(0, row.DefaultIfEmpty().Max()) - low;
            float scale = range > 0 ? range / 127f : 1, zero = MathF.Round(-low / scale);
            for (int i = 0; i < width; i++)
            {
                double q = Math.Clamp(Math.Round((double)(row[i] * (1f / scale)) + zero, MidpointRounding.ToEven), 0, 127);
                result[b * width + i] = scale * (q - zero);
            }
        }
        return result;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>Row <paramref name="r"/> of <c>W_ih·x + W_hh·h_prev</c> for batch row <paramref name="b"/>, in double.</summary>
    private static double Product(double[] ih, double[] hh, double[] x, double[] hPrev, int b, int r, int hidden)
    {
        double sum = 0;
        for (int p = 0; p < Input; p++) sum += ih[r * Input + p] * x[b * Input + p];
        for (int p = 0; p < hidden; p++) sum += hh[r * hidden + p] * hPrev[b * hidden + p];
        return sum;
    }

    private static void Near(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * (1 + Math.Abs(expected)), $"{what} = {actual:R}, expected {expected:R}");

    /// <summary>How far from the float32 step a state may be: a few times the weight rounding over the sums of this size.</summary>
    private static double FromFloat32(WeightPrecision precision) => precision switch
    {
        WeightPrecision.BFloat16 => 2e-2,
        WeightPrecision.Float16 => 2e-3,
        _ => 2e-2,
    };

    [Theory]
    [MemberData(nameof(HiddenSizes))]
    public void Lstm_steps_equal_double_steps_over_the_rounded_weights(int hidden)
    {
        int H = hidden;
        float[] x = Random(Batch * Input, 11), hPrev = Random(Batch * H, 12), cPrev = Random(Batch * H, 13);
        float bound = 1 / MathF.Sqrt(Math.Max(H, 1)); // PyTorch's initialisation, so that the sums stay near 1
        float[] wIh = Random(4 * H * Input, 14, bound), wHh = Random(4 * H * H, 15, bound), bIh = Random(4 * H, 16), bHh = Random(4 * H, 17);
        var exact = new float[Cells.LstmStepSize(Input, H)];
        Cells.PackLstmStep(wIh, wHh, bIh, bHh, exact, Input, H);
        float[] c32 = new float[Batch * H], h32 = new float[Batch * H];
        Cells.LstmStep(x, Input, hPrev, H, exact, cPrev, c32, h32, H, Batch, Input, H);

        foreach (WeightPrecision precision in Precisions)
        {
            var packed = new float[Cells.LstmStepSize(Input, H, precision)];
            Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, Input, H, precision);
            float[] c = new float[Batch * H], h = new float[Batch * H];
            Cells.LstmStep(x, Input, hPrev, H, packed, cPrev, c, h, H, Batch, Input, H, precision);
            (double[] ih, double[] hh) = Rounded(wIh, wHh, 4 * H, H, precision);
            double[] xm = Multiplied(x, Batch, Input, precision), hm = Multiplied(hPrev, Batch, H, precision);
            for (int b = 0; b < Batch; b++)
            {
                for (int u = 0; u < H; u++)
                {
                    double Gate(int g) => Product(ih, hh, xm, hm, b, g * H + u, H) + bIh[g * H + u] + bHh[g * H + u];
                    double cNew = Sigmoid(Gate(1)) * cPrev[b * H + u] + Sigmoid(Gate(0)) * Math.Tanh(Gate(2));
                    double hNew = Sigmoid(Gate(3)) * Math.Tanh(cNew);
                    Near(cNew, c[b * H + u], Absolute + Relative, $"{precision} LSTM c[{b}, {u}] at hidden {H}");
                    Near(hNew, h[b * H + u], Absolute + Relative, $"{precision} LSTM h[{b}, {u}] at hidden {H}");
                    Near(h32[b * H + u], h[b * H + u], FromFloat32(precision), $"{precision} LSTM h[{b}, {u}] against float32 at hidden {H}");
                }
            }
        }
    }

    /// <summary>
    /// Random sizes, batches, seeds and magnitudes (FsCheck): the LSTM step in each reduced precision equals a double
    /// step over its rounded weights (int8: and its quantized input and state), as the sweep above checks at fixed ones.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property Lstm_steps_equal_double_steps_for_random_sizes_and_magnitudes() => Prop.ForAll(
        (from hidden in Gen.Choose(1, 70)
         from batch in Gen.Choose(1, 3)
         from seed in Gen.Choose(0, 1_000_000)
         from scale in Gen.Elements(0.01f, 1f, 4f)
         from precision in Gen.Elements(WeightPrecision.BFloat16, WeightPrecision.Float16, WeightPrecision.Int8)
         select (H: hidden, B: batch, Seed: (ulong)seed, Scale: scale, Precision: precision)).ToArbitrary(),
        c =>
        {
            int H = c.H, B = c.B;
            float[] x = Random(B * Input, c.Seed, c.Scale), hPrev = Random(B * H, c.Seed + 1), cPrev = Random(B * H, c.Seed + 2);
            float bound = 1 / MathF.Sqrt(H);
            float[] wIh = Random(4 * H * Input, c.Seed + 3, bound), wHh = Random(4 * H * H, c.Seed + 4, bound);
            float[] bIh = Random(4 * H, c.Seed + 5), bHh = Random(4 * H, c.Seed + 6);
            var packed = new float[Cells.LstmStepSize(Input, H, c.Precision)];
            Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, Input, H, c.Precision);
            float[] cNew = new float[B * H], h = new float[B * H];
            Cells.LstmStep(x, Input, hPrev, H, packed, cPrev, cNew, h, H, B, Input, H, c.Precision);
            (double[] ih, double[] hh) = Rounded(wIh, wHh, 4 * H, H, c.Precision);
            double[] xm = Multiplied(x, B, Input, c.Precision), hm = Multiplied(hPrev, B, H, c.Precision);
            for (int b = 0; b < B; b++)
            {
                for (int u = 0; u < H; u++)
                {
                    double Gate(int g) => Product(ih, hh, xm, hm, b, g * H + u, H) + bIh[g * H + u] + bHh[g * H + u];
                    double expectedC = Sigmoid(Gate(1)) * cPrev[b * H + u] + Sigmoid(Gate(0)) * Math.Tanh(Gate(2));
                    double expectedH = Sigmoid(Gate(3)) * Math.Tanh(expectedC);
                    foreach (var (expected, actual, what) in new[] { (expectedC, cNew[b * H + u], "c"), (expectedH, h[b * H + u], "h") })
                    {
                        if (Math.Abs(actual - expected) > (Absolute + Relative) * (1 + Math.Abs(expected)))
                            return false.Label($"{c}: {what}[{b}, {u}] = {actual:R}, expected {expected:R}");
                    }
                }
            }
            return true.ToProperty();
        });

    [Theory]
    [MemberData(nameof(HiddenSizes))]
    public void Gru_steps_equal_double_steps_over_the_rounded_weights(int hidden)
    {
        int H = hidden;
        float[] x = Random(Batch * Input, 21), hPrev = Random(Batch * H, 22);
        float bound = 1 / MathF.Sqrt(Math.Max(H, 1));
        float[] wIh = Random(3 * H * Input, 24, bound), wHh = Random(3 * H * H, 25, bound), bIh = Random(3 * H, 26), bHh = Random(3 * H, 27);
        var exact = new float[Cells.GruStepSize(Input, H)];
        Cells.PackGruStep(wIh, wHh, bIh, bHh, exact, Input, H);
        var h32 = new float[Batch * H];
        Cells.GruStep(x, Input, hPrev, H, exact, h32, H, Batch, Input, H);

        foreach (WeightPrecision precision in Precisions)
        {
            var packed = new float[Cells.GruStepSize(Input, H, precision)];
            Cells.PackGruStep(wIh, wHh, bIh, bHh, packed, Input, H, precision);
            var h = new float[Batch * H];
            Cells.GruStep(x, Input, hPrev, H, packed, h, H, Batch, Input, H, precision);
            (double[] ih, double[] hh) = Rounded(wIh, wHh, 3 * H, H, precision);
            double[] xm = Multiplied(x, Batch, Input, precision), hm = Multiplied(hPrev, Batch, H, precision);
            for (int b = 0; b < Batch; b++)
            {
                for (int u = 0; u < H; u++)
                {
                    double InputSide(int g) => Enumerable.Range(0, Input).Sum(p => ih[(g * H + u) * Input + p] * xm[b * Input + p]) + bIh[g * H + u];
                    double StateSide(int g) => Enumerable.Range(0, H).Sum(p => hh[(g * H + u) * H + p] * hm[b * H + p]) + bHh[g * H + u];
                    double r = Sigmoid(InputSide(0) + StateSide(0)), z = Sigmoid(InputSide(1) + StateSide(1));
                    double n = Math.Tanh(InputSide(2) + r * StateSide(2));
                    double hNew = (1 - z) * n + z * hPrev[b * H + u];
                    Near(hNew, h[b * H + u], Absolute + Relative, $"{precision} GRU h[{b}, {u}] at hidden {H}");
                    Near(h32[b * H + u], h[b * H + u], FromFloat32(precision), $"{precision} GRU h[{b}, {u}] against float32 at hidden {H}");
                }
            }
        }
    }

    [Fact]
    public void Reduced_precision_packs_take_half_and_a_quarter_of_the_float32_bytes()
    {
        int float32 = Cells.LstmStepSize(8, 128);
        Assert.InRange(Cells.LstmStepSize(8, 128, WeightPrecision.BFloat16), float32 / 2, float32 / 2 + 128 * 8); // the biases stay float32
        Assert.Equal(Cells.LstmStepSize(8, 128, WeightPrecision.BFloat16), Cells.LstmStepSize(8, 128, WeightPrecision.Float16));
        Assert.InRange(Cells.LstmStepSize(8, 128, WeightPrecision.Int8), float32 / 4, float32 / 4 + 128 * 16); // and a scale and two sums of weights an output
        Assert.InRange(Cells.GruStepSize(8, 128, WeightPrecision.Int8), Cells.GruStepSize(8, 128) / 4, Cells.GruStepSize(8, 128) / 4 + 128 * 16);
    }

    [Fact]
    public void Half_weights_saturate_and_zero_int8_rows_stay_zero()
    {
        const int H = 4;
        float[] x = [1, -1, 0.5f, 0.25f, 2], hPrev = new float[H], cPrev = new float[H];
        float[] wIh = new float[4 * H * Input], wHh = new float[4 * H * H], bIh = new float[4 * H], bHh = new float[4 * H];
        wIh[0] = 1e6f; // unit 0's input gate: 1e6 · x₀ saturates σ either way
        foreach (WeightPrecision precision in Precisions)
        {
            var packed = new float[Cells.LstmStepSize(Input, H, precision)];
            Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, Input, H, precision);
            float[] c = new float[H], h = new float[H];
            Cells.LstmStep(x, Input, hPrev, H, packed, cPrev, c, h, H, 1, Input, H, precision);
            Assert.All(c.Concat(h), v => Assert.True(float.IsFinite(v), $"{precision}: {v}"));
            Assert.All(h, v => Assert.Equal(0f, v)); // g = tanh(0) = 0 in every unit, so c = 0 and h = 0
        }
    }

    [Fact]
    public void Int8_steps_carry_a_nan_in_the_input_or_state_to_every_unit_and_take_all_zero_rows_exactly()
    {
        const int H = 20;
        float[] wIh = Random(4 * H * Input, 31, 0.3f), wHh = Random(4 * H * H, 32, 0.3f), bIh = Random(4 * H, 33), bHh = Random(4 * H, 34);
        var packed = new float[Cells.LstmStepSize(Input, H, WeightPrecision.Int8)];
        Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, Input, H, WeightPrecision.Int8);
        float[] Step(float[] x, float[] hPrev)
        {
            float[] c = new float[H], h = new float[H];
            Cells.LstmStep(x, Input, hPrev, H, packed, new float[H], c, h, H, 1, Input, H, WeightPrecision.Int8);
            return h;
        }
        float[] nanInput = Random(Input, 35), nanState = Random(H, 36);
        nanInput[3] = float.NaN;
        nanState[17] = float.NaN;
        Assert.All(Step(nanInput, Random(H, 37)), v => Assert.True(float.IsNaN(v)));
        Assert.All(Step(Random(Input, 38), nanState), v => Assert.True(float.IsNaN(v)));
        // Zero input and state: every sum is its bias alone, so h = σ(o)·tanh(σ(i)·tanh(g)) as float32 computes it.
        float[] zero = Step(new float[Input], new float[H]);
        var exact = new float[Cells.LstmStepSize(Input, H)];
        Cells.PackLstmStep(wIh, wHh, bIh, bHh, exact, Input, H);
        float[] c32 = new float[H], h32 = new float[H];
        Cells.LstmStep(new float[Input], Input, new float[H], H, exact, new float[H], c32, h32, H, 1, Input, H);
        Assert.Equal(h32, zero);
    }

    [Fact]
    public void Bad_sizes_and_precisions_are_refused()
    {
        float[] w = new float[4 * 4 * 4], b = new float[16];
        Assert.Throws<ArgumentException>(() => Cells.PackLstmStep(w, w, b, b, new float[Cells.LstmStepSize(4, 4, WeightPrecision.Int8) - 1], 4, 4, WeightPrecision.Int8));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Cells.PackGruStep(w, w, b, b, new float[1000], 4, 4, (WeightPrecision)9));
        Assert.Equal("precision", e.ParamName);
        var packed = new float[Cells.LstmStepSize(4, 4, WeightPrecision.BFloat16)];
        Cells.PackLstmStep(w, w, b, b, packed, 4, 4, WeightPrecision.BFloat16);
        Assert.Throws<ArgumentException>(() =>
            Cells.LstmStep(new float[4], 4, new float[4], 4, packed, new float[4], new float[4], new float[4], 4, 1, 4, 4, WeightPrecision.Float32));
    }
}
