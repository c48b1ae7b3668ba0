using Xunit;

namespace Unroll.Tests;

/// <summary>Greedy choice and draws with temperature, top-k and top-p, checked by their frequencies.</summary>
public class SamplingTests
{
    private static readonly float[] Logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.2f)];

    private static double[] Frequencies(float temperature = 1, int topK = 0, float topP = 1, int draws = 40_000)
    {
        var random = new SeededRandom(42);
        var scratch = new float[2 * Logits.Length];
        var counts = new double[Logits.Length];
        for (int i = 0; i < draws; i++) counts[Sampling.Sample(Logits, random, scratch, temperature, topK, topP)]++;
        return counts.Select(c => c / draws).ToArray();
    }

    private static void AssertNear(double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.InRange(actual[i], expected[i] - 0.015, expected[i] + 0.015);
    }

    [Fact]
    public void Draws_follow_the_softmax() => AssertNear([0.5, 0.3, 0.2], Frequencies());

    [Fact]
    public void Temperature_reshapes_the_distribution()
    {
        // softmax(log p / T) ∝ p^(1/T)
        double[] flat = [Math.Sqrt(0.5), Math.Sqrt(0.3), Math.Sqrt(0.2)];
        AssertNear(flat.Select(v => v / flat.Sum()).ToArray(), Frequencies(temperature: 2));
        Assert.Equal([1.0, 0, 0], Frequencies(temperature: 0, draws: 100));
    }

    [Fact]
    public void TopK_keeps_only_the_k_most_likely()
    {
        AssertNear([0.625, 0.375, 0], Frequencies(topK: 2));
        Assert.Equal([1.0, 0, 0], Frequencies(topK: 1, draws: 100));
        AssertNear([0.5, 0.3, 0.2], Frequencies(topK: 3));
    }

    [Fact]
    public void TopP_keeps_the_smallest_set_reaching_p()
    {
        AssertNear([0.625, 0.375, 0], Frequencies(topP: 0.6f));
        AssertNear([0.625, 0.375, 0], Frequencies(topP: 0.75f));
        AssertNear([0.5, 0.3, 0.2], Frequencies(topP: 0.85f));
        Assert.Equal([1.0, 0, 0], Frequencies(topP: 0.4f, draws: 100));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        var random = new SeededRandom(1);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => Sampling.Sample(Logits, random, new float[5])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Sampling.Sample([], random, new float[2])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(Logits, random, new float[6], temperature: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(Logits, random, new float[6], topK: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(Logits, random, new float[6], topP: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(Logits, random, new float[6], topP: 1.5f));
        Assert.Equal(1, Sampling.ArgMax([0f, 3f, 3f]));
    }

    [Fact]
    public void Sampling_allocates_nothing()
    {
        var random = new SeededRandom(1);
        var scratch = new float[6];
        Sampling.Sample(Logits, random, scratch, 0.8f, 2, 0.9f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Sampling.Sample(Logits, random, scratch, 0.8f, 2, 0.9f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
