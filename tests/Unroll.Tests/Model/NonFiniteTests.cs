using Xunit;

namespace Unroll.Tests;

/// <summary>An Elman ReLU RNN whose recurrent weights can be made to explode over 60 steps.</summary>
[Model(SequenceLength = 60, BatchSize = 2)]
public partial class ExplodingRnn
{
    [Rnn(3, 8, Nonlinearity = Nonlinearity.Relu)] public partial RnnLayer Rnn { get; }
    [Linear(8, 1)] public partial LinearLayer Head { get; }
}

/// <summary>
/// <c>FindNonFinite()</c> names the layer, step and row where a NaN or infinity first appeared (or the tensor and
/// element), returns null when every value is finite and allocates nothing; exploding gradients are caught by
/// clipping, which keeps training finite where the unclipped step overflows.
/// </summary>
public sealed class NonFiniteTests
{
    private const int Batch = 3, Steps = 8, Input = 5;

    private static float[] Inputs(int length)
    {
        var x = new float[Batch * length * Input];
        new SeededRandom(1).FillNormal(x);
        return x;
    }

    [Fact]
    public void A_NaN_in_the_input_is_found_in_the_first_layer_at_its_step_and_row()
    {
        var model = new PropLstm(3); // Lstm(5, 12, NumLayers = 2) → Linear(12, 3)
        Assert.Null(model.FindNonFinite());
        float[] x = Inputs(Steps);
        var y = new float[Batch * Steps * 3];
        model.Forward(x, y);
        Assert.Null(model.FindNonFinite());

        x[(1 * Steps + 5) * Input + 2] = float.NaN; // row 1, step 5
        model.Forward(x, y);
        NonFiniteValue found = Assert.IsType<NonFiniteValue>(model.FindNonFinite());
        Assert.Equal(("Rnn layer 0 states", 5, 1), (found.Where, found.Step, found.Row));
        Assert.True(float.IsNaN(found.Value));
        Assert.StartsWith("NaN in Rnn layer 0 states at step 5, row 1, feature ", found.ToString());

        // At a shorter length the NaN's step is not looked at.
        model.Forward(x.AsSpan(0, Batch * 4 * Input).ToArray(), y.AsSpan(0, Batch * 4 * 3), 4);
        Assert.Null(model.FindNonFinite());
    }

    [Fact]
    public void An_infinite_weight_is_found_in_the_first_output_it_reaches_or_as_the_tensor_element()
    {
        var model = new PropGru(4); // Gru(5, 9) → LayerNorm(9) → Linear(9, 3)
        model.Head.Weight[5] = float.PositiveInfinity;
        NonFiniteValue before = Assert.IsType<NonFiniteValue>(model.FindNonFinite()); // no Forward yet: the tensor itself
        Assert.Equal(("Head.weight", -1, 5), (before.Where, before.Step, before.Index));
        Assert.Equal("Infinity in Head.weight[5]", before.ToString());

        float[] x = Inputs(Steps);
        var y = new float[Batch * Steps * 3];
        model.Forward(x, y);
        NonFiniteValue after = Assert.IsType<NonFiniteValue>(model.FindNonFinite());
        Assert.Equal(("Head output", 0, 0), (after.Where, after.Step, after.Row));
        Assert.Equal(0, after.Index); // element 5 of Head.weight [3, 9] is weight[0, 5]: output feature 0
    }

    [Fact]
    public void A_gradient_that_overflowed_is_found_and_a_finite_model_is_checked_without_allocating()
    {
        var model = new PropRnn(5);
        float[] x = Inputs(Steps);
        var y = new float[Batch * Steps * 3];
        model.Forward(x, y);
        var dy = new float[y.Length];
        dy[7] = float.PositiveInfinity;
        model.ZeroGradients();
        model.Backward(dy);
        NonFiniteValue found = Assert.IsType<NonFiniteValue>(model.FindNonFinite());
        Assert.StartsWith("∂", found.Where);
        Assert.Equal(-1, found.Step);

        // A finite model is checked without allocating.
        model.ZeroGradients();
        Assert.Null(model.FindNonFinite());
        Assert.Equal(0, Allocations.Of(() => model.FindNonFinite()));
    }

    [Fact]
    public void Exploding_gradients_are_caught_by_clipping()
    {
        // Recurrent weights of spectral radius ~1.6 on a ReLU RNN: the gradient grows by about 1.6 a step for 60 steps.
        ExplodingRnn Create()
        {
            var m = new ExplodingRnn(2);
            Span<float> whh = m.NamedParameters.Single(p => p.Name == "Rnn.weight_hh_l0").Values;
            whh.Clear();
            for (int i = 0; i < 8; i++) whh[i * 8 + i] = 1.6f;
            return m;
        }
        var input = new float[2 * 60 * 3];
        new SeededRandom(3).FillUniform(input, 0f, 1f);
        var output = new float[2 * 60];
        var target = new float[output.Length];
        var gradient = new float[output.Length];

        var clipped = Create();
        var sgd = new Sgd(ExplodingRnn.ParameterCount, 0.1f);
        float firstNorm = 0;
        for (int step = 0; step < 5; step++)
        {
            clipped.Forward(input, output);
            Loss.MeanSquaredError(output, target, gradient);
            clipped.ZeroGradients();
            clipped.Backward(gradient);
            float norm = GradientClipping.ByNorm(clipped.Gradients, maxNorm: 1f);
            if (step == 0) firstNorm = norm;
            Assert.True(Math.Sqrt(clipped.Gradients.ToArray().Sum(g => (double)g * g)) <= 1.0 + 1e-5);
            sgd.Step(clipped.Parameters, clipped.Gradients);
            Assert.Null(clipped.FindNonFinite());
        }
        Assert.True(firstNorm > 1e6f, $"the gradient norm was only {firstNorm}: nothing exploded");

        // Without clipping the same step throws the weights far off, and the next pass overflows.
        var unclipped = Create();
        var plain = new Sgd(ExplodingRnn.ParameterCount, 0.1f);
        NonFiniteValue? found = null;
        for (int step = 0; step < 5 && found is null; step++)
        {
            unclipped.Forward(input, output);
            Loss.MeanSquaredError(output, target, gradient);
            unclipped.ZeroGradients();
            unclipped.Backward(gradient);
            plain.Step(unclipped.Parameters, unclipped.Gradients);
            unclipped.Forward(input, output);
            found = unclipped.FindNonFinite();
        }
        Assert.NotNull(found);
    }
}
