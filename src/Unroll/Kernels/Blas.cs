using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unroll.Kernels;

/// <summary>
/// Matrix kernels over row-major float blocks with explicit row strides (<c>ld*</c>: floats from one
/// row to the next), so that generated code can address a column block of a wider buffer, such as
/// one direction's half of a bidirectional output. Every inner loop is a vectorised
/// <see cref="TensorPrimitives"/> call (Vector512 → 256 → 128 → scalar).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Blas
{
    /// <summary>
    /// <c>C[m, n] (+)= Σ_k A[m, k] · B[n, k]</c>, that is <c>C = A·Bᵀ</c> with <c>B</c> in PyTorch's
    /// weight layout <c>[out, in]</c>: the forward product of a linear map. Rows of <c>A</c> go four at a
    /// time, so each row of <c>B</c> (a weight row) is read once for four rows of the batch.
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
        for (; i < m; i++)
        {
            ReadOnlySpan<float> row = a.Slice(i * lda, k);
            Span<float> target = c.Slice(i * ldc, n);
            for (int j = 0; j < n; j++)
            {
                float dot = TensorPrimitives.Dot(row, b.Slice(j * ldb, k));
                target[j] = accumulate ? target[j] + dot : dot;
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

    /// <summary>
    /// <c>C[m, n] (+)= Σ_k A[m, k] · B[k, n]</c>: the input gradient of a linear map
    /// (<c>∂x = ∂y · W</c>).
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> row = a.Slice(i * lda, k);
            Span<float> target = c.Slice(i * ldc, n);
            if (!accumulate) target.Clear();
            for (int p = 0; p < k; p++)
            {
                TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), row[p], target, target);
            }
        }
    }

    /// <summary>
    /// <c>C[n, k] += Σ_m A[m, n] · B[m, k]</c>, that is <c>C += Aᵀ·B</c>: the weight gradient of a
    /// linear map over every row at once (<c>∂W += ∂yᵀ · x</c>).
    /// </summary>
    public static void MultiplyTransposedAAdd(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> gradRow = a.Slice(i * lda, n);
            ReadOnlySpan<float> inputRow = b.Slice(i * ldb, k);
            for (int j = 0; j < n; j++)
            {
                float g = gradRow[j];
                if (g == 0f) continue;
                Span<float> target = c.Slice(j * ldc, k);
                TensorPrimitives.MultiplyAdd(inputRow, g, target, target);
            }
        }
    }

    /// <summary><c>C[m, n] += bias[n]</c> for every row.</summary>
    public static void AddRowVector(Span<float> c, int ldc, int m, int n, ReadOnlySpan<float> bias)
    {
        bias = bias.Slice(0, n);
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary><c>sum[n] += Σ_m A[m, n]</c>: the gradient of a bias.</summary>
    public static void SumRowsAdd(ReadOnlySpan<float> a, int lda, int m, int n, Span<float> sum)
    {
        sum = sum.Slice(0, n);
        for (int i = 0; i < m; i++)
        {
            TensorPrimitives.Add(sum, a.Slice(i * lda, n), sum);
        }
    }

    /// <summary>Copies <paramref name="m"/> rows of <paramref name="n"/> floats between strided blocks.</summary>
    public static void CopyRows(ReadOnlySpan<float> source, int lds, Span<float> destination, int ldd, int m, int n)
    {
        for (int i = 0; i < m; i++)
        {
            source.Slice(i * lds, n).CopyTo(destination.Slice(i * ldd, n));
        }
    }

    /// <summary>Adds <paramref name="m"/> rows of <paramref name="n"/> floats from one strided block into another.</summary>
    public static void AddRows(ReadOnlySpan<float> source, int lds, Span<float> destination, int ldd, int m, int n)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> target = destination.Slice(i * ldd, n);
            TensorPrimitives.Add(target, source.Slice(i * lds, n), target);
        }
    }

    /// <summary>
    /// Reorders <c>[outer, inner, features]</c> into <c>[inner, outer, features]</c>: batch-first
    /// user data into the time-major layout the kernels use, and back.
    /// </summary>
    public static void SwapLeadingAxes(ReadOnlySpan<float> source, Span<float> destination, int outer, int inner, int features)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                source.Slice((o * inner + i) * features, features).CopyTo(destination.Slice((i * outer + o) * features, features));
            }
        }
    }
}
