using Xunit;

namespace Unroll.Tests;

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class LayerNormModel
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [LayerNorm(6)] public partial LayerNormLayer Norm { get; }
    [Linear(6, 2)] public partial LinearLayer Out { get; }
}

/// <summary>A token model with a normalised LSTM output, which streams.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class NormalizedLm
{
    [Embedding(9, 4)] public partial EmbeddingLayer Embed { get; }
    [Lstm(4, 7)] public partial LstmLayer Rnn { get; }
    [LayerNorm(7)] public partial LayerNormLayer Norm { get; }
    [Linear(7, 9)] public partial LinearLayer Head { get; }
}

/// <summary>LayerNorm against PyTorch (layernorm.json, made by Golden/make_layernorm_golden.py), finite differences and streaming.</summary>
public class LayerNormTests
{
    [Fact]
    public void Matches_PyTorch()
    {
        var golden = GoldenCase.Load("layernorm");
        var model = new LayerNormModel();
        foreach (string name in golden.Names("params"))
        {
            var (shape, values) = golden.Tensor("params", name);
            Assert.Equal(shape, model.NamedParameters[name].Shape.ToArray());
            for (int i = 0; i < values.Length; i++) model.NamedParameters[name].Values[i] = (float)values[i];
        }
        var (_, x) = golden.Tensor("inputs", "x");
        var output = new float[2 * 4 * 2];
        model.Forward(Layout.ToFloat(x), output);
        Tolerance.AssertClose(output, golden.Tensor("outputs", "output").Values, "output");

        double[] w = golden.LossWeights("output");
        var inputGradient = new float[x.Length];
        model.Backward(output.Select((o, i) => (float)(2 * w[i] * o)).ToArray(), inputGradient);
        foreach (string name in golden.Names("grad_params"))
            Tolerance.AssertClose(model.NamedParameters[name].Gradients, golden.Tensor("grad_params", name).Values, "∂" + name);
        Tolerance.AssertClose(inputGradient, golden.Tensor("grad_inputs", "x").Values, "∂x");
    }

    [Fact]
    public void Defaults_are_PyTorch_s_and_Step_reproduces_Forward()
    {
        var model = new NormalizedLm(2);
        Assert.All(model.Norm.Weight.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(model.Norm.Bias.ToArray(), v => Assert.Equal(0f, v));
        new SeededRandom(3).FillNormal(model.Norm.Weight);
        new SeededRandom(4).FillNormal(model.Norm.Bias);

        int[] tokens = [1, 5, 2, 8, 0, 3, 3, 7, 4, 6];
        var expected = new float[2 * 5 * 9];
        model.Forward(tokens, expected);
        model.ResetState();
        var step = new float[2 * 9];
        for (int t = 0; t < 5; t++)
        {
            model.Step([tokens[t], tokens[5 + t]], step);
            for (int b = 0; b < 2; b++)
                Tolerance.AssertClose(step.AsSpan(b * 9, 9), Layout.ToDouble(expected.AsSpan((b * 5 + t) * 9, 9)), $"step {t}", 1e-6, 0);
        }

        // Finite differences of every parameter.
        var weights = new float[expected.Length];
        new SeededRandom(5).FillUniform(weights, -1, 1);
        FloatFiniteDifferences.AssertModelGradients(model, weights, output => model.Forward(tokens, output));
    }
}
