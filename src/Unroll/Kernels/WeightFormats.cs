using System.Runtime.CompilerServices;

namespace Unroll.Kernels;

/// <summary>
/// How the packed step weights are stored (<see cref="WeightPrecision"/>): bytes a weight, how a vector of them becomes
/// float32, and how a float32 weight is written. The fused steps are generic over it as over the width, so each pair
/// is compiled once, specialised.
/// </summary>
internal interface IWeightFormat
{
    /// <summary>Bytes a weight.</summary>
    static abstract int Bytes { get; }

    /// <summary>One vector of weights from <paramref name="row"/>, element <paramref name="element"/> on, as float32.</summary>
    static abstract TVector Load<TVector, TWidth>(ref byte row, nuint element) where TVector : struct where TWidth : IWidth<TVector>;

    /// <summary>
    /// 2-byte formats, whose rows are packed in pairs (each 32-bit lane holds an even row's weight in its low half and the
    /// next row's in its high half): the two rows' vectors from one load of lane <paramref name="element"/> on, split by
    /// shifts and masks instead of widening shuffles.
    /// </summary>
    static abstract void LoadPair<TVector, TWidth>(ref byte pairs, nuint element, out TVector even, out TVector odd) where TVector : struct where TWidth : IWidth<TVector>;
}

/// <summary>float32 weights, read as they are.</summary>
internal readonly struct Float32Weights : IWeightFormat
{
    public static int Bytes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Load<TVector, TWidth>(ref byte row, nuint element) where TVector : struct where TWidth : IWidth<TVector> =>
        TWidth.Load(ref Unsafe.As<byte, float>(ref row), element);

    public static void LoadPair<TVector, TWidth>(ref byte pairs, nuint element, out TVector even, out TVector odd) where TVector : struct where TWidth : IWidth<TVector> =>
        throw new NotSupportedException("float32 rows are not packed in pairs.");
}

/// <summary>bfloat16 weights: the top half of a float32, so widening is a shift.</summary>
internal readonly struct BFloat16Weights : IWeightFormat
{
    public static int Bytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Load<TVector, TWidth>(ref byte row, nuint element) where TVector : struct where TWidth : IWidth<TVector> =>
        TWidth.ShiftLeftBits(TWidth.WidenUInt16(ref Unsafe.Add(ref Unsafe.As<byte, ushort>(ref row), element)), 16);

    /// <summary>The low halves moved up, the high halves masked: each is already a float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadPair<TVector, TWidth>(ref byte pairs, nuint element, out TVector even, out TVector odd) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector bits = TWidth.Load(ref Unsafe.As<byte, float>(ref pairs), element);
        even = TWidth.ShiftLeftBits(bits, 16);
        odd = TWidth.AndBits(bits, 0xFFFF0000);
    }

    /// <summary>float32 to bfloat16, rounded to nearest even (a NaN stays a NaN).</summary>
    public static ushort Encode(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}

/// <summary>
/// IEEE half weights, widened without a conversion instruction: the exponent and mantissa shifted into float32's
/// place and multiplied by 2¹¹² (which also makes subnormal halves exact), then the sign. Halves are finite here:
/// <see cref="Encode"/> saturates at ±65504.
/// </summary>
internal readonly struct Float16Weights : IWeightFormat
{
    public static int Bytes => 2;

    /// <summary>2¹¹²: the difference of the exponent biases, 127 − 15.</summary>
    private const float Rebias = 5.192296858534828e33f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Load<TVector, TWidth>(ref byte row, nuint element) where TVector : struct where TWidth : IWidth<TVector>
    {
        return Widen<TVector, TWidth>(TWidth.WidenUInt16(ref Unsafe.Add(ref Unsafe.As<byte, ushort>(ref row), element)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadPair<TVector, TWidth>(ref byte pairs, nuint element, out TVector even, out TVector odd) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector bits = TWidth.Load(ref Unsafe.As<byte, float>(ref pairs), element);
        even = Widen<TVector, TWidth>(TWidth.AndBits(bits, 0xFFFF));
        odd = Widen<TVector, TWidth>(TWidth.ShiftRightBits(bits, 16));
    }

    /// <summary>Halves in the low 16 bits of each lane, as float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Widen<TVector, TWidth>(TVector half) where TVector : struct where TWidth : IWidth<TVector>
    {
        TVector magnitude = TWidth.Multiply(TWidth.ShiftLeftBits(TWidth.AndBits(half, 0x7FFF), 13), TWidth.Broadcast(Rebias));
        return TWidth.OrBits(magnitude, TWidth.ShiftLeftBits(TWidth.AndBits(half, 0x8000), 16));
    }

    /// <summary>float32 to half, rounded to nearest even, saturated at ±65504.</summary>
    public static ushort Encode(float value) => BitConverter.HalfToUInt16Bits((Half)Math.Clamp(value, -65504f, 65504f));
}

/// <summary>
/// Signed 8-bit weights with one float32 scale per output row; <see cref="Encode"/> rounds to nearest. Their steps
/// multiply integers (the step's input and state quantized to 7 bits), so they have their own sums
/// (<c>Cells.SumBlockInt8</c>) and never load a row as floats.
/// </summary>
internal readonly struct Int8Weights : IWeightFormat
{
    public static int Bytes => 1;

    public static TVector Load<TVector, TWidth>(ref byte row, nuint element) where TVector : struct where TWidth : IWidth<TVector> =>
        throw new NotSupportedException("int8 rows are summed as integers.");

    public static void LoadPair<TVector, TWidth>(ref byte pairs, nuint element, out TVector even, out TVector odd) where TVector : struct where TWidth : IWidth<TVector> =>
        throw new NotSupportedException("int8 rows are not packed in pairs.");

    /// <summary>The scale of a row whose largest magnitude is <paramref name="largest"/>: it maps to ±127 (1 for an all-zero row).</summary>
    public static float Scale(float largest) => largest > 0 ? largest / 127f : 1f;

    public static sbyte Encode(float value, float scale) => (sbyte)Math.Clamp(MathF.Round(value / scale), -127f, 127f);
}
