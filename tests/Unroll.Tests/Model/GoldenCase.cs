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

    private static (int[] Shape, double[] Values) Read(JsonElement tensor) => (
        tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
        tensor.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray());
}
