using System.Text.Json;

namespace Unroll.Tests;

/// <summary>One case of shared/golden (PyTorch 1.13.1): tensors by name, float64 reference values.</summary>
public sealed class GoldenCase
{
    private readonly JsonElement _root;

    private GoldenCase(JsonElement root) => _root = root;

    public static GoldenCase Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json");
        using var stream = File.OpenRead(path);
        return new GoldenCase(JsonDocument.Parse(stream).RootElement.Clone());
    }

    /// <summary>A float64 tensor: <paramref name="group"/> is params, inputs, outputs, grad_params or grad_inputs.</summary>
    public (int[] Shape, double[] Values) Tensor(string group, string name) => Read(_root.GetProperty("float64").GetProperty(group).GetProperty(name));

    /// <summary>Each row's length, in a case with rows of their own lengths.</summary>
    public int[] Lengths => _root.GetProperty("lengths").EnumerateArray().Select(l => l.GetInt32()).ToArray();

    public IEnumerable<string> Names(string group) => _root.GetProperty("float64").GetProperty(group).EnumerateObject().Select(p => p.Name);

    public bool Has(string group, string name) => _root.GetProperty("float64").GetProperty(group).TryGetProperty(name, out _);

    /// <summary>The float64 loss PyTorch computed.</summary>
    public double Loss => _root.GetProperty("float64").GetProperty("loss").GetDouble();

    /// <summary>The fixed weights w of <c>loss = Σ_k Σ w_k ⊙ output_k²</c>.</summary>
    public double[] LossWeights(string output) => Read(_root.GetProperty("loss_weights").GetProperty(output)).Values;

    /// <summary>Copies the case's parameters into <paramref name="model"/>'s, by name, checking each shape.</summary>
    public void LoadParameters(IFeatureInputModel model)
    {
        foreach (string parameter in Names("params"))
        {
            var (shape, values) = Tensor("params", parameter);
            Xunit.Assert.Equal(shape, model.NamedParameters[parameter].Shape.ToArray());
            Layout.ToFloat(values).CopyTo(model.NamedParameters[parameter].Values);
        }
    }

    /// <summary>
    /// <c>Backward</c> of <c>loss = Σ w ⊙ output²</c> after the <c>Forward</c> that wrote <paramref name="output"/>: the
    /// parameter and input gradients against the case's, within 1e-5.
    /// </summary>
    public void AssertGradients(IFeatureInputModel model, float[] output)
    {
        double[] w = LossWeights("output");
        var inputGradient = new float[Tensor("inputs", "x").Values.Length];
        model.ZeroGradients();
        model.Backward(output.Select((o, i) => (float)(2 * w[i] * o)).ToArray(), inputGradient);
        foreach (string parameter in Names("grad_params"))
            Tolerance.AssertClose(model.NamedParameters[parameter].Gradients, Tensor("grad_params", parameter).Values, "∂" + parameter, 1e-5, 1e-5);
        Tolerance.AssertClose(inputGradient, Tensor("grad_inputs", "x").Values, "∂x", 1e-5, 1e-5);
    }

    private static (int[] Shape, double[] Values) Read(JsonElement tensor) => (
        tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
        tensor.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray());
}
