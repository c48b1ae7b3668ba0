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
public static unsafe partial class Blas
{
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

    private static Vector<float> Load(ref float source, int offset) =>
        Unsafe.ReadUnaligned<Vector<float>>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref source, offset)));

    private static void Store(Vector<float> value, ref float destination, int offset) =>
        Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref destination, offset)), value);
}
