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
