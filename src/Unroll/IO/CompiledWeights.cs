using System.Runtime.InteropServices;

namespace Unroll;

/// <summary>
/// Reads the weights the generator compiles into an assembly for <see cref="ModelAttribute.Weights"/>: each float32 is
/// stored as two UTF-16 chars, the low 16 bits of its bits, then the high 16, in a string literal (the assembly's
/// read-only user-string data, which Native AOT keeps as a frozen string in the binary).
/// </summary>
public static class CompiledWeights
{
    /// <summary>Copies compiled float32 bits into <paramref name="destination"/>.</summary>
    /// <param name="bits">Two chars a float: the low half of its bits, then the high half.</param>
    /// <param name="destination">Exactly half as many floats as <paramref name="bits"/> has chars.</param>
    /// <exception cref="ArgumentException"><paramref name="bits"/> does not hold two chars for every float of <paramref name="destination"/>.</exception>
    public static void CopyTo(ReadOnlySpan<char> bits, Span<float> destination)
    {
        if (bits.Length != 2 * (long)destination.Length)
        {
            throw new ArgumentException($"{bits.Length} chars hold {bits.Length / 2.0} floats, but the destination has {destination.Length}.", nameof(bits));
        }
        if (BitConverter.IsLittleEndian)
        {
            // A char's two bytes in memory are then the float's bytes in order.
            MemoryMarshal.AsBytes(bits).CopyTo(MemoryMarshal.AsBytes(destination));
            return;
        }
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BitConverter.Int32BitsToSingle(bits[2 * i] | bits[2 * i + 1] << 16);
        }
    }
}
