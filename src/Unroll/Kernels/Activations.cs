using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unroll.Kernels;

/// <summary>
/// σ and tanh on whole vectors, inlined into the fused cell loops (one pass over a gate block instead of
/// one library call per activation). <c>exp</c> is Cephes' <c>expf</c>: range reduction by ln 2 and a
/// degree-5 polynomial, within 2 ulp; σ(x) = 1 / (1 + e^−x) and tanh(x) = 2σ(2x) − 1, whose absolute
/// error stays below 2·10⁻⁷. Each comes for Vector512, for <see cref="Vector{T}"/> (256 or 128 bits)
/// and for scalars, so every instruction set gives the same results up to rounding.
/// </summary>
internal static class Activations
{
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private const float Low = -87.3f, High = 88.3f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(Low)), Vector512.Create(High));
        if (Avx512F.IsSupported)
        {
            // The same steps with fused multiply-adds, n rounded to nearest in one instruction and 2ⁿ applied by vscalefps:
            // a shorter dependency chain, which is what a step of a small layer waits on.
            Vector512<float> m = Avx512F.RoundScale(x * Vector512.Create(Log2E), 0);
            Vector512<float> q = Avx512F.FusedMultiplyAddNegated(m, Vector512.Create(Ln2Hi), x);
            q = Avx512F.FusedMultiplyAddNegated(m, Vector512.Create(Ln2Lo), q);
            Vector512<float> p = Avx512F.FusedMultiplyAdd(Vector512.Create(P0), q, Vector512.Create(P1));
            p = Avx512F.FusedMultiplyAdd(p, q, Vector512.Create(P2));
            p = Avx512F.FusedMultiplyAdd(p, q, Vector512.Create(P3));
            p = Avx512F.FusedMultiplyAdd(p, q, Vector512.Create(P4));
            p = Avx512F.FusedMultiplyAdd(p, q, Vector512.Create(P5));
            p = Avx512F.FusedMultiplyAdd(p, q * q, q + Vector512<float>.One);
            return Avx512F.Scale(p, m);
        }
        Vector512<float> n = Vector512.Floor(x * Vector512.Create(Log2E) + Vector512.Create(0.5f));
        Vector512<float> r = x - n * Vector512.Create(Ln2Hi) - n * Vector512.Create(Ln2Lo);
        Vector512<float> y = Vector512.Create(P0) * r + Vector512.Create(P1);
        y = y * r + Vector512.Create(P2);
        y = y * r + Vector512.Create(P3);
        y = y * r + Vector512.Create(P4);
        y = y * r + Vector512.Create(P5);
        y = y * (r * r) + r + Vector512<float>.One;
        Vector512<int> scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23);
        return y * scale.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x) => Vector512.Create(2f) * Sigmoid(x + x) - Vector512<float>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        x = Vector.Min(Vector.Max(x, new Vector<float>(Low)), new Vector<float>(High));
        Vector<float> n = Vector.Floor(x * new Vector<float>(Log2E) + new Vector<float>(0.5f));
        Vector<float> r = x - n * new Vector<float>(Ln2Hi) - n * new Vector<float>(Ln2Lo);
        Vector<float> y = new Vector<float>(P0) * r + new Vector<float>(P1);
        y = y * r + new Vector<float>(P2);
        y = y * r + new Vector<float>(P3);
        y = y * r + new Vector<float>(P4);
        y = y * r + new Vector<float>(P5);
        y = y * (r * r) + r + Vector<float>.One;
        Vector<int> scale = Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23);
        return y * Vector.AsVectorSingle(scale);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Tanh(Vector<float> x) => new Vector<float>(2f) * Sigmoid(x + x) - Vector<float>.One;

    public static float Exp(float x)
    {
        x = Math.Clamp(x, Low, High);
        float n = MathF.Floor(x * Log2E + 0.5f);
        float r = x - n * Ln2Hi - n * Ln2Lo;
        float y = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
        y = y * (r * r) + r + 1f;
        return y * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    public static float Sigmoid(float x) => 1f / (1f + Exp(-x));

    public static float Tanh(float x) => 2f * Sigmoid(x + x) - 1f;
}
