using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Unroll.Kernels;

/// <summary>
/// One vector width for kernels written once over every width, as TensorPrimitives writes its operators: a kernel is a
/// generic method over <typeparamref name="TVector"/> and its width struct, and the JIT compiles one specialised copy
/// per width it is called with (<see cref="W512"/>, <see cref="W256"/>, <see cref="W128"/>, and <see cref="W1"/>,
/// whose "vector" is a single float, for machines without SIMD). <see cref="Widths.Best"/> says which one the hardware runs.
/// </summary>
internal interface IWidth<TVector> where TVector : struct
{
    /// <summary>Floats in one vector.</summary>
    static abstract int Count { get; }

    static abstract TVector Load(ref float source, nuint offset);

    static abstract void Store(TVector value, ref float destination, nuint offset);

    static abstract TVector Broadcast(float value);

    static abstract TVector Add(TVector a, TVector b);

    static abstract TVector Subtract(TVector a, TVector b);

    static abstract TVector Multiply(TVector a, TVector b);

    static abstract TVector Divide(TVector a, TVector b);

    /// <summary>
    /// <paramref name="x"/> limited to [<paramref name="low"/>, <paramref name="high"/>], a NaN staying NaN: one
    /// <c>max</c> and one <c>min</c> instruction with the bound first (x86's return their second operand when either is
    /// NaN; ARM's propagate NaN), not the IEEE <c>Vector.Min</c>/<c>Max</c>, which cost three instructions each on x86.
    /// </summary>
    static abstract TVector Clamp(TVector x, float low, float high);

    /// <summary><c>a·b + c</c>, rounded once where the hardware fuses it (FMA, AVX-512, ARM64), twice where it cannot (baseline x86-64).</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary><c>c − a·b</c>, fused as <see cref="MultiplyAdd"/> is.</summary>
    static abstract TVector MultiplySubtract(TVector a, TVector b, TVector c);

    /// <summary>
    /// <c>2ⁿ</c> for <paramref name="biased"/> <c>= n + 1.5·2²³</c> (a float whose low mantissa bits hold the integer
    /// <c>n</c>, −126 ≤ n ≤ 127): the exponent field built by integer arithmetic on the bits.
    /// </summary>
    static abstract TVector PowerOfTwo(TVector biased);

    /// <summary><see cref="Count"/> unsigned 16-bit values, each zero-extended into the low half of a 32-bit lane (returned as its bits).</summary>
    static abstract TVector WidenUInt16(ref ushort source);

    /// <summary>
    /// <paramref name="sums"/> (32-bit integer lanes, as their bits) plus, in every lane, the four products of the lane's
    /// unsigned bytes of <paramref name="activations"/> (each below 128) and its signed bytes of <paramref name="weights"/>
    /// (each −127 to 127): <c>vpmaddubsw</c> then <c>vpmaddwd</c> by ones on x86, whose 16-bit pair sums cannot
    /// saturate with these ranges; widening multiplies elsewhere. Exact.
    /// </summary>
    static abstract TVector DotBytes(TVector sums, TVector activations, TVector weights);

    /// <summary>32-bit integer lanes (as their bits) converted to float.</summary>
    static abstract TVector ConvertInt32(TVector bits);

    /// <summary>The low byte of every 32-bit lane, <see cref="Count"/> bytes to <paramref name="destination"/>.</summary>
    static abstract void StoreLowBytes(TVector value, ref byte destination);

    /// <summary>Every lane's bits shifted left by <paramref name="count"/>.</summary>
    static abstract TVector ShiftLeftBits(TVector value, int count);

    /// <summary>Every lane's bits shifted right by <paramref name="count"/>, zeros coming in.</summary>
    static abstract TVector ShiftRightBits(TVector value, int count);

    /// <summary>Every lane's bits and <paramref name="mask"/>.</summary>
    static abstract TVector AndBits(TVector value, uint mask);

    static abstract TVector OrBits(TVector a, TVector b);

    /// <summary>
    /// A mask for <see cref="Select"/>: every bit set in the lanes where <c>a &lt; b</c>, none elsewhere (a NaN on
    /// either side compares false).
    /// </summary>
    static abstract TVector LessThan(TVector a, TVector b);

    /// <summary>A mask for <see cref="Select"/>: every bit set in the lanes where <c>a ≤ b</c>, none elsewhere (false with a NaN).</summary>
    static abstract TVector LessThanOrEqual(TVector a, TVector b);

    /// <summary>
    /// The lanes of <paramref name="whenTrue"/> where <paramref name="mask"/> (a comparison's result) is set and those of
    /// <paramref name="whenFalse"/> elsewhere, bit for bit: a blend, or and/and-not/or where there is none.
    /// </summary>
    static abstract TVector Select(TVector mask, TVector whenTrue, TVector whenFalse);

    /// <summary>Asks for the cache line at <paramref name="address"/> ahead of its use (nothing where there is no such instruction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Prefetch(ref byte address)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref address));
    }
}

/// <summary>Which width the kernels run on this machine.</summary>
internal static class Widths
{
    /// <summary>Floats per vector of the widest accelerated width: 16, 8, 4, or 1 without SIMD.</summary>
    public static int Best =>
        Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1;
}

/// <summary>512-bit vectors (AVX-512), fused multiply-adds always.</summary>
internal readonly struct W512 : IWidth<Vector512<float>>
{
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Clamp(Vector512<float> x, float low, float high) => Avx512F.Min(Vector512.Create(high), Avx512F.Max(Vector512.Create(low), x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplySubtract(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAddNegated(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> PowerOfTwo(Vector512<float> biased) => Vector512.ShiftLeft(biased.AsInt32() + Vector512.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> WidenUInt16(ref ushort source) => Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref source)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> DotBytes(Vector512<float> sums, Vector512<float> activations, Vector512<float> weights) =>
        (sums.AsInt32() + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(activations.AsByte(), weights.AsSByte()), Vector512<short>.One)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ConvertInt32(Vector512<float> bits) => Vector512.ConvertToSingle(bits.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreLowBytes(Vector512<float> value, ref byte destination) => Avx512F.ConvertToVector128Byte(value.AsUInt32()).StoreUnsafe(ref destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ShiftLeftBits(Vector512<float> value, int count) => Vector512.ShiftLeft(value.AsUInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ShiftRightBits(Vector512<float> value, int count) => Vector512.ShiftRightLogical(value.AsUInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AndBits(Vector512<float> value, uint mask) => (value.AsUInt32() & Vector512.Create(mask)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> OrBits(Vector512<float> a, Vector512<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.LessThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> whenTrue, Vector512<float> whenFalse) => Vector512.ConditionalSelect(mask, whenTrue, whenFalse);
}

/// <summary>256-bit vectors (AVX2), fused multiply-adds where FMA is present (every AVX2 CPU but a few).</summary>
internal readonly struct W256 : IWidth<Vector256<float>>
{
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Clamp(Vector256<float> x, float low, float high) => Avx.Min(Vector256.Create(high), Avx.Max(Vector256.Create(low), x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplySubtract(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.IsSupported ? Fma.MultiplyAddNegated(a, b, c) : c - a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> PowerOfTwo(Vector256<float> biased) => Vector256.ShiftLeft(biased.AsInt32() + Vector256.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> WidenUInt16(ref ushort source) => Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> DotBytes(Vector256<float> sums, Vector256<float> activations, Vector256<float> weights) => Avx2.IsSupported
        ? (sums.AsInt32() + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(activations.AsByte(), weights.AsSByte()), Vector256<short>.One)).AsSingle()
        : Vector256.Create(W128.DotBytes(sums.GetLower(), activations.GetLower(), weights.GetLower()), W128.DotBytes(sums.GetUpper(), activations.GetUpper(), weights.GetUpper()));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ConvertInt32(Vector256<float> bits) => Vector256.ConvertToSingle(bits.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowBytes(Vector256<float> value, ref byte destination) =>
        Unsafe.WriteUnaligned(ref destination, Vector128.Narrow(Vector128.Narrow(value.GetLower().AsUInt32(), value.GetUpper().AsUInt32()), Vector128<ushort>.Zero).AsUInt64().ToScalar());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftLeftBits(Vector256<float> value, int count) => Vector256.ShiftLeft(value.AsUInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftRightBits(Vector256<float> value, int count) => Vector256.ShiftRightLogical(value.AsUInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AndBits(Vector256<float> value, uint mask) => (value.AsUInt32() & Vector256.Create(mask)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> OrBits(Vector256<float> a, Vector256<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.LessThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) => Vector256.ConditionalSelect(mask, whenTrue, whenFalse);
}

/// <summary>
/// 128-bit vectors: SSE on baseline x86-64 (no fused multiply-add: a multiply and an add), FMA where present, and
/// ARM64's AdvSimd (fused).
/// </summary>
internal readonly struct W128 : IWidth<Vector128<float>>
{
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Clamp(Vector128<float> x, float low, float high) => Sse.IsSupported
        ? Sse.Min(Vector128.Create(high), Sse.Max(Vector128.Create(low), x))
        : Vector128.Min(Vector128.Create(high), Vector128.Max(Vector128.Create(low), x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(c, a, b) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplySubtract(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAddNegated(a, b, c) : AdvSimd.IsSupported ? AdvSimd.FusedMultiplySubtract(c, a, b) : c - a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> PowerOfTwo(Vector128<float> biased) => Vector128.ShiftLeft(biased.AsInt32() + Vector128.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> WidenUInt16(ref ushort source) =>
        Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<ushort, byte>(ref source))).AsUInt16()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> DotBytes(Vector128<float> sums, Vector128<float> activations, Vector128<float> weights)
    {
        if (Ssse3.IsSupported)
            return (sums.AsInt32() + Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(activations.AsByte(), weights.AsSByte()), Vector128<short>.One)).AsSingle();
        // Elsewhere: 16-bit products (|p| ≤ 127·127), their pairs summed in 32-bit lanes, then pairs of those in 64-bit lanes.
        Vector128<short> low = Vector128.WidenLower(activations.AsByte()).AsInt16() * Vector128.WidenLower(weights.AsSByte());
        Vector128<short> high = Vector128.WidenUpper(activations.AsByte()).AsInt16() * Vector128.WidenUpper(weights.AsSByte());
        return (sums.AsInt32() + Vector128.Narrow(PairSums(PairSums(low.AsInt32()).AsInt64()), PairSums(PairSums(high.AsInt32()).AsInt64()))).AsSingle();
    }

    /// <summary>Every lane's two signed halves added (16-bit halves of 32-bit lanes, or 32-bit halves of 64-bit lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<TWide> PairSums<TWide>(Vector128<TWide> lanes) where TWide : unmanaged
    {
        int half = Unsafe.SizeOf<TWide>() * 4;
        return ((lanes << half) >> half) + (lanes >> half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ConvertInt32(Vector128<float> bits) => Vector128.ConvertToSingle(bits.AsInt32());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowBytes(Vector128<float> value, ref byte destination) =>
        Unsafe.WriteUnaligned(ref destination, Vector128.Narrow(Vector128.Narrow(value.AsUInt32(), value.AsUInt32()), Vector128<ushort>.Zero).AsUInt32().ToScalar());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftLeftBits(Vector128<float> value, int count) => Vector128.ShiftLeft(value.AsUInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftRightBits(Vector128<float> value, int count) => Vector128.ShiftRightLogical(value.AsUInt32(), count).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AndBits(Vector128<float> value, uint mask) => (value.AsUInt32() & Vector128.Create(mask)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> OrBits(Vector128<float> a, Vector128<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.LessThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> whenTrue, Vector128<float> whenFalse) => Vector128.ConditionalSelect(mask, whenTrue, whenFalse);
}

/// <summary>One float at a time: the width of machines without SIMD (and of <c>DOTNET_EnableHWIntrinsic=0</c>).</summary>
internal readonly struct W1 : IWidth<float>
{
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(ref float source, nuint offset) => Unsafe.Add(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float value, ref float destination, nuint offset) => Unsafe.Add(ref destination, offset) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Clamp(float x, float low, float high) => x < low ? low : x > high ? high : x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplySubtract(float a, float b, float c) => c - a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float PowerOfTwo(float biased) => BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(biased) + 127) << 23);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float WidenUInt16(ref ushort source) => BitConverter.UInt32BitsToSingle(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotBytes(float sums, float activations, float weights)
    {
        uint a = BitConverter.SingleToUInt32Bits(activations), w = BitConverter.SingleToUInt32Bits(weights);
        int sum = BitConverter.SingleToInt32Bits(sums);
        for (int k = 0; k < 32; k += 8) sum += (byte)(a >> k) * (sbyte)(w >> k);
        return BitConverter.Int32BitsToSingle(sum);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ConvertInt32(float bits) => BitConverter.SingleToInt32Bits(bits);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreLowBytes(float value, ref byte destination) => destination = (byte)BitConverter.SingleToUInt32Bits(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftLeftBits(float value, int count) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) << count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftRightBits(float value, int count) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) >> count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float AndBits(float value, uint mask) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) & mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float OrBits(float a, float b) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(a) | BitConverter.SingleToUInt32Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThan(float a, float b) => BitConverter.UInt32BitsToSingle(a < b ? uint.MaxValue : 0u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThanOrEqual(float a, float b) => BitConverter.UInt32BitsToSingle(a <= b ? uint.MaxValue : 0u);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float mask, float whenTrue, float whenFalse) => BitConverter.SingleToUInt32Bits(mask) != 0 ? whenTrue : whenFalse;
}
