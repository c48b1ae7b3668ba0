using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Every element-wise and row kernel against a scalar double-precision reference at every length 0 to 257 (each
/// vector tail of 4-, 8- and 16-float vectors several times over, and the empty case), with strided rows: the cell
/// steps forward and backward (LSTM, GRU, Elman with both nonlinearities and the ReLU mask), LayerNorm forward and
/// backward, the attention rows (dot-product and additive), dropout, bias rows, row sums, copies and additions, and
/// the embedding gather and scatter. CI runs them again with AVX-512, AVX2 and all intrinsics switched off, so the
/// 512-, 256-, 128-bit and scalar paths all run.
/// </summary>
public class VectorKernelSweepTests
{
    /// <summary>σ and tanh against double precision (Activations' documented bound).</summary>
    private const double Activation = 3e-7;

    /// <summary>A state built from a few activations: the bound grows with each product.</summary>
    private const double State = 1e-6;

    /// <summary>Means, variances and reductions over up to 257 floats.</summary>
    private const double Reduction = 2e-6;

    public static TheoryData<int> Lengths => new(Enumerable.Range(0, 258));

    private static float[] Random(int n, ulong seed, float scale = 1f)
    {
        var values = new float[n];
        new SeededRandom(seed).FillUniform(values, -scale, scale);
        return values;
    }

    private static void Near(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what} = {actual:R}, expected {expected:R}");

    private static double S(double v) => 1 / (1 + Math.Exp(-v));

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Cell_activations_match_the_equations(int n)
    {
        const int Batch = 2;
        int ldh = n + 3;

        // LSTM: inputs up to ±12 reach both saturations.
        float[] pre = Random(Batch * 4 * n, 1, 12f), gates = (float[])pre.Clone(), cPrev = Random(Batch * n, 2);
        var c = new float[Batch * n];
        float[] h = Random(Batch * ldh, 9);
        float[] hBefore = (float[])h.Clone();
        Cells.LstmForward(gates, cPrev, c, h, ldh, Batch, n);
        for (int b = 0; b < Batch; b++)
        {
            for (int j = 0; j < n; j++)
            {
                int g = b * 4 * n + j;
                double i = S(pre[g]), f = S(pre[g + n]), gg = Math.Tanh(pre[g + 2 * n]), o = S(pre[g + 3 * n]);
                double cj = f * cPrev[b * n + j] + i * gg;
                Near(i, gates[g], Activation, $"LSTM i[{b},{j}]");
                Near(f, gates[g + n], Activation, $"LSTM f[{b},{j}]");
                Near(gg, gates[g + 2 * n], Activation, $"LSTM g[{b},{j}]");
                Near(o, gates[g + 3 * n], Activation, $"LSTM o[{b},{j}]");
                Near(cj, c[b * n + j], State, $"LSTM c[{b},{j}]");
                Near(o * Math.Tanh(cj), h[b * ldh + j], State, $"LSTM h[{b},{j}]");
            }
            for (int j = n; j < ldh && b < Batch - 1; j++) Assert.Equal(hBefore[b * ldh + j], h[b * ldh + j]); // the stride's gap
        }

        // GRU
        float[] gx = Random(Batch * 4 * n, 3, 6f), cache = (float[])gx.Clone(), gh = Random(Batch * 3 * n, 4, 6f), hPrev = Random(Batch * n, 5);
        Cells.GruForward(cache, gh, hPrev, n, h, ldh, Batch, n);
        for (int b = 0; b < Batch; b++)
        {
            for (int j = 0; j < n; j++)
            {
                double r = S(gx[b * 4 * n + j] + gh[b * 3 * n + j]);
                double z = S(gx[b * 4 * n + n + j] + gh[b * 3 * n + n + j]);
                double nn = Math.Tanh(gx[b * 4 * n + 2 * n + j] + r * gh[b * 3 * n + 2 * n + j]);
                Near(r, cache[b * 4 * n + j], Activation, $"GRU r[{b},{j}]");
                Near(z, cache[b * 4 * n + n + j], Activation, $"GRU z[{b},{j}]");
                Near(nn, cache[b * 4 * n + 2 * n + j], State, $"GRU n[{b},{j}]");
                Assert.Equal(gh[b * 3 * n + 2 * n + j], cache[b * 4 * n + 3 * n + j]); // W_hn·h + b_hn kept for backward
                Near((1 - z) * nn + z * hPrev[b * n + j], h[b * ldh + j], State, $"GRU h[{b},{j}]");
            }
        }

        // Elman: tanh, and ReLU with its derivative's exact mask.
        float[] p = Random(Batch * n, 6, 4f);
        Cells.RnnForward(p, h, ldh, Batch, n, Nonlinearity.Tanh);
        for (int i = 0; i < Batch * n; i++) Near(Math.Tanh(p[i]), h[i / n * ldh + i % n], Activation, $"tanh[{i}]");
        Cells.RnnForward(p, h, ldh, Batch, n, Nonlinearity.Relu);
        for (int i = 0; i < Batch * n; i++) Assert.Equal(Math.Max(0f, p[i]), h[i / n * ldh + i % n]);
        float[] dh = Random(Batch * ldh, 7), dhNext = Random(Batch * n, 8), dPre = new float[Batch * n];
        float[] dhNextBefore = (float[])dhNext.Clone();
        Cells.RnnBackward(h, ldh, dh, ldh, dhNext, dPre, Batch, n, Nonlinearity.Relu);
        for (int i = 0; i < Batch * n; i++)
        {
            float sum = dh[i / n * ldh + i % n] + dhNextBefore[i];
            Assert.Equal(p[i] > 0 ? sum : 0f, dPre[i]);
            Assert.Equal(0f, dhNext[i]); // consumed
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Cell_backward_steps_match_the_equations(int n)
    {
        const int Batch = 2;
        int lddh = n + 1;

        // LSTM: from activated gates i, f, g, o, the states, ∂h from above and from the next step, and ∂c carried in.
        float[] gates = Random(Batch * 4 * n, 1, 0.999f), cPrev = Random(Batch * n, 2), c = Random(Batch * n, 3);
        for (int i = 0; i < gates.Length; i++) if (i % (4 * Math.Max(n, 1)) / Math.Max(n, 1) != 2) gates[i] = 0.5f + 0.5f * gates[i]; // σ in (0, 1); g in (−1, 1)
        float[] dhOut = Random(Batch * lddh, 4), dhNext = Random(Batch * n, 5), dc = Random(Batch * n, 6), dGates = new float[Batch * 4 * n];
        float[] dhNextIn = (float[])dhNext.Clone(), dcIn = (float[])dc.Clone();
        Cells.LstmBackward(gates, cPrev, c, dhOut, lddh, dhNext, dc, dGates, Batch, n);
        for (int b = 0; b < Batch; b++)
            for (int j = 0; j < n; j++)
            {
                int g0 = b * 4 * n + j;
                double i = gates[g0], f = gates[g0 + n], g = gates[g0 + 2 * n], o = gates[g0 + 3 * n], tc = Math.Tanh(c[b * n + j]);
                double dh = dhOut[b * lddh + j] + dhNextIn[b * n + j];
                double dcTotal = dcIn[b * n + j] + dh * o * (1 - tc * tc);
                Near(dcTotal * g * i * (1 - i), dGates[g0], State, $"LSTM ∂i[{b},{j}]");
                Near(dcTotal * cPrev[b * n + j] * f * (1 - f), dGates[g0 + n], State, $"LSTM ∂f[{b},{j}]");
                Near(dcTotal * i * (1 - g * g), dGates[g0 + 2 * n], State, $"LSTM ∂g[{b},{j}]");
                Near(dh * tc * o * (1 - o), dGates[g0 + 3 * n], State, $"LSTM ∂o[{b},{j}]");
                Near(dcTotal * f, dc[b * n + j], State, $"LSTM ∂c_prev[{b},{j}]");
                Assert.Equal(0f, dhNext[b * n + j]);
            }

        // GRU: from the cache r, z, n, W_hn·h + b_hn and h_prev.
        float[] cache = Random(Batch * 4 * n, 7, 0.999f), hPrev = Random(Batch * n, 8);
        for (int i = 0; i < cache.Length; i++) if (i % (4 * Math.Max(n, 1)) / Math.Max(n, 1) < 2) cache[i] = 0.5f + 0.5f * cache[i]; // r, z in (0, 1)
        dhNext = (float[])dhNextIn.Clone();
        float[] dGx = new float[Batch * 3 * n], dGh = new float[Batch * 3 * n];
        Cells.GruBackward(cache, hPrev, n, dhOut, lddh, dhNext, dGx, dGh, Batch, n);
        for (int b = 0; b < Batch; b++)
            for (int j = 0; j < n; j++)
            {
                int c0 = b * 4 * n + j, d0 = b * 3 * n + j;
                double r = cache[c0], z = cache[c0 + n], nn = cache[c0 + 2 * n], ghn = cache[c0 + 3 * n];
                double dh = dhOut[b * lddh + j] + dhNextIn[b * n + j];
                double dz = dh * (hPrev[b * n + j] - nn) * z * (1 - z);
                double dn = dh * (1 - z) * (1 - nn * nn);
                double dr = dn * ghn * r * (1 - r);
                Near(dr, dGx[d0], State, $"GRU ∂r[{b},{j}]");
                Near(dz, dGx[d0 + n], State, $"GRU ∂z[{b},{j}]");
                Near(dn, dGx[d0 + 2 * n], State, $"GRU ∂n (input side)[{b},{j}]");
                Near(dr, dGh[d0], State, $"GRU ∂r (recurrent side)[{b},{j}]");
                Near(dz, dGh[d0 + n], State, $"GRU ∂z (recurrent side)[{b},{j}]");
                Near(dn * r, dGh[d0 + 2 * n], State, $"GRU ∂n (recurrent side)[{b},{j}]");
                Near(dh * z, dhNext[b * n + j], State, $"GRU ∂h_prev (direct part)[{b},{j}]");
            }
    }

    /// <summary>
    /// Scaled dot-product attention over <paramref name="n"/> keys (the softmax rows are the vector kernel): every
    /// query of a block (causal and not, with padding after the valid keys), and one streaming query.
    /// </summary>
    [Theory]
    [MemberData(nameof(Lengths))]
    public void Attention_rows_match_the_equations(int n)
    {
        if (n == 0) return; // attention over no keys has no softmax: a model never runs one (its lengths are ≥ 1)
        const int Dk = 3, Dv = 2;
        const float Scale = 0.57735026f;
        int queries = Math.Min(n, 9); // the last queries of the block see every key
        float[] q = Random(n * Dk, 1, 2f), k = Random(n * Dk, 2, 2f), v = Random(n * Dv, 3);
        foreach (bool causal in new[] { false, true })
        {
            int valid = Math.Max(1, n - 2);
            // A block of queries (the last ones, so that causal rows see up to every key), then one query alone.
            foreach (int count in new[] { queries, 1 })
            {
                int first = n - count;
                var weights = new float[count * n];
                var output = new float[count * Dv];
                Kernels.Attention.Forward(q.AsSpan(first * Dk), Dk, k, Dk, v, Dv, weights, output, Dv, count, n, Dk, Dv, Scale, causal, valid);
                for (int t = 0; t < count; t++)
                {
                    // With causal masking query t of this call sees keys 0..t (the kernel numbers its queries from 0).
                    int visible = Math.Min(causal ? Math.Min(t + 1, n) : n, valid);
                    var scores = new double[visible];
                    for (int j = 0; j < visible; j++)
                    {
                        for (int d = 0; d < Dk; d++) scores[j] += (double)q[(first + t) * Dk + d] * k[j * Dk + d];
                        scores[j] *= Scale;
                    }
                    double max = scores.Max(), sum = scores.Sum(e => Math.Exp(e - max));
                    for (int j = 0; j < n; j++)
                    {
                        double expected = j < visible ? Math.Exp(scores[j] - max) / sum : 0;
                        if (j < visible) Near(expected, weights[t * n + j], Reduction, $"weight[{t},{j}] (causal {causal}, {count} queries)");
                        else Assert.Equal(0f, weights[t * n + j]);
                    }
                    for (int d = 0; d < Dv; d++)
                    {
                        double expected = 0;
                        for (int j = 0; j < visible; j++) expected += Math.Exp(scores[j] - max) / sum * v[j * Dv + d];
                        Near(expected, output[t * Dv + d], Reduction, $"output[{t},{d}] (causal {causal}, {count} queries)");
                    }
                }
            }
        }
    }

    /// <summary>Additive (Bahdanau) attention: <paramref name="n"/> attention features against 5 keys, then 6 features against <paramref name="n"/> keys (3 of them padding).</summary>
    [Theory]
    [MemberData(nameof(Lengths))]
    public void Additive_attention_matches_the_equations(int n)
    {
        foreach (var (keys, attention) in new[] { (5, n), (Math.Max(n, 1), 6) })
        {
            const int Values = 3;
            int valid = Math.Max(1, keys - 3), ldk = attention + 1, ldv = Values + 2;
            float[] query = Random(attention, 1, 2f), projections = Random(keys * ldk, 2, 2f), v = Random(attention, 3), values = Random(keys * ldv, 4);
            float[] hidden = new float[keys * attention], scores = new float[keys], weights = Random(keys, 5), context = new float[Values];
            AdditiveAttention.Forward(query, projections, ldk, v, values, ldv, hidden, scores, weights, context, keys, valid, attention, Values);
            var e = new double[valid];
            for (int j = 0; j < valid; j++)
                for (int a = 0; a < attention; a++)
                {
                    double h = Math.Tanh(query[a] + projections[j * ldk + a]);
                    Near(h, hidden[j * attention + a], Activation, $"tanh(q' + k'_{j})[{a}]");
                    e[j] += v[a] * h;
                }
            double max = valid > 0 ? e.Max() : 0, sum = e.Sum(x => Math.Exp(x - max));
            for (int j = 0; j < keys; j++)
            {
                if (j < valid) Near(Math.Exp(e[j] - max) / sum, weights[j], Reduction, $"weight[{j}] ({keys} keys, attention {attention})");
                else Assert.Equal(0f, weights[j]);
            }
            for (int d = 0; d < Values; d++)
            {
                double expected = 0;
                for (int j = 0; j < valid; j++) expected += Math.Exp(e[j] - max) / sum * values[j * ldv + d];
                Near(expected, context[d], Reduction, $"context[{d}] ({keys} keys, attention {attention})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LayerNorm_matches_the_equations(int n)
    {
        if (n == 0) return; // a row of no features has no mean: the planner never emits LayerNorm(0) (UNR0005)
        const int Rows = 3;
        const float Eps = 1e-5f;
        float[] x = Random(Rows * n, 1, 3f), weight = Random(n, 2), bias = Random(n, 3);
        float[] y = new float[Rows * n], normalized = new float[Rows * n], inverse = new float[Rows];
        Normalization.LayerNormForward(x, weight, bias, y, normalized, inverse, Rows, n, Eps);
        float[] dy = Random(Rows * n, 4);
        float[] dWeight = new float[n], dBias = new float[n], dx = new float[Rows * n], scratch = new float[n];
        Normalization.LayerNormBackward(dy, weight, normalized, inverse, dWeight, dBias, dx, scratch, Rows, n);
        var expectedDWeight = new double[n];
        var expectedDBias = new double[n];
        for (int r = 0; r < Rows; r++)
        {
            double mean = 0, variance = 0;
            for (int j = 0; j < n; j++) mean += x[r * n + j];
            mean /= n;
            for (int j = 0; j < n; j++) variance += (x[r * n + j] - mean) * (x[r * n + j] - mean);
            variance /= n;
            double inv = 1 / Math.Sqrt(variance + Eps);
            Near(inv, inverse[r], Reduction, $"1/σ[{r}]");
            double sumG = 0, sumGx = 0;
            var xHat = new double[n];
            for (int j = 0; j < n; j++)
            {
                xHat[j] = (x[r * n + j] - mean) * inv;
                Near(xHat[j] * weight[j] + bias[j], y[r * n + j], Reduction, $"y[{r},{j}]");
                double g = dy[r * n + j] * weight[j];
                sumG += g;
                sumGx += g * xHat[j];
                expectedDWeight[j] += dy[r * n + j] * xHat[j];
                expectedDBias[j] += dy[r * n + j];
            }
            for (int j = 0; j < n; j++)
                Near(inv / n * (n * dy[r * n + j] * weight[j] - sumG - xHat[j] * sumGx), dx[r * n + j], 10 * Reduction, $"∂x[{r},{j}]");
        }
        for (int j = 0; j < n; j++)
        {
            Near(expectedDWeight[j], dWeight[j], Reduction, $"∂weight[{j}]");
            Near(expectedDBias[j], dBias[j], Reduction, $"∂bias[{j}]");
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dropout_row_and_embedding_kernels_match_scalar_loops(int n)
    {
        // Dropout: each element is kept × 1/(1 − p) or zeroed, and backward applies the same mask.
        float[] input = Random(n, 1), mask = new float[n], output = new float[n];
        Dropout.Forward(input, mask, output, 0.25f, new SeededRandom(2));
        for (int i = 0; i < n; i++)
        {
            Assert.True(mask[i] == 0f || mask[i] == 1f / 0.75f, $"mask[{i}] = {mask[i]}");
            Assert.Equal(input[i] * mask[i], output[i]);
        }
        float[] dOut = Random(n, 3), dIn = new float[n];
        Dropout.Backward(dOut, mask, dIn);
        for (int i = 0; i < n; i++) Assert.Equal(dOut[i] * mask[i], dIn[i]);

        // Bias rows, row sums, copies and additions over strided rows.
        const int M = 3;
        int ld = n + 2;
        float[] c = Random(M * ld, 4), bias = Random(n, 5), before = (float[])c.Clone();
        Blas.AddRowVector(c, ld, M, n, bias);
        for (int r = 0; r < M; r++)
            for (int j = 0; j < ld; j++)
                Assert.Equal(j < n ? before[r * ld + j] + bias[j] : before[r * ld + j], c[r * ld + j]);
        float[] sum = Random(n, 6), sumBefore = (float[])sum.Clone();
        Blas.SumRowsAdd(c, ld, M, n, sum);
        for (int j = 0; j < n; j++)
        {
            double expected = sumBefore[j];
            for (int r = 0; r < M; r++) expected += c[r * ld + j];
            Near(expected, sum[j], Reduction, $"Σ rows[{j}]");
        }
        float[] copy = Random(M * ld, 7), copyBefore = (float[])copy.Clone(), added = (float[])copy.Clone();
        Blas.CopyRows(c, ld, copy, ld, M, n);
        Blas.AddRows(c, ld, added, ld, M, n);
        for (int r = 0; r < M; r++)
            for (int j = 0; j < ld; j++)
            {
                Assert.Equal(j < n ? c[r * ld + j] : copyBefore[r * ld + j], copy[r * ld + j]);
                Assert.Equal(j < n ? copyBefore[r * ld + j] + c[r * ld + j] : copyBefore[r * ld + j], added[r * ld + j]);
            }

        // Embedding rows of width n: gather, and scatter-add of their gradients (a repeated token adds twice).
        const int Vocabulary = 5, Batch = 2, Length = 3;
        int[] tokens = { 4, 0, 4, 1, 2, 4 };
        float[] table = Random(Vocabulary * n, 8), gathered = new float[Batch * Length * n];
        Embeddings.Gather(tokens, table, gathered, Batch, Length, n);
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < Length; t++)
                for (int j = 0; j < n; j++)
                    Assert.Equal(table[tokens[b * Length + t] * n + j], gathered[(t * Batch + b) * n + j]); // time-major
        float[] gradient = Random(Batch * Length * n, 9), tableGradient = new float[Vocabulary * n];
        Embeddings.ScatterAdd(tokens, gradient, tableGradient, Batch, Length, n);
        for (int v = 0; v < Vocabulary; v++)
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int b = 0; b < Batch; b++)
                    for (int t = 0; t < Length; t++)
                        if (tokens[b * Length + t] == v) expected += gradient[(t * Batch + b) * n + j];
                Near(expected, tableGradient[v * n + j], Reduction, $"∂table[{v},{j}]");
            }
    }
}
