using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit;

namespace Unroll.Tests;

/// <summary><see cref="AlignedArena"/>: a pinned array, and the index of its first 64-byte aligned float.</summary>
public class ArenaAlignmentTests
{
    private const int Alignment = 64;

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(100_003)]
    public void AlignedArena_allocates_zeroed_floats_from_a_64_byte_boundary(int length)
    {
        // Kept alive, so that each lands after the others, at another distance from a boundary: every origin must be right.
        var arrays = new List<float[]>();
        for (int i = 0; i < 32; i++)
        {
            float[] array = AlignedArena.Allocate(length, out int origin);
            arrays.Add(array);
            Assert.Equal(length + AlignedArena.SpareFloats, array.Length);
            Assert.InRange(origin, 0, AlignedArena.SpareFloats);
            Assert.Equal(0L, Address(array, origin) % Alignment);
            Assert.All(array, value => Assert.Equal(0, BitConverter.SingleToInt32Bits(value)));
        }
    }

    private static unsafe nint Address(float[] array, int index) => (nint)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), index));
}
