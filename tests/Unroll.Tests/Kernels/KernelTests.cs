using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The kernels against plain scalar loops, at every small size (so every vector width's main loop
/// and tail is exercised) with strided rows. CI runs them again with AVX-512, AVX2 and all
/// intrinsics switched off.
/// </summary>
public class KernelTests
{
    private const double Tight = 1e-5;

    private static float[] Random(int n, ulong seed)
    {
        var values = new float[n];
        new SeededRandom(seed).FillUniform(values, -1, 1);
        return values;
    }

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int k in new[] { 0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65 })
            data.Add(3, 5, k);
        foreach (int n in new[] { 1, 2, 9, 16, 40 })
            data.Add(2, n, 13);
        data.Add(0, 4, 4);
        // Register blocks of four rows and two vectors, with row and column tails.
        data.Add(5, 40, 33);
        data.Add(9, 17, 48);
        data.Add(8, 64, 16);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matrix_products_match_scalar_loops(int m, int n, int k)
    {
        // Row strides wider than the rows, as when a kernel reads one direction's columns.
        int lda = k + 2, ldb = k + 1, ldc = n + 3;
        float[] a = Random(Math.Max(1, m * lda), 1), b = Random(Math.Max(1, n * ldb), 2), c0 = Random(Math.Max(1, m * ldc), 3);

        float[] c = (float[])c0.Clone();
        Blas.MultiplyTransposed(a, lda, b, ldb, c, ldc, m, n, k, accumulate: true);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = c0[i * ldc + j];
                for (int p = 0; p < k; p++) sum += (double)a[i * lda + p] * b[j * ldb + p];
                Assert.Equal(sum, c[i * ldc + j], Tight);
            }

        // C[m, k] = A[m, n] · B[n, k]
        float[] bn = Random(Math.Max(1, n * (k + 1)), 4);
        c = (float[])c0.Clone();
        int ldc2 = k + 1;
        float[] c2 = Random(Math.Max(1, m * ldc2), 5), c2Start = (float[])c2.Clone();
        Blas.Multiply(a, lda, bn, k + 1, c2, ldc2, m, k, Math.Min(n, k), accumulate: true);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < k; j++)
            {
                double sum = c2Start[i * ldc2 + j];
                for (int p = 0; p < Math.Min(n, k); p++) sum += (double)a[i * lda + p] * bn[p * (k + 1) + j];
                Assert.Equal(sum, c2[i * ldc2 + j], Tight);
            }

        // C[n, k] += Σ_m A[m, n] · B[m, k]
        float[] grad = Random(Math.Max(1, m * (n + 1)), 6), x = Random(Math.Max(1, m * lda), 7);
        float[] w = Random(Math.Max(1, n * ldb), 8), wStart = (float[])w.Clone();
        Blas.MultiplyTransposedAAdd(grad, n + 1, x, lda, w, ldb, m, n, k);
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
            {
                double sum = wStart[j * ldb + p];
                for (int i = 0; i < m; i++) sum += (double)grad[i * (n + 1) + j] * x[i * lda + p];
                Assert.Equal(sum, w[j * ldb + p], Tight);
            }
    }

    [Fact]
    public void Row_helpers_match_scalar_loops()
    {
        float[] source = Random(4 * 7, 1);
        float[] target = Random(4 * 9, 2), start = (float[])target.Clone();
        Blas.AddRows(source, 7, target, 9, 4, 5);
        float[] bias = Random(5, 3);
        Blas.AddRowVector(target, 9, 4, 5, bias);
        var sum = new float[5];
        Blas.SumRowsAdd(source, 7, 4, 5, sum);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 9; j++)
                Assert.Equal(j < 5 ? start[i * 9 + j] + source[i * 7 + j] + bias[j] : start[i * 9 + j], target[i * 9 + j], Tight);
        for (int j = 0; j < 5; j++)
            Assert.Equal(Enumerable.Range(0, 4).Sum(i => (double)source[i * 7 + j]), sum[j], Tight);

        // [2, 3, 4] → [3, 2, 4] and back.
        float[] batchFirst = Random(24, 4), timeMajor = new float[24], back = new float[24];
        Blas.SwapLeadingAxes(batchFirst, timeMajor, 2, 3, 4);
        Assert.Equal(batchFirst[(1 * 3 + 2) * 4 + 3], timeMajor[(2 * 2 + 1) * 4 + 3]);
        Blas.SwapLeadingAxes(timeMajor, back, 3, 2, 4);
        Assert.Equal(batchFirst, back);
    }

    public static TheoryData<int> Widths => new() { 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64, 65 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void Cell_steps_match_the_equations(int hidden)
    {
        const int batch = 2;
        int H = hidden;
        static double S(double v) => 1 / (1 + Math.Exp(-v));

        // LSTM
        float[] pre = Random(batch * 4 * H, 1), gates = (float[])pre.Clone(), cPrev = Random(batch * H, 2);
        var c = new float[batch * H];
        var h = new float[batch * (H + 1)];
        Cells.LstmForward(gates, cPrev, c, h, H + 1, batch, H);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < H; j++)
            {
                double i = S(pre[b * 4 * H + j]), f = S(pre[b * 4 * H + H + j]), g = Math.Tanh(pre[b * 4 * H + 2 * H + j]), o = S(pre[b * 4 * H + 3 * H + j]);
                double cNew = f * cPrev[b * H + j] + i * g;
                Assert.Equal(cNew, c[b * H + j], Tight);
                Assert.Equal(o * Math.Tanh(cNew), h[b * (H + 1) + j], Tight);
                Assert.Equal(i, gates[b * 4 * H + j], Tight);
            }

        // GRU: cache holds W_ih x + b_ih in its first 3H columns.
        float[] gx = Random(batch * 4 * H, 3), cache = (float[])gx.Clone(), gh = Random(batch * 3 * H, 4), hPrev = Random(batch * H, 5);
        Cells.GruForward(cache, gh, hPrev, H, h, H + 1, batch, H);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < H; j++)
            {
                double r = S(gx[b * 4 * H + j] + gh[b * 3 * H + j]);
                double z = S(gx[b * 4 * H + H + j] + gh[b * 3 * H + H + j]);
                double n = Math.Tanh(gx[b * 4 * H + 2 * H + j] + r * gh[b * 3 * H + 2 * H + j]);
                Assert.Equal((1 - z) * n + z * hPrev[b * H + j], h[b * (H + 1) + j], Tight);
            }

        // RNN, both activations; ReLU's derivative masks exactly.
        float[] p = Random(batch * H, 6);
        Cells.RnnForward(p, h, H + 1, batch, H, Nonlinearity.Relu);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < H; j++)
                Assert.Equal(Math.Max(0, p[b * H + j]), h[b * (H + 1) + j]);
        float[] dh = Random(batch * (H + 1), 7), dhNext = new float[batch * H], dPre = new float[batch * H];
        Cells.RnnBackward(h, H + 1, dh, H + 1, dhNext, dPre, batch, H, Nonlinearity.Relu);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < H; j++)
                Assert.Equal(p[b * H + j] > 0 ? dh[b * (H + 1) + j] : 0f, dPre[b * H + j]);
    }
}

/// <summary>The fused streaming steps against PyTorch's equations in double precision, at widths around the block of 16 units.</summary>
public class FusedStepTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 2)]
    [InlineData(8, 16, 1)]
    [InlineData(7, 17, 3)]
    [InlineData(32, 33, 2)]
    [InlineData(0, 64, 1)]
    [InlineData(9, 100, 2)]
    public void Fused_LSTM_and_GRU_steps_match_the_equations(int input, int hidden, int batch)
    {
        int H = hidden, ldx = input + 1, ldPrev = H + 2, ldh = H + 3;
        static double S(double v) => 1 / (1 + Math.Exp(-v));
        var random = new SeededRandom((ulong)(input * 1000 + H));
        float[] R(int n) { var v = new float[n]; random.FillUniform(v, -1f, 1f); return v; }
        float[] x = R(Math.Max(1, batch * ldx)), hPrev = R(batch * ldPrev), cPrev = R(batch * H);
        double Dot(float[] w, int row, int n, float[] v, int offset) { double s = 0; for (int p = 0; p < n; p++) s += (double)w[row * n + p] * v[offset + p]; return s; }

        // LSTM, gates i, f, g, o
        float[] wIh = R(4 * H * input), wHh = R(4 * H * H), bIh = R(4 * H), bHh = R(4 * H);
        var packed = new float[Cells.LstmStepSize(input, H)];
        Cells.PackLstmStep(wIh, wHh, bIh, bHh, packed, input, H);
        float[] c = R(batch * H), h = R(batch * ldh), hBefore = (float[])h.Clone();
        Cells.LstmStep(x, ldx, hPrev, ldPrev, packed, cPrev, c, h, ldh, batch, input, H);
        for (int b = 0; b < batch; b++)
        {
            for (int u = 0; u < H; u++)
            {
                double Pre(int gate) => bIh[gate * H + u] + bHh[gate * H + u] + Dot(wIh, gate * H + u, input, x, b * ldx) + Dot(wHh, gate * H + u, H, hPrev, b * ldPrev);
                double i = S(Pre(0)), f = S(Pre(1)), g = Math.Tanh(Pre(2)), o = S(Pre(3));
                double cNew = f * cPrev[b * H + u] + i * g;
                Assert.Equal(cNew, c[b * H + u], 2e-6);
                Assert.Equal(o * Math.Tanh(cNew), h[b * ldh + u], 2e-6);
            }
            for (int u = H; u < ldh && b < batch - 1; u++) Assert.Equal(hBefore[b * ldh + u], h[b * ldh + u]); // the stride's gap is untouched
        }

        // GRU, gates r, z, n
        float[] gIh = R(3 * H * input), gHh = R(3 * H * H), gbIh = R(3 * H), gbHh = R(3 * H);
        var gruPacked = new float[Cells.GruStepSize(input, H)];
        Cells.PackGruStep(gIh, gHh, gbIh, gbHh, gruPacked, input, H);
        h = (float[])hBefore.Clone();
        Cells.GruStep(x, ldx, hPrev, ldPrev, gruPacked, h, ldh, batch, input, H);
        for (int b = 0; b < batch; b++)
        {
            for (int u = 0; u < H; u++)
            {
                double In(int gate) => gbIh[gate * H + u] + Dot(gIh, gate * H + u, input, x, b * ldx);
                double Hid(int gate) => gbHh[gate * H + u] + Dot(gHh, gate * H + u, H, hPrev, b * ldPrev);
                double r = S(In(0) + Hid(0)), z = S(In(1) + Hid(1)), n = Math.Tanh(In(2) + r * Hid(2));
                Assert.Equal((1 - z) * n + z * hPrev[b * ldPrev + u], h[b * ldh + u], 2e-6);
            }
            for (int u = H; u < ldh && b < batch - 1; u++) Assert.Equal(hBefore[b * ldh + u], h[b * ldh + u]);
        }
    }

    [Fact]
    public void Fused_steps_refuse_spans_that_are_too_short()
    {
        var packed = new float[Cells.LstmStepSize(4, 8)];
        Assert.Throws<ArgumentException>(() => Cells.LstmStep(new float[4], 4, new float[8], 8, packed.AsSpan(1), new float[8], new float[8], new float[8], 8, 1, 4, 8));
        Assert.Throws<ArgumentException>(() => Cells.PackGruStep(new float[3 * 8 * 4], new float[3 * 8 * 8], new float[24], new float[24], new float[10], 4, 8));
        float[] lstm = new float[Cells.LstmStepSize(4, 8)], gru = new float[Cells.GruStepSize(4, 8)];
        Assert.Throws<ArgumentException>(() => Cells.LstmStepUnrolled(new float[4], new float[8], lstm.AsSpan(1), new float[8], new float[8], new float[8], 1, 4, 8));
        Assert.Throws<ArgumentException>(() => Cells.LstmStepUnrolled(new float[4], new float[8], lstm, new float[8], new float[8], new float[7], 1, 4, 8));
        Assert.Throws<ArgumentException>(() => Cells.GruStepUnrolled(new float[8], new float[16], gru, new float[16], 2, 4, 8 + 1));
        Assert.Throws<ArgumentException>(() => Blas.Linear(new float[8], new float[8], new float[1], new float[1], 1, 1, 9));
        Assert.Throws<ArgumentException>(() => Blas.Linear(new float[16 * 2], new float[2], new float[1], new float[16], 16, 1, 2));
    }
}

/// <summary>The fused LSTM cell's own σ and tanh against double precision, over the whole float range that matters.</summary>
public class ActivationAccuracyTests
{
    [Fact]
    public void Sigmoid_and_tanh_are_within_3e_7_of_double_precision()
    {
        const int H = 1001; // vector blocks and a scalar tail
        var gates = new float[4 * H];
        var inputs = new float[H];
        for (int j = 0; j < H; j++)
        {
            // −100 … 100, denser near 0, and the exact edges
            double u = (j - 500) / 500.0;
            inputs[j] = (float)(100 * u * u * u);
        }
        inputs[0] = -1e-30f;
        inputs[1] = 1e-7f;
        for (int k = 0; k < 4; k++) inputs.CopyTo(gates, k * H);
        var c = new float[H];
        var h = new float[H];
        Unroll.Kernels.Cells.LstmForward(gates, new float[H], c, h, H, 1, H);
        for (int j = 0; j < H; j++)
        {
            double x = inputs[j];
            double sigmoid = 1 / (1 + Math.Exp(-x)), tanh = Math.Tanh(x);
            Assert.True(Math.Abs(gates[j] - sigmoid) <= 3e-7, $"σ({x:R}) = {gates[j]:R}, expected {sigmoid:R}");
            Assert.True(Math.Abs(gates[2 * H + j] - tanh) <= 3e-7, $"tanh({x:R}) = {gates[2 * H + j]:R}, expected {tanh:R}");
            double cj = sigmoid * tanh, hj = sigmoid * Math.Tanh(cj);
            Assert.True(Math.Abs(c[j] - cj) <= 3e-7 && Math.Abs(h[j] - hj) <= 3e-7, $"c, h at {x:R}");
        }
    }
}

/// <summary>The packed matrix-vector product of streaming steps against a plain double sum, at widths around every panel size.</summary>
public class PackedProductTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 15, 7)]
    [InlineData(2, 16, 8)]
    [InlineData(3, 17, 33)]
    [InlineData(1, 63, 5)]
    [InlineData(1, 64, 16)]
    [InlineData(2, 80, 9)]
    [InlineData(1, 127, 24)]
    [InlineData(3, 128, 128)]
    [InlineData(1, 209, 40)]
    [InlineData(2, 1024, 3)]
    public void MultiplyPacked_matches_the_row_major_product(int m, int n, int k)
    {
        var random = new SeededRandom((ulong)(m * 100_000 + n * 100 + k));
        var w = new float[n * (k + 2)]; // row stride k + 2
        var a = new float[m * (k + 1)]; // row stride k + 1
        var c = new float[m * (n + 3)]; // row stride n + 3
        random.FillUniform(w, -1f, 1f);
        random.FillUniform(a, -1f, 1f);
        random.FillUniform(c, -1f, 1f);
        float[] before = c.ToArray();
        var packed = new float[n * k];
        Unroll.Kernels.Blas.PackPanels(w, k + 2, packed, n, k);
        foreach (bool accumulate in new[] { true, false })
        {
            before.CopyTo(c, 0);
            Unroll.Kernels.Blas.MultiplyPacked(a, k + 1, packed, c, n + 3, m, n, k, accumulate);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = accumulate ? before[i * (n + 3) + j] : 0;
                    for (int p = 0; p < k; p++) sum += (double)a[i * (k + 1) + p] * w[j * (k + 2) + p];
                    Assert.True(Math.Abs(c[i * (n + 3) + j] - sum) <= 1e-5 + 1e-5 * Math.Abs(sum), $"C[{i}, {j}] = {c[i * (n + 3) + j]:R}, expected {sum:R}");
                }
                for (int j = n; j < n + 3 && i < m - 1; j++) Assert.Equal(before[i * (n + 3) + j], c[i * (n + 3) + j]); // the stride's gap is untouched
            }
        }
    }
}
