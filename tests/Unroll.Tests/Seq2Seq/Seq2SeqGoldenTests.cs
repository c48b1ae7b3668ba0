using Xunit;

namespace Unroll.Tests.Seq2Seq;

/// <summary>
/// The encoder–decoder against golden/seq2seq_bahdanau_lstm: outputs, attention weights, final states and
/// every gradient. The golden loss also covers the encoder's outputs, which the encoder–decoder does not
/// return; their share of the gradients comes from the same encoder compiled alone, and the sums are compared.
/// </summary>
public class Seq2SeqGoldenTests
{
    private static string Ours(string golden) => golden switch
    {
        _ when golden.StartsWith("enc.") => "Enc." + golden.Substring(4),
        _ when golden.StartsWith("dec.") => "Dec.cell." + golden.Substring(4),
        _ => "Dec." + golden,
    };

    [Fact]
    public void Matches_PyTorch()
    {
        var golden = GoldenCase.Load("seq2seq_bahdanau_lstm");
        var model = new GoldenSeq2Seq();
        var encoder = new GoldenSeq2SeqEncoder();
        foreach (string p in golden.Names("params"))
        {
            var (shape, values) = golden.Tensor("params", p);
            NamedParameter parameter = model.NamedParameters[Ours(p)];
            Assert.Equal(shape, parameter.Shape.ToArray());
            for (int i = 0; i < values.Length; i++) parameter.Values[i] = (float)values[i];
            if (p.StartsWith("enc.")) model.NamedParameters[Ours(p)].Values.CopyTo(encoder.NamedParameters[Ours(p)].Values);
        }
        Assert.Equal(golden.Names("params").Count(), model.NamedParameters.Count);

        const int B = 2, Ts = 4, Td = 3, I = 3, H = 5, O = 3;
        float[] source = Layout.ToBatchFirst(golden.Tensor("inputs", "src").Values, Ts, B, I);
        float[] target = Layout.ToBatchFirst(golden.Tensor("inputs", "tgt_in").Values, Td, B, O);
        var output = new float[B * Td * O];
        model.Forward(source, target, output);
        var encoderOutput = new float[B * Ts * H];
        encoder.Forward(source, encoderOutput);

        Tolerance.AssertClose(Layout.ToFloat(Layout.ToTimeMajor(output, B, Td, O)), golden.Tensor("outputs", "output").Values, "output");
        float[] weights = model.Dec.AttentionWeights.Slice(0, B * Td * Ts).ToArray();
        Tolerance.AssertClose(Layout.ToFloat(Layout.ToTimeMajor(weights, B, Td, Ts)), golden.Tensor("outputs", "attn_weights").Values, "attention weights");
        Tolerance.AssertClose(model.Dec.FinalHidden, golden.Tensor("outputs", "s_n").Values, "s_n");
        Tolerance.AssertClose(model.Dec.FinalCell, golden.Tensor("outputs", "c_n").Values, "c_n");
        Tolerance.AssertClose(Layout.ToFloat(Layout.ToTimeMajor(encoderOutput, B, Ts, H)), golden.Tensor("outputs", "encoder_output").Values, "encoder output");

        // loss = Σ w ⊙ o² over every output: each gradient is 2 w ⊙ o, in our layouts.
        float[] Gradient(string name, ReadOnlySpan<float> batchFirst, int T, int F)
        {
            double[] w = golden.LossWeights(name);
            double[] timeMajor = Layout.ToTimeMajor(batchFirst, B, T, F);
            return Layout.ToBatchFirst(timeMajor.Select((o, i) => 2 * w[i] * o).ToArray(), T, B, F);
        }
        Gradient("attn_weights", weights, Td, Ts).CopyTo(model.Dec.AttentionWeightsGradient);
        double[] ws = golden.LossWeights("s_n"), wc = golden.LossWeights("c_n");
        for (int i = 0; i < B * H; i++)
        {
            model.Dec.FinalHiddenGradient[i] = (float)(2 * ws[i] * model.Dec.FinalHidden[i]);
            model.Dec.FinalCellGradient[i] = (float)(2 * wc[i] * model.Dec.FinalCell[i]);
        }
        model.ZeroGradients();
        encoder.ZeroGradients();
        var sourceGradient = new float[source.Length];
        var targetGradient = new float[target.Length];
        model.Backward(Gradient("output", output, Td, O), sourceGradient, targetGradient);
        var encoderSourceGradient = new float[source.Length];
        encoder.Backward(Gradient("encoder_output", encoderOutput, Ts, H), encoderSourceGradient);

        foreach (string p in golden.Names("grad_params"))
        {
            float[] ours = model.NamedParameters[Ours(p)].Gradients.ToArray();
            if (p.StartsWith("enc."))
            {
                ReadOnlySpan<float> share = encoder.NamedParameters[Ours(p)].Gradients;
                for (int i = 0; i < ours.Length; i++) ours[i] += share[i];
            }
            Tolerance.AssertClose(ours, golden.Tensor("grad_params", p).Values, "∂" + p);
        }
        for (int i = 0; i < source.Length; i++) sourceGradient[i] += encoderSourceGradient[i];
        Tolerance.AssertClose(Layout.ToFloat(Layout.ToTimeMajor(sourceGradient, B, Ts, I)), golden.Tensor("grad_inputs", "src").Values, "∂src");
        Tolerance.AssertClose(Layout.ToFloat(Layout.ToTimeMajor(targetGradient, B, Td, O)), golden.Tensor("grad_inputs", "tgt_in").Values, "∂tgt_in");
    }
}
