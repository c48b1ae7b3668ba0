using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Central differences of a float32 model's loss, for layers the double reference does not model:
/// coarse (eps 1e-2, tolerance 2e-3 + 2e-2·|fd|) but enough to catch a wrong or missing term.
/// </summary>
public static class FloatFiniteDifferences
{
    /// <summary>
    /// Checks a model's <c>Backward</c> against the central differences of the loss <c>Σ weights ⊙ output</c>, where
    /// <paramref name="forward"/> runs the model's <c>Forward</c> into the output it is given: the parameters' gradients, and
    /// the input's when <paramref name="input"/> (the values <paramref name="forward"/> reads) is given; <paramref name="step"/>
    /// smaller than 1e-2 for a model whose loss curves sharply (norms and softmax in series).
    /// </summary>
    public static void AssertModelGradients(ISequenceModel model, float[] weights, Action<float[]> forward, float[]? input = null, float step = 1e-2f)
    {
        var output = new float[weights.Length];
        double Loss()
        {
            forward(output);
            double loss = 0;
            for (int i = 0; i < output.Length; i++) loss += (double)weights[i] * output[i];
            return loss;
        }
        Loss();
        model.ZeroGradients();
        var inputGradient = new float[input?.Length ?? 0];
        if (input is null) model.Backward(weights);
        else ((IFeatureInputModel)model).Backward(weights, inputGradient);
        AssertMatches(model.Parameters, model.Gradients.ToArray(), Loss, "∂parameters", step);
        if (input is not null) AssertMatches(input, inputGradient, Loss, "∂x", step);
    }

    /// <summary>Compares <paramref name="analytic"/> with the central differences (step <paramref name="step"/>) of <paramref name="loss"/> in every element of <paramref name="values"/>.</summary>
    public static void AssertMatches(Span<float> values, ReadOnlySpan<float> analytic, Func<double> loss, string what, float step = 1e-2f)
    {
        Assert.Equal(values.Length, analytic.Length);
        for (int i = 0; i < values.Length; i++)
        {
            double numeric = Central(values, i, loss, step);
            Assert.True(Agrees(analytic[i], numeric), $"{what}[{i}]: analytic {analytic[i]:R}, finite difference {numeric:R}");
        }
    }

    /// <summary>The central difference of <paramref name="loss"/> in element <paramref name="i"/> of <paramref name="values"/>, with step <paramref name="h"/>; the element is restored.</summary>
    public static double Central(Span<float> values, int i, Func<double> loss, float h)
    {
        float original = values[i];
        values[i] = original + h;
        double plus = loss();
        values[i] = original - h;
        double minus = loss();
        values[i] = original;
        return (plus - minus) / (2.0 * h);
    }

    /// <summary>Whether an analytic gradient agrees with a float32 finite difference: within 2e-3 + 2e-2·|difference|.</summary>
    public static bool Agrees(double analytic, double numeric) => Math.Abs(analytic - numeric) <= 2e-3 + 2e-2 * Math.Abs(numeric);
}
