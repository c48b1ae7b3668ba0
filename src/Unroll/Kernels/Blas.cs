using System.ComponentModel;
using System.Numerics.Tensors;

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
    /// weight layout <c>[out, in]</c>: the forward product of a linear map.
    /// </summary>
    public static void MultiplyTransposed(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
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
