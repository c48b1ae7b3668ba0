using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Every recurrent case of shared/golden: outputs, final states, every parameter gradient and the
/// input and initial-state gradients against PyTorch's float64 reference, within 1e-5 + 1e-4·|b|.
/// The golden loss is <c>Σ_k Σ w_k ⊙ output_k²</c> over the output and the final states, so the
/// output gradient is <c>2 w ⊙ output</c> and the final states receive <c>2 w ⊙ h_n</c> (and c_n).
/// </summary>
public class GoldenTests
{
    public static TheoryData<string> SequenceCases => new()
    {
        "rnn_tanh", "rnn_relu", "lstm", "gru", "lstm_2layer", "gru_bidirectional", "lstm_2layer_bidirectional",
    };

    public static TheoryData<string> CellCases => new() { "rnn_cell_tanh", "lstm_cell", "gru_cell" };

    [Theory]
    [MemberData(nameof(SequenceCases))]
    public void Sequence_matches_PyTorch_forward_and_backward(string name)
    {
        var golden = GoldenCase.Load(name);
        var model = ModelAdapter.Create(name);
        var (shape, input) = golden.Tensor("inputs", "input");
        int T = shape[0], B = shape[1], F = shape[2], O = model.Output;
        Assert.Equal((model.SequenceLength, model.Batch, model.Input), (T, B, F));

        LoadParameters(model, golden, suffix: "");
        Set(model.H0(), golden.Tensor("inputs", "h_0").Values);
        if (model.C0 is not null) Set(model.C0(), golden.Tensor("inputs", "c_0").Values);

        var output = new float[B * T * O];
        model.Forward(Layout.ToBatchFirst(input, T, B, F), output, T);
        double[] outputTimeMajor = Layout.ToTimeMajor(output, B, T, O);
        Tolerance.AssertClose(Layout.ToFloat(outputTimeMajor), golden.Tensor("outputs", "output").Values, "output");
        Tolerance.AssertClose(model.Hn(), golden.Tensor("outputs", "h_n").Values, "h_n");
        if (model.Cn is not null) Tolerance.AssertClose(model.Cn(), golden.Tensor("outputs", "c_n").Values, "c_n");

        // ∂loss/∂output = 2 w ⊙ output; the final states get theirs through FinalHiddenGradient / FinalCellGradient.
        double[] outputGradient = Scale(golden.LossWeights("output"), outputTimeMajor);
        SetLossGradient(model.DHn(), golden.LossWeights("h_n"), model.Hn());
        if (model.Cn is not null) SetLossGradient(model.DCn!(), golden.LossWeights("c_n"), model.Cn());

        model.ZeroGradients();
        var inputGradient = new float[B * T * F];
        model.Backward(Layout.ToBatchFirst(outputGradient, T, B, O), inputGradient);

        AssertParameterGradients(model, golden, suffix: "");
        Tolerance.AssertClose(Layout.ToFloat(Layout.ToTimeMajor(inputGradient, B, T, F)), golden.Tensor("grad_inputs", "input").Values, "∂input");
        Tolerance.AssertClose(model.DH0(), golden.Tensor("grad_inputs", "h_0").Values, "∂h_0");
        if (model.C0 is not null) Tolerance.AssertClose(model.DC0!(), golden.Tensor("grad_inputs", "c_0").Values, "∂c_0");
    }

    [Theory]
    [MemberData(nameof(CellCases))]
    public void Cell_matches_PyTorch_through_Step_and_a_one_step_Forward(string name)
    {
        var golden = GoldenCase.Load(name);
        var model = ModelAdapter.Create(name);
        var (shape, input) = golden.Tensor("inputs", "input");
        int B = shape[0], F = shape[1], O = model.Output;
        float[] x = Layout.ToFloat(input);
        LoadParameters(model, golden, suffix: "_l0");
        Set(model.H0(), golden.Tensor("inputs", "h").Values);
        if (model.C0 is not null) Set(model.C0(), golden.Tensor("inputs", "c").Values);
        double[] hNext = golden.Tensor("outputs", "h_next").Values;

        // Streaming: one Step from the initial state is the cell.
        var stepOutput = new float[B * O];
        model.ResetState!();
        model.Step!(x, stepOutput);
        Tolerance.AssertClose(stepOutput, hNext, "Step h'");
        Tolerance.AssertClose(model.Hn(), hNext, "Step h_n");
        if (model.Cn is not null) Tolerance.AssertClose(model.Cn(), golden.Tensor("outputs", "c_next").Values, "Step c'");

        // Gradients: a Forward of length 1 ([B, 1, F] is [B, F]) and Backward.
        var output = new float[B * O];
        model.Forward(x, output, 1);
        Tolerance.AssertClose(output, hNext, "Forward h'");
        model.DHn().Clear(); // h' is the output, which carries its gradient already
        if (model.Cn is not null) SetLossGradient(model.DCn!(), golden.LossWeights("c_next"), model.Cn());
        model.ZeroGradients();
        var inputGradient = new float[B * F];
        model.Backward(Layout.ToFloat(Scale(golden.LossWeights("h_next"), Layout.ToDouble(output))), inputGradient);

        AssertParameterGradients(model, golden, suffix: "_l0");
        Tolerance.AssertClose(inputGradient, golden.Tensor("grad_inputs", "input").Values, "∂input");
        Tolerance.AssertClose(model.DH0(), golden.Tensor("grad_inputs", "h").Values, "∂h");
        if (model.C0 is not null) Tolerance.AssertClose(model.DC0!(), golden.Tensor("grad_inputs", "c").Values, "∂c");
    }

    private static void LoadParameters(ModelAdapter model, GoldenCase golden, string suffix)
    {
        int loaded = 0;
        foreach (string name in golden.Names("params"))
        {
            var (shape, values) = golden.Tensor("params", name);
            NamedParameter parameter = model.Parameters["Rnn." + name + suffix];
            Assert.Equal(shape, parameter.Shape.ToArray());
            Set(parameter.Values, values);
            loaded++;
        }
        Assert.Equal(model.Parameters.Count, loaded);
    }

    private static void AssertParameterGradients(ModelAdapter model, GoldenCase golden, string suffix)
    {
        foreach (string name in golden.Names("grad_params"))
        {
            Tolerance.AssertClose(model.Parameters["Rnn." + name + suffix].Gradients, golden.Tensor("grad_params", name).Values, "∂" + name);
        }
    }

    private static void Set(Span<float> destination, double[] values)
    {
        Assert.Equal(values.Length, destination.Length);
        for (int i = 0; i < values.Length; i++) destination[i] = (float)values[i];
    }

    private static double[] Scale(double[] weights, double[] values) => weights.Select((w, i) => 2 * w * values[i]).ToArray();

    private static void SetLossGradient(Span<float> destination, double[] weights, Span<float> state)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)(2 * weights[i] * state[i]);
    }
}

/// <summary>Conversions between PyTorch's time-major layout and Unroll's batch-first one.</summary>
public static class Layout
{
    public static float[] ToBatchFirst(double[] timeMajor, int T, int B, int F)
    {
        var result = new float[T * B * F];
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int f = 0; f < F; f++)
                    result[(b * T + t) * F + f] = (float)timeMajor[(t * B + b) * F + f];
        return result;
    }

    public static double[] ToTimeMajor(ReadOnlySpan<float> batchFirst, int B, int T, int F)
    {
        var result = new double[T * B * F];
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int f = 0; f < F; f++)
                    result[(t * B + b) * F + f] = batchFirst[(b * T + t) * F + f];
        return result;
    }

    public static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

    public static double[] ToDouble(ReadOnlySpan<float> values) => values.ToArray().Select(v => (double)v).ToArray();
}
