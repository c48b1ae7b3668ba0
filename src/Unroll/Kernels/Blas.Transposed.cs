using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

// The forward products of linear maps, C = A·Bᵀ with B in PyTorch's [out, in] layout, and the inlined head of the unrolled steps.
public static unsafe partial class Blas
{
    /// <summary>
    /// <c>C[m, n] (+)= Σ_k A[m, k] · B[n, k]</c>, that is <c>C = A·Bᵀ</c> with <c>B</c> in PyTorch's
    /// weight layout <c>[out, in]</c>: the forward product of a linear map. Rows of <c>A</c> go four at a
    /// time, so each row of <c>B</c> (a weight row) is read once for four rows of the batch; the rows
    /// left over go against four weight rows at a time.
    /// </summary>
    public static void MultiplyTransposed(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            // Empty sums: C = 0, or unchanged when accumulating.
            for (int r = 0; r < m && !accumulate; r++) c.Slice(r * ldc, n).Clear();
            return;
        }
        // One bounds check for the whole product; the block kernel then reads without checks.
        if (a.Length < (m - 1) * lda + k || b.Length < (n - 1) * ldb + k || c.Length < (m - 1) * ldc + n)
            throw new ArgumentException($"A [{m} x {k}] (stride {lda}), B [{n} x {k}] (stride {ldb}) or C [{m} x {n}] (stride {ldc}) does not fit its span.");
        bool panels = Vector512.IsHardwareAccelerated && m >= 16;
        int parts = Workers.Parts((long)m * n * k, (m + 3) / 4);
        if (parts > 1) RunParts(&MultiplyTransposedPart, parts, a, lda, b, ldb, c, ldc, m, n, k, accumulate, panels);
        else MultiplyTransposedRows(a, lda, b, ldb, c, ldc, m, n, k, accumulate, panels);
    }

    /// <summary>A share of <see cref="MultiplyTransposed"/>'s rows, in whole blocks of four.</summary>
    private static void MultiplyTransposedPart(Product* p, int part, int parts)
    {
        (int start, int rows) = Workers.Share(p->M, 4, part, parts);
        if (rows > 0) MultiplyTransposedRows(p->SpanA.Slice(start * p->Lda), p->Lda, p->SpanB, p->Ldb, p->SpanC.Slice(start * p->Ldc), p->Ldc, rows, p->N, p->K, p->Accumulate, p->Wide);
    }

    private static void MultiplyTransposedRows(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate, bool panels)
    {
        int done = panels ? MultiplyTransposedPanels(a, lda, b, ldb, c, ldc, m, n, k, accumulate) : 0;
        if (done < n) MultiplyTransposedDots(a, lda, b.Slice(done * ldb), ldb, c.Slice(done), ldc, m, n - done, k, accumulate);
    }

    /// <summary>
    /// <see cref="MultiplyTransposed"/> for many rows: 64 (then 32) columns of <c>B</c> at a time are transposed into a
    /// panel on the stack (<c>[depth, width]</c>, at most 128 deep), and register blocks of four rows by four vectors
    /// run over it. Returns how many columns it did; the last ones (fewer than 32) go to the dot products.
    /// </summary>
    [SkipLocalsInit]
    private static int MultiplyTransposedPanels(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate)
    {
        const int Depth = 128;
        Span<float> panel = stackalloc float[Depth * 64];
        ref float w0 = ref MemoryMarshal.GetReference(panel);
        int j0 = 0;
        for (int width; n - j0 >= 32; j0 += width)
        {
            width = n - j0 >= 64 ? 64 : 32;
            for (int p0 = 0; p0 < k; p0 += Depth)
            {
                int depth = Math.Min(Depth, k - p0);
                Transpose(b.Slice(j0 * ldb + p0), ldb, panel, width, width, depth);
                bool sum = accumulate || p0 > 0;
                int i = 0;
                for (; i + 4 <= m; i += 4)
                    Block4x512(ref Unsafe.AsRef(in a[i * lda + p0]), lda, 1, ref w0, width, ref c[i * ldc + j0], ldc, width, depth, sum);
                for (; i < m; i++)
                {
                    Span<float> target = c.Slice(i * ldc + j0, width);
                    if (!sum) target.Clear();
                    for (int v = 0; v < width; v += 16)
                        RowPanel512(ref Unsafe.AsRef(in a[i * lda + p0]), ref Unsafe.Add(ref w0, v), width, ref target[v], depth, 1);
                }
            }
        }
        return j0;
    }

    /// <summary><see cref="MultiplyTransposed"/> as dot products: each weight row read once for four rows of <c>A</c>.</summary>
    private static void MultiplyTransposedDots(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate)
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref float a0 = ref Unsafe.AsRef(in a[i * lda]);
            ref float a1 = ref Unsafe.Add(ref a0, lda);
            ref float a2 = ref Unsafe.Add(ref a1, lda);
            ref float a3 = ref Unsafe.Add(ref a2, lda);
            for (int j = 0; j < n; j++)
            {
                Dot4(ref a0, ref a1, ref a2, ref a3, ref Unsafe.AsRef(in b[j * ldb]), k, out float d0, out float d1, out float d2, out float d3);
                ref float c0 = ref c[i * ldc + j];
                if (accumulate)
                {
                    c0 += d0;
                    Unsafe.Add(ref c0, ldc) += d1;
                    Unsafe.Add(ref c0, 2 * ldc) += d2;
                    Unsafe.Add(ref c0, 3 * ldc) += d3;
                }
                else
                {
                    c0 = d0;
                    Unsafe.Add(ref c0, ldc) = d1;
                    Unsafe.Add(ref c0, 2 * ldc) = d2;
                    Unsafe.Add(ref c0, 3 * ldc) = d3;
                }
            }
        }
        // The last rows (all of them for a batch of one, as in streaming): four weight rows at a time against the row.
        for (; i < m; i++)
        {
            ref float row = ref Unsafe.AsRef(in a[i * lda]);
            ref float c0 = ref c[i * ldc];
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                ref float b0 = ref Unsafe.AsRef(in b[j * ldb]);
                Dot4(ref b0, ref Unsafe.Add(ref b0, ldb), ref Unsafe.Add(ref b0, 2 * ldb), ref Unsafe.Add(ref b0, 3 * ldb), ref row, k,
                    out float d0, out float d1, out float d2, out float d3);
                ref float t = ref Unsafe.Add(ref c0, j);
                if (accumulate)
                {
                    t += d0;
                    Unsafe.Add(ref t, 1) += d1;
                    Unsafe.Add(ref t, 2) += d2;
                    Unsafe.Add(ref t, 3) += d3;
                }
                else
                {
                    t = d0;
                    Unsafe.Add(ref t, 1) = d1;
                    Unsafe.Add(ref t, 2) = d2;
                    Unsafe.Add(ref t, 3) = d3;
                }
            }
            for (; j < n; j++)
            {
                float dot = TensorPrimitives.Dot(a.Slice(i * lda, k), b.Slice(j * ldb, k));
                Unsafe.Add(ref c0, j) = accumulate ? Unsafe.Add(ref c0, j) + dot : dot;
            }
        }
    }

    /// <summary>
    /// Four dot products sharing one vector <paramref name="w"/>: <c>d_r = Σ_p a_r[p] · w[p]</c>, with
    /// the widest vectors the hardware has (512 → 256 → 128 bits) and a scalar tail.
    /// </summary>
    private static void Dot4(ref float a0, ref float a1, ref float a2, ref float a3, ref float w, int k,
        out float d0, out float d1, out float d2, out float d3)
    {
        int p = 0;
        d0 = d1 = d2 = d3 = 0;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p <= k - Vector512<float>.Count; p += Vector512<float>.Count)
            {
                Vector512<float> x = Vector512.LoadUnsafe(ref w, (nuint)p);
                s0 += Vector512.LoadUnsafe(ref a0, (nuint)p) * x;
                s1 += Vector512.LoadUnsafe(ref a1, (nuint)p) * x;
                s2 += Vector512.LoadUnsafe(ref a2, (nuint)p) * x;
                s3 += Vector512.LoadUnsafe(ref a3, (nuint)p) * x;
            }
            d0 = Vector512.Sum(s0);
            d1 = Vector512.Sum(s1);
            d2 = Vector512.Sum(s2);
            d3 = Vector512.Sum(s3);
        }
        else if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p <= k - Vector256<float>.Count; p += Vector256<float>.Count)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref w, (nuint)p);
                s0 += Vector256.LoadUnsafe(ref a0, (nuint)p) * x;
                s1 += Vector256.LoadUnsafe(ref a1, (nuint)p) * x;
                s2 += Vector256.LoadUnsafe(ref a2, (nuint)p) * x;
                s3 += Vector256.LoadUnsafe(ref a3, (nuint)p) * x;
            }
            d0 = Vector256.Sum(s0);
            d1 = Vector256.Sum(s1);
            d2 = Vector256.Sum(s2);
            d3 = Vector256.Sum(s3);
        }
        else if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
        {
            Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p <= k - Vector128<float>.Count; p += Vector128<float>.Count)
            {
                Vector128<float> x = Vector128.LoadUnsafe(ref w, (nuint)p);
                s0 += Vector128.LoadUnsafe(ref a0, (nuint)p) * x;
                s1 += Vector128.LoadUnsafe(ref a1, (nuint)p) * x;
                s2 += Vector128.LoadUnsafe(ref a2, (nuint)p) * x;
                s3 += Vector128.LoadUnsafe(ref a3, (nuint)p) * x;
            }
            d0 = Vector128.Sum(s0);
            d1 = Vector128.Sum(s1);
            d2 = Vector128.Sum(s2);
            d3 = Vector128.Sum(s3);
        }
        for (; p < k; p++)
        {
            float x = Unsafe.Add(ref w, p);
            d0 += Unsafe.Add(ref a0, p) * x;
            d1 += Unsafe.Add(ref a1, p) * x;
            d2 += Unsafe.Add(ref a2, p) * x;
            d3 += Unsafe.Add(ref a3, p) * x;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLinearDoesNotFit(int rows, int outputs, int inputs) =>
        throw new ArgumentException($"x [{rows} x {inputs}], W [{outputs} x {inputs}], b [{outputs}] or y [{rows} x {outputs}] does not fit its span (under 16 rows).");

    /// <summary>
    /// <c>y = x·Wᵀ + b</c> for <paramref name="rows"/> rows under 16 (<c>x [rows, inputs]</c>, <c>W [outputs, inputs]</c>,
    /// <c>y [rows, outputs]</c>): what <see cref="MultiplyTransposed"/> then <see cref="AddRowVector"/> give, bit for bit,
    /// without their dispatch. The head of the generated unrolled steps, inlined with its sizes as literals.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Linear(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int rows, int outputs, int inputs)
    {
        if ((uint)rows >= 16 || outputs <= 0 || inputs <= 0 || x.Length < rows * inputs || weight.Length < outputs * inputs || bias.Length < outputs
            || y.Length < rows * outputs)
            ThrowLinearDoesNotFit(rows, outputs, inputs);
        if (rows < 4 && outputs < 4)
        {
            // A few dot products (a streaming head): the ones MultiplyTransposedDots takes for them, with the bias added.
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < outputs; j++)
                    y[r * outputs + j] = TensorPrimitives.Dot(x.Slice(r * inputs, inputs), weight.Slice(j * inputs, inputs)) + bias[j];
            return;
        }
        MultiplyTransposedDots(x, inputs, weight, inputs, y, outputs, rows, outputs, inputs, accumulate: false);
        AddRowVector(y, outputs, rows, outputs, bias);
    }
}
