using Xunit;

namespace Unroll.Tests.Transformer;

/// <summary>
/// The encoder–decoder transformer against PyTorch (Golden/make_transformer_decoder_golden.py): nn.TransformerEncoderLayer
/// and nn.TransformerDecoderLayer stacked as nn.TransformerDecoder, with a memory key padding mask for the source rows'
/// lengths. Outputs, every parameter's gradient, and the source's (and float target's) gradient.
/// </summary>
public class TransformerDecoderGoldenTests
{
    [Fact]
    public void Post_norm_token_targets_match_PyTorch()
    {
        var model = new GoldenTransformerPost();
        AssertMatches(model, "transformer_decoder_post", (source, target, output, lengths) =>
            model.Forward(source, target.Select(v => (int)v).ToArray(), output, GoldenTransformerPost.SequenceLength, GoldenTransformerPost.TargetLength, lengths),
            (outputGradient, sourceGradient, _) => model.Backward(outputGradient, sourceGradient));
    }

    [Fact]
    public void Pre_norm_stacked_float_targets_match_PyTorch()
    {
        var model = new GoldenTransformerPreStacked();
        AssertMatches(model, "transformer_decoder_pre_stacked", (source, target, output, lengths) =>
            model.Forward(source, target, output, GoldenTransformerPreStacked.SequenceLength, GoldenTransformerPreStacked.TargetLength, lengths),
            (outputGradient, sourceGradient, targetGradient) => model.Backward(outputGradient, sourceGradient, targetGradient!));
    }

    private static void AssertMatches(ISequenceModel model, string name, Action<float[], float[], float[], int[]> forward, Action<float[], float[], float[]?> backward)
    {
        var golden = GoldenCase.Load(name);
        foreach (string p in golden.Names("params"))
        {
            var (shape, values) = golden.Tensor("params", p);
            NamedParameter parameter = model.NamedParameters[p];
            Assert.Equal(shape, parameter.Shape.ToArray());
            for (int i = 0; i < values.Length; i++) parameter.Values[i] = (float)values[i];
        }
        Assert.Equal(golden.Names("params").Count(), model.NamedParameters.Count);

        float[] source = golden.Tensor("inputs", "src").Values.Select(v => (float)v).ToArray();
        double[] target = golden.Tensor("inputs", "tgt_in").Values;
        int[] lengths = golden.Lengths;
        double[] expected = golden.Tensor("outputs", "output").Values;
        var output = new float[expected.Length];
        double[] w = golden.LossWeights("output");
        bool tokens = golden.Tensor("inputs", "tgt_in").Shape.Length == 2;
        var sourceGradient = new float[source.Length];
        float[]? targetGradient = tokens ? null : new float[target.Length];
        forward(source, target.Select(v => (float)v).ToArray(), output, lengths);
        model.ZeroGradients();
        backward(output.Select((o, i) => (float)(2 * w[i] * o)).ToArray(), sourceGradient, targetGradient);
        Tolerance.AssertClose(output, expected, "output");
        foreach (string p in golden.Names("grad_params"))
        {
            Tolerance.AssertClose(model.NamedParameters[p].Gradients, golden.Tensor("grad_params", p).Values, "∂" + p);
        }
        Tolerance.AssertClose(sourceGradient, golden.Tensor("grad_inputs", "src").Values, "∂src");
        if (targetGradient is not null) Tolerance.AssertClose(targetGradient, golden.Tensor("grad_inputs", "tgt_in").Values, "∂tgt_in");
    }
}
