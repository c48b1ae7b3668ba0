using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unroll.Kernels;

// Products against B[k, n] (input gradients, the recurrent products over packed column panels) and their packing.
public static unsafe partial class Blas
{
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
            int done = n;
            for (; i + 4 <= m; i += 4)
                done = Block4(ref Unsafe.Add(ref a0, i * lda), lda, 1, ref b0, ldb, ref Unsafe.Add(ref c0, i * ldc), ldc, n, k, accumulate);
            if (done < n && i > 0) MultiplyTail(a, lda, b, ldb, c, ldc, i, n, k, done, accumulate);
        }
        for (; i < m; i++)
        {
            Span<float> target = c.Slice(i * ldc, n);
            if (!accumulate) target.Clear();
            MultiplyRow(a.Slice(i * lda, k), b, ldb, target, n, k);
        }
    }

    /// <summary>
    /// The columns of <see cref="Multiply"/> past <see cref="Block4"/>'s last whole block of two vectors, for the first
    /// <paramref name="m"/> rows (a multiple of four): B's last columns copied zero-padded to two vectors, 128 of its rows at a
    /// time, so that the same register blocks multiply them.
    /// </summary>
    private static void MultiplyTail(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, int done, bool accumulate)
    {
        const int Chunk = 128;
        int pad = 2 * Vector<float>.Count, tail = n - done;
        Span<float> bTail = stackalloc float[Chunk * pad], cTail = stackalloc float[4 * pad];
        ref float a0 = ref MemoryMarshal.GetReference(a);
        for (int p0 = 0; p0 < k; p0 += Chunk)
        {
            int rows = Math.Min(Chunk, k - p0);
            bTail.Clear();
            for (int p = 0; p < rows; p++) b.Slice((p0 + p) * ldb + done, tail).CopyTo(bTail.Slice(p * pad));
            bool add = accumulate || p0 > 0;
            for (int i = 0; i < m; i += 4)
            {
                Block4(ref Unsafe.Add(ref a0, i * lda + p0), lda, 1, ref MemoryMarshal.GetReference(bTail), pad, ref MemoryMarshal.GetReference(cTail), pad, pad, rows, accumulate: false);
                for (int r = 0; r < 4; r++)
                {
                    Span<float> target = c.Slice((i + r) * ldc + done, tail);
                    if (add) TensorPrimitives.Add(target, cTail.Slice(r * pad, tail), target);
                    else cTail.Slice(r * pad, tail).CopyTo(target);
                }
            }
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
}
