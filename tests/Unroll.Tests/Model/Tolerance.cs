using Xunit;

namespace Unroll.Tests;

/// <summary>Named tolerances for comparing float32 results against references.</summary>
public static class Tolerance
{
    /// <summary>float32 against PyTorch's float64 reference: |a − b| ≤ 1e-5 + 1e-4·|b|.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, string what, double atol = 1e-5, double rtol = 1e-4)
    {
        Assert.True(actual.Length == expected.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            Assert.True(diff <= atol + rtol * Math.Abs(expected[i]) && !double.IsNaN(actual[i]),
                $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R} (|diff| {diff:E2})");
        }
    }

    /// <summary>The largest |actual − expected| over the spans, for reporting how close a result came.</summary>
    public static double LargestDifference(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        double largest = 0;
        for (int i = 0; i < expected.Length; i++) largest = Math.Max(largest, Math.Abs(actual[i] - expected[i]));
        return largest;
    }

    /// <summary>Bit-for-bit equal float spans.</summary>
    public static void AssertIdentical(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        Assert.True(actual.Length == expected.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(actual[i].Equals(expected[i]), $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R}");
        }
    }
}
