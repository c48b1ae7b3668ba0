using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unroll.Kernels;

/// <summary>
/// Matrix kernels over row-major float blocks with explicit row strides (<c>ld*</c>: floats from one
/// row to the next), so that generated code can address a column block of a wider buffer, such as
/// one direction's half of a bidirectional output. Every inner loop is a vectorised
/// <see cref="TensorPrimitives"/> call (Vector512 → 256 → 128 → scalar).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class Blas
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
    /// Runs <paramref name="body"/> in <paramref name="parts"/> parts on the workers, with the operands pinned for the
    /// time it takes (see <see cref="Product"/>).
    /// </summary>
    private static void RunParts(delegate*<Product*, int, int, void> body, int parts,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate, bool wide)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new Product
            {
                A = pa, B = pb, C = pc, LengthA = a.Length, LengthB = b.Length, LengthC = c.Length,
                Lda = lda, Ldb = ldb, Ldc = ldc, M = m, N = n, K = k, Accumulate = accumulate, Wide = wide,
            };
            Workers.Run(body, &job, parts);
        }
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

    /// <summary>
    /// <c>C[m, n] (+)= Σ_k A[m, k] · B[k, n]</c>: the input gradient of a linear map (<c>∂x = ∂y · W</c>).
    /// A block of four rows by two vectors of <c>C</c> stays in registers while <c>k</c> runs, so each
    /// row of <c>B</c> is read once for four rows of <c>A</c>.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (a.Length < (m - 1) * lda + k || b.Length < (k - 1) * ldb + n || c.Length < (m - 1) * ldc + n)
            throw new ArgumentException($"A [{m} x {k}] (stride {lda}), B [{k} x {n}] (stride {ldb}) or C [{m} x {n}] (stride {ldc}) does not fit its span.");
        int parts = m >= 8 ? Workers.Parts((long)m * n * k, (m + 3) / 4) : 1;
        if (parts > 1) RunParts(&MultiplyPart, parts, a, lda, b, ldb, c, ldc, m, n, k, accumulate, wide: false);
        else MultiplyRows(a, lda, b, ldb, c, ldc, m, n, k, accumulate);
    }

    /// <summary>A share of <see cref="Multiply"/>'s rows, in whole blocks of four.</summary>
    private static void MultiplyPart(Product* p, int part, int parts)
    {
        (int start, int rows) = Workers.Share(p->M, 4, part, parts);
        if (rows > 0) MultiplyRows(p->SpanA.Slice(start * p->Lda), p->Lda, p->SpanB, p->Ldb, p->SpanC.Slice(start * p->Ldc), p->Ldc, rows, p->N, p->K, p->Accumulate);
    }

    private static void MultiplyRows(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate)
    {
        int i = 0;
        if (k > 0 && n >= 2 * Vector<float>.Count)
        {
            ref float a0 = ref MemoryMarshal.GetReference(a);
            ref float b0 = ref MemoryMarshal.GetReference(b);
            ref float c0 = ref MemoryMarshal.GetReference(c);
            for (; i + 4 <= m; i += 4)
            {
                int done = Block4(ref Unsafe.Add(ref a0, i * lda), lda, 1, ref b0, ldb, ref Unsafe.Add(ref c0, i * ldc), ldc, n, k, accumulate);
                for (int r = 0; r < 4; r++)
                {
                    // The columns past the last whole block of two vectors.
                    for (int j = done; j < n; j++)
                    {
                        float sum = accumulate ? c[(i + r) * ldc + j] : 0f;
                        for (int p = 0; p < k; p++) sum += a[(i + r) * lda + p] * b[p * ldb + j];
                        c[(i + r) * ldc + j] = sum;
                    }
                }
            }
        }
        for (; i < m; i++)
        {
            Span<float> target = c.Slice(i * ldc, n);
            if (!accumulate) target.Clear();
            MultiplyRow(a.Slice(i * lda, k), b, ldb, target, n, k);
        }
    }

    /// <summary>
    /// One row of <see cref="Multiply"/>, accumulating: <c>c[j] += Σ_p x[p] · B[p, j]</c>. Columns go eight
    /// vectors at a time (independent sums, so the multiply-adds overlap), each row of <c>B</c> is read
    /// once, and <c>x[p]</c> is broadcast: the matrix-vector product of a streaming step over a
    /// transposed weight (<c>[in, out]</c>).
    /// </summary>
    public static void MultiplyRow(ReadOnlySpan<float> x, ReadOnlySpan<float> b, int ldb, Span<float> c, int n, int k)
    {
        if (n == 0 || k == 0) return;
        if (x.Length < k || b.Length < (k - 1) * ldb + n || c.Length < n)
            throw new ArgumentException($"x [{k}], B [{k} x {n}] (stride {ldb}) or c [{n}] does not fit its span.");
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 8 * Vector512<float>.Count <= n; j += 8 * Vector512<float>.Count) RowPanel512(ref x0, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref c0, j), k, 8);
            for (; j + 4 * Vector512<float>.Count <= n; j += 4 * Vector512<float>.Count) RowPanel512(ref x0, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref c0, j), k, 4);
            for (; j + Vector512<float>.Count <= n; j += Vector512<float>.Count) RowPanel512(ref x0, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref c0, j), k, 1);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            for (; j + 8 * Vector<float>.Count <= n; j += 8 * Vector<float>.Count) RowPanel(ref x0, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref c0, j), k, 8);
            for (; j + Vector<float>.Count <= n; j += Vector<float>.Count) RowPanel(ref x0, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref c0, j), k, 1);
        }
        for (; j < n; j++)
        {
            float sum = c[j];
            for (int p = 0; p < k; p++) sum += x[p] * b[p * ldb + j];
            c[j] = sum;
        }
    }

    /// <summary><c>c[0 … vectors·16) += Σ_p x[p] · B[p, 0 … vectors·16)</c> for <paramref name="vectors"/> 8, 4 or 1, with eight or four independent sums in registers.</summary>
    private static void RowPanel512(ref float x, ref float b, int ldb, ref float c, int k, int vectors)
    {
        const int W = 16;
        if (vectors == 8)
        {
            Vector512<float> s0 = Vector512.LoadUnsafe(ref c, 0 * W), s1 = Vector512.LoadUnsafe(ref c, 1 * W);
            Vector512<float> s2 = Vector512.LoadUnsafe(ref c, 2 * W), s3 = Vector512.LoadUnsafe(ref c, 3 * W);
            Vector512<float> s4 = Vector512.LoadUnsafe(ref c, 4 * W), s5 = Vector512.LoadUnsafe(ref c, 5 * W);
            Vector512<float> s6 = Vector512.LoadUnsafe(ref c, 6 * W), s7 = Vector512.LoadUnsafe(ref c, 7 * W);
            for (int p = 0; p < k; p++)
            {
                var xp = Vector512.Create(Unsafe.Add(ref x, p));
                ref float row = ref Unsafe.Add(ref b, p * ldb);
                s0 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 0 * W), s0);
                s1 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 1 * W), s1);
                s2 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 2 * W), s2);
                s3 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 3 * W), s3);
                s4 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 4 * W), s4);
                s5 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 5 * W), s5);
                s6 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 6 * W), s6);
                s7 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 7 * W), s7);
            }
            s0.StoreUnsafe(ref c, 0 * W); s1.StoreUnsafe(ref c, 1 * W); s2.StoreUnsafe(ref c, 2 * W); s3.StoreUnsafe(ref c, 3 * W);
            s4.StoreUnsafe(ref c, 4 * W); s5.StoreUnsafe(ref c, 5 * W); s6.StoreUnsafe(ref c, 6 * W); s7.StoreUnsafe(ref c, 7 * W);
        }
        else if (vectors == 4)
        {
            // Four columns of vectors; even and odd p in separate sums, so eight multiply-adds are in flight.
            Vector512<float> s0 = Vector512.LoadUnsafe(ref c, 0 * W), s1 = Vector512.LoadUnsafe(ref c, 1 * W);
            Vector512<float> s2 = Vector512.LoadUnsafe(ref c, 2 * W), s3 = Vector512.LoadUnsafe(ref c, 3 * W);
            Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default;
            int p = 0;
            for (; p + 2 <= k; p += 2)
            {
                var xp = Vector512.Create(Unsafe.Add(ref x, p));
                var xq = Vector512.Create(Unsafe.Add(ref x, p + 1));
                ref float row = ref Unsafe.Add(ref b, p * ldb);
                ref float next = ref Unsafe.Add(ref row, ldb);
                s0 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 0 * W), s0);
                s1 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 1 * W), s1);
                s2 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 2 * W), s2);
                s3 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 3 * W), s3);
                t0 = Avx512F.FusedMultiplyAdd(xq, Vector512.LoadUnsafe(ref next, 0 * W), t0);
                t1 = Avx512F.FusedMultiplyAdd(xq, Vector512.LoadUnsafe(ref next, 1 * W), t1);
                t2 = Avx512F.FusedMultiplyAdd(xq, Vector512.LoadUnsafe(ref next, 2 * W), t2);
                t3 = Avx512F.FusedMultiplyAdd(xq, Vector512.LoadUnsafe(ref next, 3 * W), t3);
            }
            if (p < k)
            {
                var xp = Vector512.Create(Unsafe.Add(ref x, p));
                ref float row = ref Unsafe.Add(ref b, p * ldb);
                s0 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 0 * W), s0);
                s1 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 1 * W), s1);
                s2 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 2 * W), s2);
                s3 = Avx512F.FusedMultiplyAdd(xp, Vector512.LoadUnsafe(ref row, 3 * W), s3);
            }
            (s0 + t0).StoreUnsafe(ref c, 0 * W); (s1 + t1).StoreUnsafe(ref c, 1 * W);
            (s2 + t2).StoreUnsafe(ref c, 2 * W); (s3 + t3).StoreUnsafe(ref c, 3 * W);
        }
        else
        {
            // One column of vectors; p in four interleaved sums.
            Vector512<float> s0 = Vector512.LoadUnsafe(ref c), s1 = default, s2 = default, s3 = default;
            int p = 0;
            for (; p + 4 <= k; p += 4)
            {
                ref float row = ref Unsafe.Add(ref b, p * ldb);
                s0 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, p)), Vector512.LoadUnsafe(ref row), s0);
                s1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, p + 1)), Vector512.LoadUnsafe(ref Unsafe.Add(ref row, ldb)), s1);
                s2 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, p + 2)), Vector512.LoadUnsafe(ref Unsafe.Add(ref row, 2 * ldb)), s2);
                s3 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, p + 3)), Vector512.LoadUnsafe(ref Unsafe.Add(ref row, 3 * ldb)), s3);
            }
            for (; p < k; p++) s0 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, p)), Vector512.LoadUnsafe(ref Unsafe.Add(ref b, p * ldb)), s0);
            ((s0 + s1) + (s2 + s3)).StoreUnsafe(ref c);
        }
    }

    /// <summary>As <see cref="RowPanel512"/> with <see cref="Vector{T}"/> (256 or 128 bits).</summary>
    private static void RowPanel(ref float x, ref float b, int ldb, ref float c, int k, int vectors)
    {
        int w = Vector<float>.Count;
        if (vectors == 8)
        {
            Vector<float> s0 = Load(ref c, 0 * w), s1 = Load(ref c, 1 * w), s2 = Load(ref c, 2 * w), s3 = Load(ref c, 3 * w);
            Vector<float> s4 = Load(ref c, 4 * w), s5 = Load(ref c, 5 * w), s6 = Load(ref c, 6 * w), s7 = Load(ref c, 7 * w);
            for (int p = 0; p < k; p++)
            {
                var xp = new Vector<float>(Unsafe.Add(ref x, p));
                ref float row = ref Unsafe.Add(ref b, p * ldb);
                s0 += xp * Load(ref row, 0 * w); s1 += xp * Load(ref row, 1 * w);
                s2 += xp * Load(ref row, 2 * w); s3 += xp * Load(ref row, 3 * w);
                s4 += xp * Load(ref row, 4 * w); s5 += xp * Load(ref row, 5 * w);
                s6 += xp * Load(ref row, 6 * w); s7 += xp * Load(ref row, 7 * w);
            }
            Store(s0, ref c, 0 * w); Store(s1, ref c, 1 * w); Store(s2, ref c, 2 * w); Store(s3, ref c, 3 * w);
            Store(s4, ref c, 4 * w); Store(s5, ref c, 5 * w); Store(s6, ref c, 6 * w); Store(s7, ref c, 7 * w);
        }
        else
        {
            Vector<float> s = Load(ref c, 0);
            for (int p = 0; p < k; p++) s += new Vector<float>(Unsafe.Add(ref x, p)) * Load(ref Unsafe.Add(ref b, p * ldb), 0);
            Store(s, ref c, 0);
        }
    }

    /// <summary>
    /// The width of the panel that starts <paramref name="remaining"/> columns before the end: 128, 64 or 16 floats
    /// (eight, four or one 512-bit vectors), then what is left.
    /// </summary>
    private static int PanelWidth(int remaining) => remaining >= 128 ? 128 : remaining >= 64 ? 64 : remaining >= 16 ? 16 : remaining;

    /// <summary>
    /// Packs a weight <c>W [n, k]</c> (PyTorch's <c>[out, in]</c>, row stride <paramref name="ldw"/>) for
    /// <see cref="MultiplyPacked"/>: column panels of <c>Wᵀ</c> one after the other, each <c>[k, width]</c> and
    /// contiguous, so a matrix-vector product streams the whole weight once, front to back.
    /// </summary>
    public static void PackPanels(ReadOnlySpan<float> w, int ldw, Span<float> packed, int n, int k)
    {
        if (n == 0 || k == 0) return;
        if (w.Length < (n - 1) * ldw + k || packed.Length < n * k)
            throw new ArgumentException($"W [{n} x {k}] (stride {ldw}) or its {n * k} packed values do not fit their spans.");
        for (int j0 = 0, width; j0 < n; j0 += width)
        {
            width = PanelWidth(n - j0);
            Transpose(w.Slice(j0 * ldw), ldw, packed.Slice(j0 * k, k * width), width, width, k);
        }
    }

    /// <summary>
    /// <c>C[m, n] (+)= Σ_p A[m, p] · W[n, p]</c> over a weight packed by <see cref="PackPanels"/>: for each row of
    /// <c>A</c>, every panel is read once with its input broadcast (the matrix-vector products of a step).
    /// </summary>
    public static void MultiplyPacked(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packed, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (a.Length < (m - 1) * lda + k || packed.Length < n * k || c.Length < (m - 1) * ldc + n)
            throw new ArgumentException($"A [{m} x {k}] (stride {lda}), the {n * k} packed weights or C [{m} x {n}] (stride {ldc}) does not fit its span.");
        // Split across threads by blocks of four rows, or, for fewer than eight rows, by whole panels of 128 columns.
        bool byColumns = m < 8;
        int parts = Workers.Parts((long)m * n * k, byColumns ? n / 128 : (m + 3) / 4, byColumns ? Workers.MemoryBound : Workers.ComputeBound);
        if (parts > 1) RunParts(&MultiplyPackedPart, parts, a, lda, packed, 0, c, ldc, m, n, k, accumulate, byColumns);
        else MultiplyPackedRows(a, lda, packed, c, ldc, m, n, k, accumulate);
    }

    /// <summary>A share of <see cref="MultiplyPacked"/>: whole blocks of four rows, or whole 128-column panels (<see cref="Product.Wide"/>).</summary>
    private static void MultiplyPackedPart(Product* p, int part, int parts)
    {
        if (p->Wide)
        {
            (int start, int columns) = Workers.Share(p->N, 128, part, parts);
            if (columns > 0) MultiplyPackedRows(p->SpanA, p->Lda, p->SpanB.Slice(start * p->K), p->SpanC.Slice(start), p->Ldc, p->M, columns, p->K, p->Accumulate);
        }
        else
        {
            (int start, int rows) = Workers.Share(p->M, 4, part, parts);
            if (rows > 0) MultiplyPackedRows(p->SpanA.Slice(start * p->Lda), p->Lda, p->SpanB, p->SpanC.Slice(start * p->Ldc), p->Ldc, rows, p->N, p->K, p->Accumulate);
        }
    }

    private static void MultiplyPackedRows(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packed, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        ref float w0 = ref MemoryMarshal.GetReference(packed);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && k > 0)
        {
            // Four rows at a time against each panel's 64-column halves; narrower panels go row by row.
            for (; i + 4 <= m; i += 4)
            {
                ref float x = ref Unsafe.AsRef(in a[i * lda]);
                ref float ci = ref c[i * ldc];
                for (int j0 = 0, width; j0 < n; j0 += width)
                {
                    width = PanelWidth(n - j0);
                    ref float panel = ref Unsafe.Add(ref w0, j0 * k);
                    if (width >= 64)
                    {
                        for (int h = 0; h < width; h += 64)
                            Tile4x64(ref x, lda, 1, ref Unsafe.Add(ref panel, h), width, ref Unsafe.Add(ref ci, j0 + h), ldc, k, accumulate);
                        continue;
                    }
                    for (int r = 0; r < 4; r++)
                    {
                        ref float cr = ref Unsafe.Add(ref ci, r * ldc + j0);
                        if (!accumulate) MemoryMarshal.CreateSpan(ref cr, width).Clear();
                        RowAgainstPanel(ref Unsafe.Add(ref x, r * lda), ref panel, width, ref cr, k);
                    }
                }
            }
        }
        for (; i < m; i++)
        {
            Span<float> target = c.Slice(i * ldc, n);
            if (!accumulate) target.Clear();
            if (k == 0) continue;
            ref float x = ref Unsafe.AsRef(in a[i * lda]);
            ref float c0 = ref MemoryMarshal.GetReference(target);
            for (int j0 = 0, width; j0 < n; j0 += width)
            {
                width = PanelWidth(n - j0);
                RowAgainstPanel(ref x, ref Unsafe.Add(ref w0, j0 * k), width, ref Unsafe.Add(ref c0, j0), k);
            }
        }
    }

    /// <summary><c>c[0 … width) += Σ_p x[p] · panel[p, 0 … width)</c>: one row against one packed panel, accumulating.</summary>
    private static void RowAgainstPanel(ref float x, ref float panel, int width, ref float c, int k)
    {
        int done = 0;
        if (Vector512.IsHardwareAccelerated && width >= 16)
        {
            RowPanel512(ref x, ref panel, width, ref c, k, width / 16);
            done = width;
        }
        else if (Vector.IsHardwareAccelerated)
        {
            int v = Vector<float>.Count;
            for (; done + 8 * v <= width; done += 8 * v) RowPanel(ref x, ref Unsafe.Add(ref panel, done), width, ref Unsafe.Add(ref c, done), k, 8);
            for (; done + v <= width; done += v) RowPanel(ref x, ref Unsafe.Add(ref panel, done), width, ref Unsafe.Add(ref c, done), k, 1);
        }
        for (int j = done; j < width; j++)
        {
            float sum = Unsafe.Add(ref c, j);
            for (int p = 0; p < k; p++) sum += Unsafe.Add(ref x, p) * Unsafe.Add(ref panel, p * width + j);
            Unsafe.Add(ref c, j) = sum;
        }
    }

    /// <summary>
    /// <c>destination[c, r] = source[r, c]</c>: a <c>[rows, columns]</c> block (row stride <paramref name="lds"/>) transposed,
    /// 8 × 8 tiles at a time in AVX registers (eight loads, 24 shuffles, eight stores), the edges element by element.
    /// </summary>
    public static void Transpose(ReadOnlySpan<float> source, int lds, Span<float> destination, int ldd, int rows, int columns)
    {
        if (rows == 0 || columns == 0) return;
        if (source.Length < (rows - 1) * lds + columns || destination.Length < (columns - 1) * ldd + rows)
            throw new ArgumentException($"A [{rows} x {columns}] block (stride {lds}) or its transpose (stride {ldd}) does not fit its span.");
        ref float s0 = ref MemoryMarshal.GetReference(source);
        ref float d0 = ref MemoryMarshal.GetReference(destination);
        int r8 = 0, c8 = 0;
        if (Avx.IsSupported)
        {
            r8 = rows & ~7;
            c8 = columns & ~7;
            for (int r = 0; r < r8; r += 8)
                for (int c = 0; c < c8; c += 8)
                    Transpose8x8(ref Unsafe.Add(ref s0, r * lds + c), lds, ref Unsafe.Add(ref d0, c * ldd + r), ldd);
        }
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref s0, r * lds);
            for (int c = r < r8 ? c8 : 0; c < columns; c++) Unsafe.Add(ref d0, c * ldd + r) = Unsafe.Add(ref row, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float s, int lds, ref float d, int ldd)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref s), r1 = Vector256.LoadUnsafe(ref s, (nuint)lds);
        Vector256<float> r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * lds)), r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * lds));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * lds)), r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * lds));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * lds)), r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * lds));
        // Interleave pairs of rows, then pairs of pairs; the last step swaps 128-bit halves.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref d);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref d, (nuint)ldd);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref d, (nuint)(2 * ldd));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref d, (nuint)(3 * ldd));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref d, (nuint)(4 * ldd));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref d, (nuint)(5 * ldd));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref d, (nuint)(6 * ldd));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref d, (nuint)(7 * ldd));
    }

    /// <summary>
    /// <c>C[n, k] += Σ_m A[m, n] · B[m, k]</c>, that is <c>C += Aᵀ·B</c>: the weight gradient of a
    /// linear map over every row at once (<c>∂W += ∂yᵀ · x</c>). Four rows of <c>C</c> by two vectors
    /// stay in registers while <c>m</c> runs.
    /// </summary>
    public static void MultiplyTransposedAAdd(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k)
    {
        if (m == 0 || n == 0 || k == 0) return;
        if (a.Length < (m - 1) * lda + n || b.Length < (m - 1) * ldb + k || c.Length < (n - 1) * ldc + k)
            throw new ArgumentException($"A [{m} x {n}] (stride {lda}), B [{m} x {k}] (stride {ldb}) or C [{n} x {k}] (stride {ldc}) does not fit its span.");
        // Split across threads by blocks of four rows of C: each thread sums over all of m for its rows.
        int parts = Workers.Parts((long)m * n * k, (n + 3) / 4);
        if (parts > 1) RunParts(&MultiplyTransposedAAddPart, parts, a, lda, b, ldb, c, ldc, m, n, k, accumulate: true, wide: false);
        else MultiplyTransposedAAddRows(a, lda, b, ldb, c, ldc, m, n, k);
    }

    /// <summary>A share of <see cref="MultiplyTransposedAAdd"/>'s rows of <c>C</c> (columns of <c>A</c>), in whole blocks of four.</summary>
    private static void MultiplyTransposedAAddPart(Product* p, int part, int parts)
    {
        (int start, int rows) = Workers.Share(p->N, 4, part, parts);
        if (rows > 0) MultiplyTransposedAAddRows(p->SpanA.Slice(start), p->Lda, p->SpanB, p->Ldb, p->SpanC.Slice(start * p->Ldc), p->Ldc, p->M, rows, p->K);
    }

    private static void MultiplyTransposedAAddRows(
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k)
    {
        int j = 0;
        if (k >= 2 * Vector<float>.Count)
        {
            ref float a0 = ref MemoryMarshal.GetReference(a);
            ref float b0 = ref MemoryMarshal.GetReference(b);
            ref float c0 = ref MemoryMarshal.GetReference(c);
            // The sum over m runs in chunks, so that the rows of A and B a chunk reads stay in cache while every block of C takes them.
            const int Chunk = 64;
            int n4 = n & ~3, done = 0;
            for (int i0 = 0; i0 < m; i0 += Chunk)
            {
                int rows = Math.Min(Chunk, m - i0);
                ref float aChunk = ref Unsafe.Add(ref a0, i0 * lda);
                ref float bChunk = ref Unsafe.Add(ref b0, i0 * ldb);
                // Row r of a block of C reads column j + r of A: element stride lda along m, 1 across r.
                for (int jb = 0; jb < n4; jb += 4)
                    done = Block4(ref Unsafe.Add(ref aChunk, jb), 1, lda, ref bChunk, ldb, ref Unsafe.Add(ref c0, jb * ldc), ldc, k, rows, accumulate: true);
            }
            for (; j + 4 <= n; j += 4)
            {
                for (int r = 0; r < 4; r++)
                {
                    for (int p = done; p < k; p++)
                    {
                        float sum = c[(j + r) * ldc + p];
                        for (int i = 0; i < m; i++) sum += a[i * lda + j + r] * b[i * ldb + p];
                        c[(j + r) * ldc + p] = sum;
                    }
                }
            }
        }
        for (; j < n; j++)
        {
            Span<float> target = c.Slice(j * ldc, k);
            for (int i = 0; i < m; i++)
            {
                TensorPrimitives.MultiplyAdd(b.Slice(i * ldb, k), a[i * lda + j], target, target);
            }
        }
    }

    /// <summary>
    /// The register block of <see cref="Multiply"/> and <see cref="MultiplyTransposedAAdd"/>: for four
    /// rows r of <c>C</c> and columns in steps of two vectors, <c>C[r, :] (+)= Σ_p x(r, p) · B[p, :]</c>,
    /// where <c>x(r, p)</c> is at <c>x + r·rowStride + p·innerStride</c>. Returns how many columns it did
    /// (a multiple of two vectors); the caller finishes the rest.
    /// </summary>
    private static int Block4(ref float x, int rowStride, int innerStride, ref float b, int ldb, ref float c, int ldc,
        int columns, int inner, bool accumulate)
    {
        int width = Vector<float>.Count;
        int j = 0;
        if (Vector512.IsHardwareAccelerated) j = Block4x512(ref x, rowStride, innerStride, ref b, ldb, ref c, ldc, columns, inner, accumulate);
        for (; j + 2 * width <= columns; j += 2 * width)
        {
            ref float c0 = ref Unsafe.Add(ref c, j);
            ref float c1 = ref Unsafe.Add(ref c0, ldc);
            ref float c2 = ref Unsafe.Add(ref c1, ldc);
            ref float c3 = ref Unsafe.Add(ref c2, ldc);
            Vector<float> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector<float> s20 = default, s21 = default, s30 = default, s31 = default;
            if (accumulate)
            {
                s00 = Load(ref c0, 0); s01 = Load(ref c0, width);
                s10 = Load(ref c1, 0); s11 = Load(ref c1, width);
                s20 = Load(ref c2, 0); s21 = Load(ref c2, width);
                s30 = Load(ref c3, 0); s31 = Load(ref c3, width);
            }
            ref float bRow = ref Unsafe.Add(ref b, j);
            ref float xp = ref x;
            for (int p = 0; p < inner; p++)
            {
                Vector<float> b0 = Load(ref bRow, 0), b1 = Load(ref bRow, width);
                var x0 = new Vector<float>(xp);
                var x1 = new Vector<float>(Unsafe.Add(ref xp, rowStride));
                var x2 = new Vector<float>(Unsafe.Add(ref xp, 2 * rowStride));
                var x3 = new Vector<float>(Unsafe.Add(ref xp, 3 * rowStride));
                s00 += x0 * b0; s01 += x0 * b1;
                s10 += x1 * b0; s11 += x1 * b1;
                s20 += x2 * b0; s21 += x2 * b1;
                s30 += x3 * b0; s31 += x3 * b1;
                bRow = ref Unsafe.Add(ref bRow, ldb);
                xp = ref Unsafe.Add(ref xp, innerStride);
            }
            Store(s00, ref c0, 0); Store(s01, ref c0, width);
            Store(s10, ref c1, 0); Store(s11, ref c1, width);
            Store(s20, ref c2, 0); Store(s21, ref c2, width);
            Store(s30, ref c3, 0); Store(s31, ref c3, width);
        }
        return j;
    }

    /// <summary><see cref="Block4"/> with 512-bit vectors: four rows by two vectors of 16, fused multiply-adds.</summary>
    private static int Block4x512(ref float x, int rowStride, int innerStride, ref float b, int ldb, ref float c, int ldc,
        int columns, int inner, bool accumulate)
    {
        const int W = 16;
        int j = 0;
        for (; j + 4 * W <= columns; j += 4 * W)
            Tile4x64(ref x, rowStride, innerStride, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref c, j), ldc, inner, accumulate);
        for (; j + 2 * W <= columns; j += 2 * W)
        {
            ref float c0 = ref Unsafe.Add(ref c, j);
            ref float c1 = ref Unsafe.Add(ref c0, ldc);
            ref float c2 = ref Unsafe.Add(ref c1, ldc);
            ref float c3 = ref Unsafe.Add(ref c2, ldc);
            Vector512<float> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector512<float> s20 = default, s21 = default, s30 = default, s31 = default;
            if (accumulate)
            {
                s00 = Vector512.LoadUnsafe(ref c0); s01 = Vector512.LoadUnsafe(ref c0, W);
                s10 = Vector512.LoadUnsafe(ref c1); s11 = Vector512.LoadUnsafe(ref c1, W);
                s20 = Vector512.LoadUnsafe(ref c2); s21 = Vector512.LoadUnsafe(ref c2, W);
                s30 = Vector512.LoadUnsafe(ref c3); s31 = Vector512.LoadUnsafe(ref c3, W);
            }
            ref float bRow = ref Unsafe.Add(ref b, j);
            ref float xp = ref x;
            for (int p = 0; p < inner; p++)
            {
                Vector512<float> b0 = Vector512.LoadUnsafe(ref bRow), b1 = Vector512.LoadUnsafe(ref bRow, W);
                var x0 = Vector512.Create(xp);
                var x1 = Vector512.Create(Unsafe.Add(ref xp, rowStride));
                var x2 = Vector512.Create(Unsafe.Add(ref xp, 2 * rowStride));
                var x3 = Vector512.Create(Unsafe.Add(ref xp, 3 * rowStride));
                s00 = Avx512F.FusedMultiplyAdd(x0, b0, s00); s01 = Avx512F.FusedMultiplyAdd(x0, b1, s01);
                s10 = Avx512F.FusedMultiplyAdd(x1, b0, s10); s11 = Avx512F.FusedMultiplyAdd(x1, b1, s11);
                s20 = Avx512F.FusedMultiplyAdd(x2, b0, s20); s21 = Avx512F.FusedMultiplyAdd(x2, b1, s21);
                s30 = Avx512F.FusedMultiplyAdd(x3, b0, s30); s31 = Avx512F.FusedMultiplyAdd(x3, b1, s31);
                bRow = ref Unsafe.Add(ref bRow, ldb);
                xp = ref Unsafe.Add(ref xp, innerStride);
            }
            s00.StoreUnsafe(ref c0); s01.StoreUnsafe(ref c0, W);
            s10.StoreUnsafe(ref c1); s11.StoreUnsafe(ref c1, W);
            s20.StoreUnsafe(ref c2); s21.StoreUnsafe(ref c2, W);
            s30.StoreUnsafe(ref c3); s31.StoreUnsafe(ref c3, W);
        }
        return j;
    }

    /// <summary>
    /// The widest register block: four rows by four 512-bit vectors of <c>C</c> (16 sums, 64 columns),
    /// <c>C[r, 0 … 64) (+)= Σ_p x(r, p) · B[p, 0 … 64)</c> with <c>x(r, p)</c> at <c>x + r·rowStride + p·innerStride</c>.
    /// Each step of <c>p</c> loads four vectors of <c>B</c> and four broadcasts for sixteen fused multiply-adds.
    /// </summary>
    private static void Tile4x64(ref float x, int rowStride, int innerStride, ref float b, int ldb, ref float c, int ldc, int inner, bool accumulate)
    {
        const int W = 16;
        ref float c0 = ref c;
        ref float c1 = ref Unsafe.Add(ref c0, ldc);
        ref float c2 = ref Unsafe.Add(ref c1, ldc);
        ref float c3 = ref Unsafe.Add(ref c2, ldc);
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        if (accumulate)
        {
            s00 = Vector512.LoadUnsafe(ref c0); s01 = Vector512.LoadUnsafe(ref c0, W); s02 = Vector512.LoadUnsafe(ref c0, 2 * W); s03 = Vector512.LoadUnsafe(ref c0, 3 * W);
            s10 = Vector512.LoadUnsafe(ref c1); s11 = Vector512.LoadUnsafe(ref c1, W); s12 = Vector512.LoadUnsafe(ref c1, 2 * W); s13 = Vector512.LoadUnsafe(ref c1, 3 * W);
            s20 = Vector512.LoadUnsafe(ref c2); s21 = Vector512.LoadUnsafe(ref c2, W); s22 = Vector512.LoadUnsafe(ref c2, 2 * W); s23 = Vector512.LoadUnsafe(ref c2, 3 * W);
            s30 = Vector512.LoadUnsafe(ref c3); s31 = Vector512.LoadUnsafe(ref c3, W); s32 = Vector512.LoadUnsafe(ref c3, 2 * W); s33 = Vector512.LoadUnsafe(ref c3, 3 * W);
        }
        ref float bRow = ref b;
        ref float xp = ref x;
        for (int p = 0; p < inner; p++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref bRow), b1 = Vector512.LoadUnsafe(ref bRow, W);
            Vector512<float> b2 = Vector512.LoadUnsafe(ref bRow, 2 * W), b3 = Vector512.LoadUnsafe(ref bRow, 3 * W);
            var x0 = Vector512.Create(xp);
            s00 = Avx512F.FusedMultiplyAdd(x0, b0, s00); s01 = Avx512F.FusedMultiplyAdd(x0, b1, s01);
            s02 = Avx512F.FusedMultiplyAdd(x0, b2, s02); s03 = Avx512F.FusedMultiplyAdd(x0, b3, s03);
            var x1 = Vector512.Create(Unsafe.Add(ref xp, rowStride));
            s10 = Avx512F.FusedMultiplyAdd(x1, b0, s10); s11 = Avx512F.FusedMultiplyAdd(x1, b1, s11);
            s12 = Avx512F.FusedMultiplyAdd(x1, b2, s12); s13 = Avx512F.FusedMultiplyAdd(x1, b3, s13);
            var x2 = Vector512.Create(Unsafe.Add(ref xp, 2 * rowStride));
            s20 = Avx512F.FusedMultiplyAdd(x2, b0, s20); s21 = Avx512F.FusedMultiplyAdd(x2, b1, s21);
            s22 = Avx512F.FusedMultiplyAdd(x2, b2, s22); s23 = Avx512F.FusedMultiplyAdd(x2, b3, s23);
            var x3 = Vector512.Create(Unsafe.Add(ref xp, 3 * rowStride));
            s30 = Avx512F.FusedMultiplyAdd(x3, b0, s30); s31 = Avx512F.FusedMultiplyAdd(x3, b1, s31);
            s32 = Avx512F.FusedMultiplyAdd(x3, b2, s32); s33 = Avx512F.FusedMultiplyAdd(x3, b3, s33);
            bRow = ref Unsafe.Add(ref bRow, ldb);
            xp = ref Unsafe.Add(ref xp, innerStride);
        }
        s00.StoreUnsafe(ref c0); s01.StoreUnsafe(ref c0, W); s02.StoreUnsafe(ref c0, 2 * W); s03.StoreUnsafe(ref c0, 3 * W);
        s10.StoreUnsafe(ref c1); s11.StoreUnsafe(ref c1, W); s12.StoreUnsafe(ref c1, 2 * W); s13.StoreUnsafe(ref c1, 3 * W);
        s20.StoreUnsafe(ref c2); s21.StoreUnsafe(ref c2, W); s22.StoreUnsafe(ref c2, 2 * W); s23.StoreUnsafe(ref c2, 3 * W);
        s30.StoreUnsafe(ref c3); s31.StoreUnsafe(ref c3, W); s32.StoreUnsafe(ref c3, 2 * W); s33.StoreUnsafe(ref c3, 3 * W);
    }

    private static Vector<float> Load(ref float source, int offset) =>
        Unsafe.ReadUnaligned<Vector<float>>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref source, offset)));

    private static void Store(Vector<float> value, ref float destination, int offset) =>
        Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref destination, offset)), value);

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

    /// <summary>
    /// Reorders the rows of <paramref name="block"/> (<c>[rows, width]</c>) in place: row r becomes the
    /// old row <c>sources[r]</c>. <paramref name="scratch"/> holds a copy of the block meanwhile.
    /// </summary>
    public static void GatherRows(Span<float> block, ReadOnlySpan<int> sources, int width, Span<float> scratch)
    {
        block.CopyTo(scratch);
        for (int r = 0; r < sources.Length; r++)
        {
            scratch.Slice(sources[r] * width, width).CopyTo(block.Slice(r * width, width));
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
