using Xunit;

namespace Unroll.Tests;

// Linear(3, 6) → activation → Linear(6, 2), as in Golden/make_activation_golden.py, one model per function.

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class ActReluModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class ActTanhModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Tanh)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class ActSigmoidModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Sigmoid)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class ActGeluModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Gelu)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class ActGeluTanhModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Gelu, Approximate = GeluApproximation.Tanh)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class ActSiluModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Silu)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class ActLeakyReluModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.LeakyRelu, NegativeSlope = 0.2)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

/// <summary>The GELU-tanh case again, inference only, with PyTorch's weights compiled in (IO/Fixtures/activation_gelu_tanh.safetensors).</summary>
[Model(SequenceLength = 4, BatchSize = 2, InferenceOnly = true, Weights = "activation_gelu_tanh.safetensors")]
public partial class CompiledActGeluTanhModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Gelu, Approximate = GeluApproximation.Tanh)] public partial ActivationLayer Act { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

/// <summary>Activations around a GRU, which streams: GELU (erf), SiLU and tanh are smooth, so finite differences hold everywhere.</summary>
[Model(SequenceLength = 6, BatchSize = 3)]
public partial class ActivatedGru
{
    [Linear(4, 8)] public partial LinearLayer In { get; }
    [Activation(ActivationFunction.Gelu)] public partial ActivationLayer Gelu { get; }
    [Gru(8, 8)] public partial GruLayer Rnn { get; }
    [Activation(ActivationFunction.Silu)] public partial ActivationLayer Silu { get; }
    [Linear(8, 3)] public partial LinearLayer Head { get; }
    [Activation(ActivationFunction.Tanh)] public partial ActivationLayer Squash { get; }
}

/// <summary>
/// <c>[Activation]</c> models against PyTorch (Golden/activation_*.json, made by Golden/make_activation_golden.py): forward,
/// parameter and input gradients for every function; a run of steps equal to <c>Forward</c>; finite differences; compiled-in
/// weights in an inference-only model; nothing allocated per call.
/// </summary>
public class ActivationLayerTests
{
    public static TheoryData<string> Cases => new() { "relu", "tanh", "sigmoid", "gelu", "gelu_tanh", "silu", "leaky_relu" };

    private static IFeatureInputModel Create(string name) => name switch
    {
        "relu" => new ActReluModel(),
        "tanh" => new ActTanhModel(),
        "sigmoid" => new ActSigmoidModel(),
        "gelu" => new ActGeluModel(),
        "gelu_tanh" => new ActGeluTanhModel(),
        "silu" => new ActSiluModel(),
        "leaky_relu" => new ActLeakyReluModel(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_PyTorch(string name)
    {
        var golden = GoldenCase.Load("activation_" + name);
        IFeatureInputModel model = Create(name);
        foreach (string parameter in golden.Names("params"))
        {
            var (shape, values) = golden.Tensor("params", parameter);
            Assert.Equal(shape, model.NamedParameters[parameter].Shape.ToArray());
            for (int i = 0; i < values.Length; i++) model.NamedParameters[parameter].Values[i] = (float)values[i];
        }
        var (_, x) = golden.Tensor("inputs", "x");
        var output = new float[2 * 4 * 2];
        model.Forward(Layout.ToFloat(x), output);
        Tolerance.AssertClose(output, golden.Tensor("outputs", "output").Values, "output", 1e-5, 1e-5);

        double[] w = golden.LossWeights("output");
        var inputGradient = new float[x.Length];
        model.ZeroGradients();
        model.Backward(output.Select((o, i) => (float)(2 * w[i] * o)).ToArray(), inputGradient);
        foreach (string parameter in golden.Names("grad_params"))
            Tolerance.AssertClose(model.NamedParameters[parameter].Gradients, golden.Tensor("grad_params", parameter).Values, "∂" + parameter, 1e-5, 1e-5);
        Tolerance.AssertClose(inputGradient, golden.Tensor("grad_inputs", "x").Values, "∂x", 1e-5, 1e-5);
    }

    [Fact]
    public void The_view_says_what_was_declared()
    {
        var leaky = new ActLeakyReluModel();
        Assert.Equal(ActivationFunction.LeakyRelu, leaky.Act.Function);
        Assert.Equal(0.2f, leaky.Act.NegativeSlope);
        Assert.Equal(6, leaky.Act.Features);
        var gelu = new ActGeluTanhModel();
        Assert.Equal(GeluApproximation.Tanh, gelu.Act.Approximate);
        Assert.Equal(3 * 6 + 6 + 6 * 2 + 2, ActGeluTanhModel.ParameterCount); // the activation adds no parameters
    }

    [Fact]
    public void Compiled_in_weights_give_PyTorch_s_output()
    {
        var golden = GoldenCase.Load("activation_gelu_tanh");
        var model = new CompiledActGeluTanhModel();
        var output = new float[2 * 4 * 2];
        model.Forward(Layout.ToFloat(golden.Tensor("inputs", "x").Values), output);
        Tolerance.AssertClose(output, golden.Tensor("outputs", "output").Values, "output", 1e-5, 1e-5);
    }

    [Fact]
    public void Step_reproduces_Forward_and_Backward_matches_finite_differences()
    {
        var model = new ActivatedGru(5);
        var x = new float[3 * 6 * 4];
        new SeededRandom(6).FillNormal(x);
        var expected = new float[3 * 6 * 3];
        model.Forward(x, expected);

        model.ResetState();
        var step = new float[3 * 3];
        var stepInput = new float[3 * 4];
        for (int t = 0; t < 6; t++)
        {
            for (int b = 0; b < 3; b++) x.AsSpan((b * 6 + t) * 4, 4).CopyTo(stepInput.AsSpan(b * 4, 4));
            model.Step(stepInput, step);
            for (int b = 0; b < 3; b++)
                Tolerance.AssertClose(step.AsSpan(b * 3, 3), Layout.ToDouble(expected.AsSpan((b * 6 + t) * 3, 3)), $"step {t}, row {b}", 1e-6, 0);
        }

        var weights = new float[expected.Length];
        new SeededRandom(7).FillUniform(weights, -1, 1);
        FloatFiniteDifferences.AssertModelGradients(model, weights, output => model.Forward(x, output), x);
    }

    [Fact]
    public void Forward_Backward_and_Step_allocate_nothing()
    {
        var model = new ActivatedGru(5);
        var x = new float[3 * 6 * 4];
        new SeededRandom(8).FillNormal(x);
        var output = new float[3 * 6 * 3];
        var inputGradient = new float[x.Length];
        var step = new float[3 * 3];
        Assert.Equal(0, Allocations.Of(() => model.Forward(x, output)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(output, inputGradient)));
        Assert.Equal(0, Allocations.Of(() => model.Step(x.AsSpan(0, 12), step)));
    }
}
