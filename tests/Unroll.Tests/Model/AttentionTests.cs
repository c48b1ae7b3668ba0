using Xunit;

namespace Unroll.Tests;

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class Mha1Model
{
    [SelfAttention(4, NumHeads = 1, Causal = true)] public partial SelfAttentionLayer Attn { get; }
}

[Model(SequenceLength = 4, BatchSize = 2)]
public partial class Mha2Model
{
    [SelfAttention(4, NumHeads = 2, Causal = true)] public partial SelfAttentionLayer Attn { get; }
}

/// <summary>The golden causal self-attention block: y = x + proj(attention(qkv(x))), output = head(y).</summary>
[Model(SequenceLength = 4, BatchSize = 2)]
public partial class AttentionBlockModel
{
    [SelfAttention(4, Causal = true, Residual = true)] public partial SelfAttentionLayer Attn { get; }
    [Linear(4, 3)] public partial LinearLayer Head { get; }
}

/// <summary>A non-causal, multi-head block at other sizes, for finite differences.</summary>
[Model(SequenceLength = 6, BatchSize = 3)]
public partial class AttentionFdModel
{
    [Linear(5, 6)] public partial LinearLayer Embed { get; }
    [SelfAttention(6, NumHeads = 3, Residual = true)] public partial SelfAttentionLayer Attn { get; }
    [Gru(6, 7)] public partial GruLayer Rnn { get; }
    [SelfAttention(7, Causal = true)] public partial SelfAttentionLayer Mix { get; }
}

/// <summary>
/// Self-attention against PyTorch's golden cases (nn.MultiheadAttention with 1 and 2 heads, and a
/// causal block with a residual connection): outputs, head-averaged weights, every parameter
/// gradient and the input gradient, with the golden loss over the output and the weights.
/// </summary>
public class AttentionTests
{
    [Theory]
    [InlineData("mha_causal_1head", "weights_head_avg")]
    [InlineData("mha_causal_2head", "weights_head_avg")]
    [InlineData("causal_self_attention_block", "weights")]
    public void Matches_PyTorch(string name, string weightsName)
    {
        var golden = GoldenCase.Load(name);
        IFeatureInputModel model = name switch
        {
            "mha_causal_1head" => new Mha1Model(),
            "mha_causal_2head" => new Mha2Model(),
            _ => new AttentionBlockModel(),
        };
        SelfAttentionLayer attention = model switch
        {
            Mha1Model m => m.Attn,
            Mha2Model m => m.Attn,
            AttentionBlockModel m => m.Attn,
            _ => throw new InvalidOperationException(),
        };
        static string Ours(string golden) => golden switch
        {
            "qkv.weight" => "Attn.in_proj_weight",
            "qkv.bias" => "Attn.in_proj_bias",
            "proj.weight" => "Attn.out_proj.weight",
            "proj.bias" => "Attn.out_proj.bias",
            "head.weight" => "Head.weight",
            "head.bias" => "Head.bias",
            _ => "Attn." + golden,
        };
        foreach (string p in golden.Names("params"))
        {
            var (shape, values) = golden.Tensor("params", p);
            NamedParameter parameter = model.NamedParameters[Ours(p)];
            Assert.Equal(shape, parameter.Shape.ToArray());
            for (int i = 0; i < values.Length; i++) parameter.Values[i] = (float)values[i];
        }

        var (xShape, x) = golden.Tensor("inputs", "x");
        int B = xShape[0], T = xShape[1], H = attention.NumHeads;
        var output = new float[B * T * model.OutputSize];
        model.Forward(Layout.ToFloat(x), output);
        Tolerance.AssertClose(output, golden.Tensor("outputs", "output").Values, "output");

        // PyTorch reports the weights averaged over the heads; ours are per head.
        var average = new double[B * T * T];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < T * T; i++)
                    average[b * T * T + i] += attention.Weights[(b * H + h) * T * T + i] / (double)H;
        Tolerance.AssertClose(Layout.ToFloat(average), golden.Tensor("outputs", weightsName).Values, "weights");

        // ∂loss/∂output = 2 w ⊙ output; ∂loss/∂weights of each head = 2 u ⊙ average / H.
        double[] w = golden.LossWeights("output"), u = golden.LossWeights(weightsName);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < T * T; i++)
                    attention.WeightsGradient[(b * H + h) * T * T + i] = (float)(2 * u[b * T * T + i] * average[b * T * T + i] / H);
        model.ZeroGradients();
        var inputGradient = new float[x.Length];
        model.Backward(output.Select((o, i) => (float)(2 * w[i] * o)).ToArray(), inputGradient);

        foreach (string p in golden.Names("grad_params"))
            Tolerance.AssertClose(model.NamedParameters[Ours(p)].Gradients, golden.Tensor("grad_params", p).Values, "∂" + p);
        Tolerance.AssertClose(inputGradient, golden.Tensor("grad_inputs", "x").Values, "∂x");
    }

    [Theory]
    [InlineData(6)]
    [InlineData(4)]
    public void Backward_matches_finite_differences(int length)
    {
        var model = new AttentionFdModel(3);
        const int B = AttentionFdModel.BatchSize, F = AttentionFdModel.InputSize, O = AttentionFdModel.OutputSize;
        var input = new float[B * length * F];
        new SeededRandom(4).FillNormal(input);
        var weights = new float[B * length * O];
        new SeededRandom(5).FillUniform(weights, -1, 1);
        new SeededRandom(6).FillUniform(model.Attn.WeightsGradient.Slice(0, B * 3 * length * length), -1, 1);
        var output = new float[weights.Length];

        // loss = Σ w ⊙ output + Σ u ⊙ (Attn's weights), u its WeightsGradient
        float[] u = model.Attn.WeightsGradient.Slice(0, B * 3 * length * length).ToArray();
        double Loss()
        {
            model.Forward(input, output, length);
            double loss = 0;
            for (int i = 0; i < output.Length; i++) loss += (double)weights[i] * output[i];
            ReadOnlySpan<float> attention = model.Attn.Weights;
            for (int i = 0; i < u.Length; i++) loss += (double)u[i] * attention[i];
            return loss;
        }

        Loss();
        model.ZeroGradients();
        var inputGradient = new float[input.Length];
        model.Backward(weights, inputGradient);
        FloatFiniteDifferences.AssertMatches(model.Parameters, model.Gradients.ToArray(), Loss, "∂parameters");
        FloatFiniteDifferences.AssertMatches(input, inputGradient, Loss, "∂input");
    }

    [Fact]
    public void Causal_weights_are_exactly_zero_above_the_diagonal_and_rows_sum_to_one()
    {
        var model = new Mha2Model(1);
        var input = new float[2 * 4 * 4];
        new SeededRandom(2).FillNormal(input);
        model.Forward(input, new float[input.Length]);
        ReadOnlySpan<float> w = model.Attn.Weights;
        for (int block = 0; block < 2 * 2; block++)
            for (int t = 0; t < 4; t++)
            {
                double sum = 0;
                for (int s = 0; s < 4; s++)
                {
                    float value = w[(block * 4 + t) * 4 + s];
                    if (s > t) Assert.Equal(0f, value);
                    sum += value;
                }
                Assert.Equal(1.0, sum, 1e-6);
            }
    }

    [Fact]
    public void Parameters_follow_nn_MultiheadAttention()
    {
        var model = new Mha2Model(7);
        Assert.Equal(
            ["Attn.in_proj_weight [12, 4]", "Attn.in_proj_bias [12]", "Attn.out_proj.weight [4, 4]", "Attn.out_proj.bias [4]"],
            model.NamedParameters.Select(p => p.ToString()));
        // xavier_uniform_ on in_proj (fan_in 4, fan_out 12), zero biases, out_proj as nn.Linear.
        float xavier = MathF.Sqrt(6f / 16f);
        Assert.All(model.NamedParameters["Attn.in_proj_weight"].Values.ToArray(), v => Assert.InRange(v, -xavier, xavier));
        Assert.Contains(model.NamedParameters["Attn.in_proj_weight"].Values.ToArray(), v => Math.Abs(v) > 0.5f);
        Assert.All(model.NamedParameters["Attn.in_proj_bias"].Values.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(model.NamedParameters["Attn.out_proj.weight"].Values.ToArray(), v => Assert.InRange(v, -0.5f, 0.5f));
        Assert.All(model.NamedParameters["Attn.out_proj.bias"].Values.ToArray(), v => Assert.Equal(0f, v));
    }
}
