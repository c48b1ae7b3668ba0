using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Training;

/// <summary>GradientClipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (Fixtures/clipping.json).</summary>
public class GradientClippingTests
{
    public static TheoryData<string> NormCases => TrainingFixture.Names("clipping", "norm");
    public static TheoryData<string> ValueCases => TrainingFixture.Names("clipping", "value");

    [Theory]
    [MemberData(nameof(NormCases))]
    public void ByNorm_matches_clip_grad_norm_(string name)
    {
        JsonElement c = TrainingFixture.Case("clipping", name);
        JsonElement normType = c.GetProperty("norm_type");
        float p = normType.ValueKind == JsonValueKind.String ? float.PositiveInfinity : normType.GetSingle();
        float[] gradients = c.Floats("gradients");

        float total = GradientClipping.ByNorm(gradients, c.GetProperty("max_norm").GetSingle(), p);

        TrainingFixture.AssertClose(total, c.GetProperty("total_norm").GetDouble(), $"{name} total norm");
        TrainingFixture.AssertClose(gradients, c.Floats("clipped"), $"{name} gradients");
    }

    [Theory]
    [MemberData(nameof(ValueCases))]
    public void ByValue_matches_clip_grad_value_(string name)
    {
        JsonElement c = TrainingFixture.Case("clipping", name);
        float[] gradients = c.Floats("gradients");
        GradientClipping.ByValue(gradients, c.GetProperty("clip_value").GetSingle());
        Tolerance.AssertIdentical(gradients, c.Floats("clipped"), name);
    }

    [Fact]
    public void ByNorm_leaves_small_gradients_alone_and_returns_zero_for_none()
    {
        float[] gradients = [0.3f, -0.4f];
        Assert.Equal(0.5f, GradientClipping.ByNorm(gradients, 1f));
        Assert.Equal([0.3f, -0.4f], gradients);
        Assert.Equal(0.4f, GradientClipping.ByNorm(gradients, 1f, float.PositiveInfinity));
        Assert.Equal(0f, GradientClipping.ByNorm([], 1f));
    }

    [Fact]
    public void Arguments_are_checked()
    {
        float[] gradients = [1f, 2f];
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ByNorm(gradients, -1f)).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ByNorm(gradients, float.NaN)).ParamName);
        foreach (float bad in new[] { 0f, -2f, float.NaN, float.NegativeInfinity })
            Assert.Equal("normType", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ByNorm(gradients, 1f, bad)).ParamName);
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ByValue(gradients, -0.1f)).ParamName);
        Assert.Equal([1f, 2f], gradients);
    }

    [Fact]
    public void Clipping_allocates_nothing()
    {
        float[] gradients = new float[1000];
        new SeededRandom(9).FillNormal(gradients);
        Assert.Equal(0, Allocations.Of(() => GradientClipping.ByNorm(gradients, 100f)));
        Assert.Equal(0, Allocations.Of(() => GradientClipping.ByNorm(gradients, 1e-3f)));
        Assert.Equal(0, Allocations.Of(() => GradientClipping.ByNorm(gradients, 1f, float.PositiveInfinity)));
        Assert.Equal(0, Allocations.Of(() => GradientClipping.ByNorm(gradients, 1f, 3f)));
        Assert.Equal(0, Allocations.Of(() => GradientClipping.ByValue(gradients, 0.5f)));
    }
}
