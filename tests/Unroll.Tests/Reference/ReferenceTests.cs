using Xunit;

namespace Unroll.Tests.Reference;

/// <summary>
/// The oracle itself is checked against PyTorch: <see cref="TorchReference"/> reproduces the float64
/// golden data (outputs and final states to 1e-10), and finite differences of it reproduce
/// PyTorch's autograd gradients, which also checks the finite-difference machinery the
/// model tests rely on.
/// </summary>
public class ReferenceTests
{
    public static TheoryData<string> Cases => new()
    {
        "rnn_tanh", "rnn_relu", "lstm", "gru", "lstm_2layer", "gru_bidirectional", "lstm_2layer_bidirectional",
    };

    /// <summary>The module each golden case was made with, as the property <c>Rnn</c>.</summary>
    private static LayerSpec Spec(string name) => name switch
    {
        "rnn_tanh" => new("Rnn", LayerKind.RnnTanh, 3, 5),
        "rnn_relu" => new("Rnn", LayerKind.RnnRelu, 3, 5),
        "lstm" => new("Rnn", LayerKind.Lstm, 3, 5),
        "gru" => new("Rnn", LayerKind.Gru, 3, 5),
        "lstm_2layer" => new("Rnn", LayerKind.Lstm, 3, 5, NumLayers: 2),
        "gru_bidirectional" => new("Rnn", LayerKind.Gru, 3, 5, Bidirectional: true),
        "lstm_2layer_bidirectional" => new("Rnn", LayerKind.Lstm, 3, 5, NumLayers: 2, Bidirectional: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>A golden tensor: shape and row-major values.</summary>
    internal sealed record Tensor(int[] Shape, double[] Values);

    /// <summary>One golden case, float64 part, and its loss weights.</summary>
    internal sealed class Golden
    {
        public required Dictionary<string, Tensor> Params { get; init; }
        public required Dictionary<string, Tensor> Inputs { get; init; }
        public required Dictionary<string, Tensor> Outputs { get; init; }
        public required Dictionary<string, Tensor> GradParams { get; init; }
        public required Dictionary<string, Tensor> GradInputs { get; init; }
        public required Dictionary<string, Tensor> LossWeights { get; init; }
        public required double Loss { get; init; }

        public static Golden Load(string name)
        {
            GoldenCase golden = GoldenCase.Load(name);
            Dictionary<string, Tensor> Group(string group) => golden.Names(group).ToDictionary(n => n, n =>
            {
                var (shape, values) = golden.Tensor(group, n);
                return new Tensor(shape, values);
            });
            Dictionary<string, Tensor> outputs = Group("outputs");
            return new Golden
            {
                Params = Group("params"),
                Inputs = Group("inputs"),
                Outputs = outputs,
                GradParams = Group("grad_params"),
                GradInputs = Group("grad_inputs"),
                LossWeights = outputs.ToDictionary(kv => kv.Key, kv => new Tensor(kv.Value.Shape, golden.LossWeights(kv.Key))),
                Loss = golden.Loss,
            };
        }
    }

    /// <summary>[a, b, f] → [b, a, f].</summary>
    internal static double[] SwapLeadingAxes(double[] v, int a, int b, int f)
    {
        double[] r = new double[v.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                Array.Copy(v, (i * b + j) * f, r, (j * a + i) * f, f);
        return r;
    }

    /// <summary>The golden case's state dict under the property name <c>Rnn</c>.</summary>
    private static Dictionary<string, double[]> Prefixed(Golden g) =>
        g.Params.ToDictionary(kv => "Rnn." + kv.Key, kv => (double[])kv.Value.Values.Clone());

    private static ReferenceResult RunGolden(LayerSpec spec, Dictionary<string, double[]> parameters, double[] inputBatchFirst,
        double[] h0, double[]? c0, int batch, int length)
    {
        var h0s = new Dictionary<string, double[]> { ["Rnn"] = h0 };
        var c0s = c0 is null ? null : new Dictionary<string, double[]> { ["Rnn"] = c0 };
        return TorchReference.Run(new[] { spec }, parameters, inputBatchFirst, null, batch, length, h0s, c0s);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesGoldenOutputsAndFinalStates(string name)
    {
        Golden g = Golden.Load(name);
        LayerSpec spec = Spec(name);
        int[] inShape = g.Inputs["input"].Shape; // [seq, batch, in]
        int length = inShape[0], batch = inShape[1];

        // The state dict of the spec is the golden one, name for name and shape for shape.
        Assert.Equal(g.Params.Select(kv => ("Rnn." + kv.Key, string.Join(",", kv.Value.Shape))),
            spec.Parameters().Select(p => (p.Name, string.Join(",", p.Shape))));

        double[] input = SwapLeadingAxes(g.Inputs["input"].Values, length, batch, inShape[2]);
        ReferenceResult r = RunGolden(spec, Prefixed(g), input, g.Inputs["h_0"].Values, g.Inputs.GetValueOrDefault("c_0")?.Values, batch, length);

        int[] outShape = g.Outputs["output"].Shape;
        AssertClose(g.Outputs["output"].Values, SwapLeadingAxes(r.Output, batch, length, outShape[2]), 1e-10, "output");
        AssertClose(g.Outputs["h_n"].Values, r.FinalHidden["Rnn"], 1e-10, "h_n");
        if (spec.Kind == LayerKind.Lstm) AssertClose(g.Outputs["c_n"].Values, r.FinalCell["Rnn"], 1e-10, "c_n");
        else Assert.False(g.Outputs.ContainsKey("c_n"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FiniteDifferencesReproduceGoldenGradients(string name)
    {
        Golden g = Golden.Load(name);
        LayerSpec spec = Spec(name);
        int[] inShape = g.Inputs["input"].Shape;
        int length = inShape[0], batch = inShape[1], features = inShape[2];
        int width = g.Outputs["output"].Shape[2];

        Dictionary<string, double[]> parameters = Prefixed(g);
        double[] input = SwapLeadingAxes(g.Inputs["input"].Values, length, batch, features);
        double[] h0 = (double[])g.Inputs["h_0"].Values.Clone();
        double[]? c0 = (double[]?)g.Inputs.GetValueOrDefault("c_0")?.Values.Clone();
        double[] wOutput = SwapLeadingAxes(g.LossWeights["output"].Values, length, batch, width);

        // loss = Σ_k Σ w_k ⊙ outputs_k², as make_golden.py defines it
        double Loss()
        {
            ReferenceResult r = RunGolden(spec, parameters, input, h0, c0, batch, length);
            double loss = WeightedSquares(wOutput, r.Output) + WeightedSquares(g.LossWeights["h_n"].Values, r.FinalHidden["Rnn"]);
            if (c0 is not null) loss += WeightedSquares(g.LossWeights["c_n"].Values, r.FinalCell["Rnn"]);
            return loss;
        }

        Assert.InRange(Math.Abs(Loss() - g.Loss), 0, 1e-10);
        const double tolerance = 1e-7;
        foreach ((string key, Tensor expected) in g.GradParams)
            AssertClose(expected.Values, FiniteDifference.Gradient(parameters["Rnn." + key], Loss), tolerance, "grad " + key);
        AssertClose(SwapLeadingAxes(g.GradInputs["input"].Values, length, batch, features),
            FiniteDifference.Gradient(input, Loss), tolerance, "grad input");
        AssertClose(g.GradInputs["h_0"].Values, FiniteDifference.Gradient(h0, Loss), tolerance, "grad h_0");
        if (c0 is not null) AssertClose(g.GradInputs["c_0"].Values, FiniteDifference.Gradient(c0, Loss), tolerance, "grad c_0");
    }

    private static double WeightedSquares(double[] w, double[] v)
    {
        Assert.Equal(w.Length, v.Length);
        double sum = 0;
        for (int i = 0; i < v.Length; i++) sum += w[i] * v[i] * v[i];
        return sum;
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (|diff| {Math.Abs(expected[i] - actual[i]):E2} > {tolerance:E0})");
        }
    }
}
