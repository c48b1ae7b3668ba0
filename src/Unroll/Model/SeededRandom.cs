namespace Unroll;

/// <summary>
/// A small deterministic random generator (xoshiro128**, seeded through SplitMix64): the same seed
/// gives the same numbers on every platform and .NET version. Used for the models' initialisation.
/// </summary>
public sealed class SeededRandom
{
    private uint _s0, _s1, _s2, _s3;

    /// <summary>Starts the sequence for <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        ulong x = seed;
        ulong a = SplitMix(ref x), b = SplitMix(ref x);
        _s0 = (uint)a;
        _s1 = (uint)(a >> 32);
        _s2 = (uint)b;
        _s3 = (uint)(b >> 32);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Floats in the generator's state (four 32-bit words), for <see cref="SaveState"/>.</summary>
    public const int StateLength = 4;

    /// <summary>Writes the generator's state (for a checkpoint), as four 32-bit words stored bit for bit in floats.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="StateLength"/> long.</exception>
    public void SaveState(Span<float> destination)
    {
        if (destination.Length != StateLength)
            throw new ArgumentException($"Expected {StateLength} values, but the span holds {destination.Length}.", nameof(destination));
        destination[0] = BitConverter.UInt32BitsToSingle(_s0);
        destination[1] = BitConverter.UInt32BitsToSingle(_s1);
        destination[2] = BitConverter.UInt32BitsToSingle(_s2);
        destination[3] = BitConverter.UInt32BitsToSingle(_s3);
    }

    /// <summary>Restores a state written by <see cref="SaveState"/>: the generator continues exactly where it was.</summary>
    /// <exception cref="ArgumentException">The span is not <see cref="StateLength"/> long, or holds the all-zero state xoshiro cannot leave.</exception>
    public void LoadState(ReadOnlySpan<float> source)
    {
        if (source.Length != StateLength)
            throw new ArgumentException($"Expected {StateLength} values, but the span holds {source.Length}.", nameof(source));
        uint s0 = BitConverter.SingleToUInt32Bits(source[0]), s1 = BitConverter.SingleToUInt32Bits(source[1]);
        uint s2 = BitConverter.SingleToUInt32Bits(source[2]), s3 = BitConverter.SingleToUInt32Bits(source[3]);
        if ((s0 | s1 | s2 | s3) == 0) throw new ArgumentException("The all-zero state is not a valid generator state.", nameof(source));
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt32()
    {
        uint result = BitRotate(_s1 * 5, 7) * 9;
        uint t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitRotate(_s3, 11);
        return result;
    }

    private static uint BitRotate(uint x, int k) => (x << k) | (x >> (32 - k));

    /// <summary>A float uniform in [0, 1), with 24 random bits.</summary>
    public float NextSingle() => (NextUInt32() >> 8) * (1f / (1 << 24));

    /// <summary>Fills <paramref name="destination"/> with values uniform in [<paramref name="low"/>, <paramref name="high"/>), as <c>torch.nn.init.uniform_</c>.</summary>
    public void FillUniform(Span<float> destination, float low, float high)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = low + (high - low) * NextSingle();
        }
    }

    /// <summary>Fills <paramref name="destination"/> with standard-normal values (Box–Muller), as <c>torch.nn.init.normal_</c>.</summary>
    public void FillNormal(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i += 2)
        {
            double u1 = (NextUInt32() + 1.0) / 4294967297.0;
            double u2 = NextUInt32() / 4294967296.0;
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            destination[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < destination.Length) destination[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }
}
