using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Central differences of a float32 model's loss, for layers the double reference does not model:
/// coarse (eps 1e-2, tolerance 2e-3 + 2e-2·|fd|) but enough to catch a wrong or missing term.
/// </summary>
public static class FloatFiniteDifferences
{
    /// <summary>Compares <paramref name="analytic"/> with the central differences of <paramref name="loss"/> in every element of <paramref name="values"/>.</summary>
    public static void AssertMatches(Span<float> values, ReadOnlySpan<float> analytic, Func<double> loss, string what)
    {
        Assert.Equal(values.Length, analytic.Length);
        const float eps = 1e-2f;
        for (int i = 0; i < values.Length; i++)
        {
            float original = values[i];
            values[i] = original + eps;
            double plus = loss();
            values[i] = original - eps;
            double minus = loss();
            values[i] = original;
            double numeric = (plus - minus) / (2 * eps);
            Assert.True(Math.Abs(analytic[i] - numeric) <= 2e-3 + 2e-2 * Math.Abs(numeric),
                $"{what}[{i}]: analytic {analytic[i]:R}, finite difference {numeric:R}");
        }
    }
}
