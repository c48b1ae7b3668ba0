using Xunit;

namespace Unroll.Tests;

// The models of Golden/make_transformer_golden.py, and one with dropout.

[Model(SequenceLength = 6, BatchSize = 3)]
public partial class EncoderPost
{
    [Linear(3, 8)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(8, NumHeads = 2, FeedForward = 12, Dropout = 0)] public partial TransformerEncoderLayer Block { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 6, BatchSize = 3)]
public partial class EncoderPreCausal
{
    [Linear(3, 8)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(8, NumHeads = 4, FeedForward = 10, Dropout = 0, Activation = ActivationFunction.Gelu, NormFirst = true, Causal = true)]
    public partial TransformerEncoderLayer Block { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 5, BatchSize = 3)]
public partial class EncoderStacked
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(6, NumHeads = 3, FeedForward = 7, Dropout = 0, Causal = true)] public partial TransformerEncoderLayer First { get; }
    [TransformerEncoderLayer(6, NumHeads = 2, FeedForward = 5, Dropout = 0, NormFirst = true)] public partial TransformerEncoderLayer Second { get; }
    [Linear(6, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A causal stack with dropout, post-norm then pre-norm, smooth activations (for finite differences), which streams.</summary>
[Model(SequenceLength = 7, BatchSize = 2)]
public partial class EncoderDropout
{
    [Linear(3, 6)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(6, NumHeads = 2, FeedForward = 9, Dropout = 0.3, Activation = ActivationFunction.Gelu, Causal = true)] public partial TransformerEncoderLayer First { get; }
    [TransformerEncoderLayer(6, NumHeads = 3, FeedForward = 5, Dropout = 0.3, Activation = ActivationFunction.Silu, Causal = true, NormFirst = true)] public partial TransformerEncoderLayer Second { get; }
    [Linear(6, 2)] public partial LinearLayer Head { get; }
}

/// <summary>EncoderPost for inference only, with PyTorch's weights compiled in (IO/Fixtures/transformer_encoder_post.safetensors).</summary>
[InferenceModel(typeof(EncoderPost), Weights = "transformer_encoder_post.safetensors")]
public partial class CompiledEncoderPost;

/// <summary>EncoderPreCausal with its block frozen.</summary>
[Model(SequenceLength = 6, BatchSize = 3)]
public partial class EncoderFrozen
{
    [Linear(3, 8)] public partial LinearLayer In { get; }
    [TransformerEncoderLayer(8, NumHeads = 4, FeedForward = 10, Dropout = 0, Activation = ActivationFunction.Gelu, NormFirst = true, Causal = true, Trainable = false)]
    public partial TransformerEncoderLayer Block { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

/// <summary>
/// <c>[TransformerEncoderLayer]</c> against PyTorch's <c>nn.TransformerEncoderLayer</c> (Golden/transformer_*.json, made by
/// Golden/make_transformer_golden.py: each row alone on its own steps, as a key padding mask gives): outputs, every
/// parameter's gradient and the input's, post- and pre-norm, ReLU and GELU, causal or not, stacked at odd sizes; finite
/// differences with dropout; Step ≡ Forward for the causal ones; compiled-in weights; frozen; nothing allocated per call.
/// </summary>
public class TransformerEncoderLayerTests
{
    public static TheoryData<string> Cases => new() { "encoder_post", "encoder_pre_causal", "encoder_stacked" };

    private static IFeatureInputModel Create(string name, int seed = 0) => name switch
    {
        "encoder_post" => new EncoderPost(seed),
        "encoder_pre_causal" => new EncoderPreCausal(seed),
        "encoder_stacked" => new EncoderStacked(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_PyTorch_with_rows_of_their_own_lengths(string name)
    {
        var golden = GoldenCase.Load("transformer_" + name);
        IFeatureInputModel model = Create(name);
        int batch = model.BatchSize, time = model.SequenceLength, width = model.OutputSize;
        golden.LoadParameters(model);
        int[] lengths = golden.Lengths;
        var output = new float[batch * time * width];
        model.Forward(Layout.ToFloat(golden.Tensor("inputs", "x").Values), output, time, lengths);
        double[] expected = golden.Tensor("outputs", "output").Values;
        for (int b = 0; b < batch; b++)
            Tolerance.AssertClose(output.AsSpan(b * time * width, lengths[b] * width), expected.AsSpan(b * time * width, lengths[b] * width), $"row {b}'s output", 1e-5, 1e-5);
        golden.AssertGradients(model, output);
    }

    [Fact]
    public void A_partial_batch_gives_each_row_what_the_full_batch_gives_it()
    {
        var model = new EncoderPost(3);
        var x = new float[3 * 6 * 3];
        new SeededRandom(4).FillNormal(x);
        var full = new float[3 * 6 * 2];
        model.Forward(x, full, 6, [6, 4, 5]);
        var partial = new float[2 * 6 * 2];
        model.Forward(x.AsSpan(0, 2 * 6 * 3), partial, 6, [6, 4]);
        Assert.Equal(full.AsSpan(0, 6 * 2).ToArray(), partial.AsSpan(0, 6 * 2).ToArray());
        Assert.Equal(full.AsSpan(6 * 2, 4 * 2).ToArray(), partial.AsSpan(6 * 2, 4 * 2).ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_matches_finite_differences_with_dropout(bool training)
    {
        var model = new EncoderDropout(5) { Training = training };
        var x = new float[2 * 5 * 3];
        new SeededRandom(6).FillNormal(x);
        var weights = new float[2 * 5 * 2];
        new SeededRandom(7).FillNormal(weights);
        weights.AsSpan((5 + 3) * 2, 2 * 2).Clear(); // row 1's steps past its length 3 are padding: no loss there
        // The same dropout masks on every evaluation: the generator restarts from one state.
        var state = new float[4];
        model.DropoutGenerator.SaveState(state);
        FloatFiniteDifferences.AssertModelGradients(model, weights, output =>
        {
            model.DropoutGenerator.LoadState(state);
            model.Forward(x, output, 5, [5, 3]);
        }, x, step: 1e-3f);
    }

    [Fact]
    public void Dropout_is_active_only_in_training()
    {
        var model = new EncoderDropout(5);
        var x = new float[2 * 7 * 3];
        new SeededRandom(8).FillNormal(x);
        var a = new float[2 * 7 * 2];
        var b = new float[a.Length];
        model.Forward(x, a);
        model.Forward(x, b);
        Assert.NotEqual(a, b);
        model.Training = false;
        model.Forward(x, a);
        model.Forward(x, b);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Steps_equal_Forward(bool dropoutModel)
    {
        IStreamingModel<float> model = dropoutModel ? new EncoderDropout(9) { Training = false } : new EncoderPreCausal(9);
        int batch = model.BatchSize, time = model.SequenceLength, inputs = model.InputSize, width = model.OutputSize;
        var x = new float[batch * time * inputs];
        new SeededRandom(10).FillNormal(x);
        var whole = new float[batch * time * width];
        model.Forward(x, whole);
        model.ResetState();
        var stepInput = new float[batch * inputs];
        var stepOutput = new float[batch * width];
        for (int t = 0; t < time; t++)
        {
            for (int b = 0; b < batch; b++) x.AsSpan((b * time + t) * inputs, inputs).CopyTo(stepInput.AsSpan(b * inputs));
            model.Step(stepInput, stepOutput);
            for (int b = 0; b < batch; b++)
                Tolerance.AssertClose(stepOutput.AsSpan(b * width, width), Layout.ToDouble(whole.AsSpan((b * time + t) * width, width)), $"row {b}, step {t}", 1e-5, 1e-5);
        }
        Assert.Throws<InvalidOperationException>(() => model.Step(stepInput, stepOutput));
    }

    [Fact]
    public void Compiled_in_weights_give_PyTorch_s_output()
    {
        var golden = GoldenCase.Load("transformer_encoder_post");
        var model = new CompiledEncoderPost();
        var output = new float[3 * 6 * 2];
        int[] lengths = golden.Lengths;
        model.Forward(Layout.ToFloat(golden.Tensor("inputs", "x").Values), output, 6, lengths);
        double[] expected = golden.Tensor("outputs", "output").Values;
        for (int b = 0; b < 3; b++)
            Tolerance.AssertClose(output.AsSpan(b * 6 * 2, lengths[b] * 2), expected.AsSpan(b * 6 * 2, lengths[b] * 2), $"row {b}'s output", 1e-5, 1e-5);
    }

    [Fact]
    public void A_frozen_block_passes_gradients_on_without_its_own()
    {
        var model = new EncoderFrozen(1);
        var twin = new EncoderPreCausal(2);
        Assert.Equal(EncoderPreCausal.ParameterCount - (3 * 64 + 24 + 64 + 8 + 80 + 10 + 80 + 8 + 32), EncoderFrozen.ParameterCount);
        foreach (NamedParameter p in twin.NamedParameters) p.Values.CopyTo(model.NamedParameters[p.Name].Values);
        var x = new float[3 * 6 * 3];
        new SeededRandom(3).FillNormal(x);
        var output = new float[3 * 6 * 2];
        var expected = new float[output.Length];
        model.Forward(x, output, 6, [6, 2, 4]);
        twin.Forward(x, expected, 6, [6, 2, 4]);
        Assert.Equal(expected, output);
        var dy = new float[output.Length];
        new SeededRandom(4).FillNormal(dy);
        model.ZeroGradients();
        twin.ZeroGradients();
        var dx = new float[x.Length];
        var twinDx = new float[x.Length];
        model.Backward(dy, dx);
        twin.Backward(dy, twinDx);
        Assert.Equal(twinDx, dx);
        Assert.Equal(twin.In.WeightGradient.ToArray(), model.In.WeightGradient.ToArray());
        Assert.Equal(twin.Head.WeightGradient.ToArray(), model.Head.WeightGradient.ToArray());
        Assert.True(model.NamedParameters["Block.linear1.weight"].IsFrozen);
    }

    [Fact]
    public void Forward_Backward_and_Step_allocate_nothing()
    {
        var model = new EncoderDropout(1);
        var x = new float[2 * 7 * 3];
        new SeededRandom(2).FillNormal(x);
        var output = new float[2 * 7 * 2];
        var dx = new float[x.Length];
        var step = new float[2 * 2];
        void Run()
        {
            model.Forward(x, output);
            model.Backward(output, dx);
            model.ResetState();
            model.Step(x.AsSpan(0, 2 * 3), step);
        }

        Run();
        Assert.Equal(0, Allocations.Of(Run));
    }
}
