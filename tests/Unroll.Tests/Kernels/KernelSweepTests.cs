using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Sweeps, as TensorPrimitives' own tests do: the register-tiled products, the packed step products, the fused
/// steps and the transpose against double-precision loops at every width from 0 to 257 (every vector tail, panel
/// edge and block edge), with strided rows. CI runs them again with AVX-512, AVX2 and all
/// intrinsics switched off.
/// </summary>
public class KernelSweepTests
{
    /// <summary>Float32 sums of up to a few hundred products against double precision.</summary>
    private const double Absolute = 1e-5, Relative = 1e-5;

    /// <summary>Every width 0 to 257: each tail of the 16-, 32- and 64-wide tiles and the edges of the 128-, 192- and 256-wide panels.</summary>
    public static IEnumerable<int> Widths => Enumerable.Range(0, 258);

    public static TheoryData<int> WidthData => new(Widths);

    private static float[] Random(int n, ulong seed)
    {
        var values = new float[Math.Max(n, 1)];
        new SeededRandom(seed).FillUniform(values, -1f, 1f);
        return values;
    }

    private static void Near(double expected, float actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= Absolute + Relative * Math.Abs(expected), $"{what} = {actual:R}, expected {expected:R}");

    [Theory]
    [MemberData(nameof(WidthData))]
    public void Products_match_double_loops_at_every_width(int n)
    {
        foreach (int m in new[] { 1, 5, 16, 19 })
        {
            foreach (int k in new[] { 1, 17, 129 })
            {
                int lda = k + 1, ldb = k + 2, ldc = n + 3;
                float[] a = Random(m * lda, 1), b = Random(n * ldb, 2), c0 = Random(m * ldc, 3);
                var packed = new float[n * k];
                Blas.PackPanels(b, ldb, packed, n, k);
                float[] transposed = (float[])c0.Clone(), viaPanels = (float[])c0.Clone();
                Blas.MultiplyTransposed(a, lda, b, ldb, transposed, ldc, m, n, k, accumulate: true);
                Blas.MultiplyPacked(a, lda, packed, viaPanels, ldc, m, n, k, accumulate: true);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double sum = c0[i * ldc + j];
                        for (int p = 0; p < k; p++) sum += (double)a[i * lda + p] * b[j * ldb + p];
                        Near(sum, transposed[i * ldc + j], $"A·Bᵀ [{m}x{n}x{k}] at ({i}, {j})");
                        Near(sum, viaPanels[i * ldc + j], $"packed A·Bᵀ [{m}x{n}x{k}] at ({i}, {j})");
                    }
                    for (int j = n; j < ldc && i < m - 1; j++)
                    {
                        Assert.Equal(c0[i * ldc + j], transposed[i * ldc + j]); // the stride's gap is untouched
                        Assert.Equal(c0[i * ldc + j], viaPanels[i * ldc + j]);
                    }
                }

                // A·B with B [k, n] and the weight gradient Gᵀ·X over the same shapes.
                float[] bn = Random(k * (n + 1), 4), plain = Random(m * ldc, 5), plainStart = (float[])plain.Clone();
                Blas.Multiply(a, lda, bn, n + 1, plain, ldc, m, n, k, accumulate: true);
                float[] g = Random(m * (n + 2), 6), w = Random(n * ldb, 7), wStart = (float[])w.Clone();
                Blas.MultiplyTransposedAAdd(g, n + 2, a, lda, w, ldb, m, n, k);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double sum = plainStart[i * ldc + j];
                        for (int p = 0; p < k; p++) sum += (double)a[i * lda + p] * bn[p * (n + 1) + j];
                        Near(sum, plain[i * ldc + j], $"A·B [{m}x{n}x{k}] at ({i}, {j})");
                    }
                }
                for (int j = 0; j < n; j++)
                {
                    for (int p = 0; p < k; p++)
                    {
                        double sum = wStart[j * ldb + p];
                        for (int i = 0; i < m; i++) sum += (double)g[i * (n + 2) + j] * a[i * lda + p];
                        Near(sum, w[j * ldb + p], $"Gᵀ·X [{m}x{n}x{k}] at ({j}, {p})");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(WidthData))]
    public void Fused_steps_match_the_unfused_kernels_at_every_width(int hidden)
    {
        // The fused step against the products and cells the sequence passes use, which the golden tests pin to PyTorch.
        const int Input = 5, Batch = 2;
        int H = hidden;
        float[] x = Random(Batch * Input, 11), hPrev = Random(Batch * H, 12), cPrev = Random(Batch * H, 13);
        float[] wIh = Random(4 * H * Input, 14), wHh = Random(4 * H * H, 15), bIh = Random(4 * H, 16), bHh = Random(4 * H, 17);

        var gates = new float[Batch * 4 * H];
        Blas.MultiplyTransposed(x, Input, wIh, Input, gates, 4 * H, Batch, 4 * H, Input, accumulate: false);
        Blas.AddRowVector(gates, 4 * H, Batch, 4 * H, bIh);
        Blas.AddRowVector(gates, 4 * H, Batch, 4 * H, bHh);
        Blas.MultiplyTransposed(hPrev, H, wHh, H, gates, 4 * H, Batch, 4 * H, H, accumulate: true);
        float[] c = new float[Batch * H], h = new float[Batch * H];
        Cells.LstmForward(gates, cPrev, c, h, H, Batch, H);

        var packed = new float[Cells.LstmStepSize(Input, H)];
        Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, Input, H);
        float[] fusedC = new float[Batch * H], fusedH = new float[Batch * H];
        Cells.LstmStep(x, Input, hPrev, H, packed, cPrev, fusedC, fusedH, H, Batch, Input, H);
        for (int i = 0; i < Batch * H; i++)
        {
            Near(c[i], fusedC[i], $"LSTM c[{i}] at hidden {H}");
            Near(h[i], fusedH[i], $"LSTM h[{i}] at hidden {H}");
        }

        float[] gIh = Random(3 * H * Input, 18), gHh = Random(3 * H * H, 19), gbIh = Random(3 * H, 20), gbHh = Random(3 * H, 21);
        var cache = new float[Batch * 4 * H];
        Blas.MultiplyTransposed(x, Input, gIh, Input, cache, 4 * H, Batch, 3 * H, Input, accumulate: false);
        Blas.AddRowVector(cache, 4 * H, Batch, 3 * H, gbIh);
        var gh = new float[Batch * 3 * H];
        Blas.MultiplyTransposed(hPrev, H, gHh, H, gh, 3 * H, Batch, 3 * H, H, accumulate: false);
        Blas.AddRowVector(gh, 3 * H, Batch, 3 * H, gbHh);
        var gruH = new float[Batch * H];
        Cells.GruForward(cache, gh, hPrev, H, gruH, H, Batch, H);

        var gruPacked = new float[Cells.GruStepSize(Input, H)];
        Cells.PackGruStep(gIh, gHh, gbIh, gbHh, gruPacked, Input, H);
        var fusedGru = new float[Batch * H];
        Cells.GruStep(x, Input, hPrev, H, gruPacked, fusedGru, H, Batch, Input, H);
        for (int i = 0; i < Batch * H; i++) Near(gruH[i], fusedGru[i], $"GRU h[{i}] at hidden {H}");
    }

    [Theory]
    [MemberData(nameof(WidthData))]
    public void Unrolled_steps_give_the_fused_steps_results_bit_for_bit_at_every_width(int hidden)
    {
        // The generated code's unrolled steps (small layers) against the shared fused steps (every other layer): the same
        // sums in the same order, so the same bits, whatever the width, the edge block or the batch.
        const int Input = 5, Batch = 3;
        int H = hidden;
        float[] x = Random(Batch * Input, 41), hPrev = Random(Batch * H, 42), cPrev = Random(Batch * H, 43);
        float[] wIh = Random(4 * H * Input, 44), wHh = Random(4 * H * H, 45), bIh = Random(4 * H, 46), bHh = Random(4 * H, 47);
        var packed = new float[Cells.LstmStepSize(Input, H)];
        Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, Input, H);
        float[] c = new float[Batch * H], h = new float[Batch * H], unrolledC = new float[Batch * H], unrolledH = new float[Batch * H];
        Cells.LstmStep(x, Input, hPrev, H, packed, cPrev, c, h, H, Batch, Input, H);
        Cells.LstmStepUnrolled(x, hPrev, packed, cPrev, unrolledC, unrolledH, Batch, Input, H);
        Assert.Equal(c, unrolledC);
        Assert.Equal(h, unrolledH);

        var gruPacked = new float[Cells.GruStepSize(Input, H)];
        Cells.PackGruStep(wIh.AsSpan(0, 3 * H * Input), wHh.AsSpan(0, 3 * H * H), bIh.AsSpan(0, 3 * H), bHh.AsSpan(0, 3 * H), gruPacked, Input, H);
        float[] gru = new float[Batch * H], unrolledGru = new float[Batch * H];
        Cells.GruStep(x, Input, hPrev, H, gruPacked, gru, H, Batch, Input, H);
        Cells.GruStepUnrolled(x, hPrev, gruPacked, unrolledGru, Batch, Input, H);
        Assert.Equal(gru, unrolledGru);
    }

    [Theory]
    [MemberData(nameof(WidthData))]
    public void The_streaming_head_gives_the_products_results_bit_for_bit_at_every_width(int inputs)
    {
        if (inputs == 0) return; // a linear layer has at least one input (Linear refuses 0: KernelTests)
        for (int rows = 1; rows < 16; rows += 2)
        {
            foreach (int outputs in new[] { 1, 2, 3, 4, 5, 9 })
            {
                float[] x = Random(rows * inputs, 51), w = Random(outputs * inputs, 52), b = Random(outputs, 53);
                var expected = new float[rows * outputs];
                Blas.MultiplyTransposed(x, inputs, w, inputs, expected, outputs, rows, outputs, inputs, accumulate: false);
                Blas.AddRowVector(expected, outputs, rows, outputs, b);
                var y = new float[rows * outputs];
                Blas.Linear(x, w, b, y, rows, outputs, inputs);
                Assert.Equal(expected, y);
            }
        }
    }

    [Fact]
    public void Transpose_moves_every_element_at_every_shape_up_to_20_by_20()
    {
        for (int rows = 0; rows <= 20; rows++)
        {
            for (int columns = 0; columns <= 20; columns++)
            {
                int lds = columns + 1, ldd = rows + 3;
                float[] source = Random(rows * lds, 31), destination = Random(columns * ldd, 32), before = (float[])destination.Clone();
                Blas.Transpose(source, lds, destination, ldd, rows, columns);
                for (int c = 0; c < columns; c++)
                    for (int r = 0; r < ldd; r++)
                        Assert.Equal(r < rows ? source[r * lds + c] : before[c * ldd + r], destination[c * ldd + r]);
            }
        }
    }
}
