using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Unroll;

/// <summary>
/// Allocates a model's arena so that every buffer in it starts on a 64-byte boundary (a cache line, one
/// <c>Vector512</c>), wherever the GC puts the array: the array is pinned (on the pinned object heap, which never moves
/// it), so the first aligned float found once stays aligned for the model's lifetime. The generator places every
/// buffer a multiple of <see cref="AlignmentFloats"/> floats from that float.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AlignedArena
{
    /// <summary>Bytes every arena buffer is aligned to.</summary>
    public const int Alignment = 64;

    /// <summary>Floats in <see cref="Alignment"/> bytes: arena offsets are multiples of it.</summary>
    public const int AlignmentFloats = Alignment / sizeof(float);

    /// <summary>
    /// Floats allocated beyond the arena's length, so that it fits after the first aligned float (floats are 4-byte
    /// aligned, so that float is at most 15 in). The generator counts them against <c>Array.MaxLength</c> (UNR0011).
    /// </summary>
    public const int SpareFloats = AlignmentFloats - 1;

    /// <summary>
    /// Used by generated code: a zeroed, pinned array of <paramref name="length"/> + <see cref="SpareFloats"/> floats,
    /// with the arena's <paramref name="length"/> floats from index <paramref name="origin"/> on (0 to 15), where the
    /// array's data is 64-byte aligned.
    /// </summary>
    public static float[] Allocate(int length, out int origin)
    {
        float[] array = GC.AllocateArray<float>(length + SpareFloats, pinned: true);
        origin = FirstAlignedIndex(array);
        return array;
    }

    /// <summary>The index of the first float of <paramref name="array"/> at a 64-byte aligned address (right as long as the array does not move).</summary>
    internal static unsafe int FirstAlignedIndex(float[] array)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        int misalignment = (int)(address % Alignment);
        return (Alignment - misalignment) % Alignment / sizeof(float);
    }
}
