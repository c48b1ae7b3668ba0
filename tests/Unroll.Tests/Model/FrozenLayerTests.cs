using Xunit;

namespace Unroll.Tests;

// Each frozen model beside its twin, which trains every layer: the same layers in the same state-dict order.

/// <summary>Frozen word vectors under an LSTM, as over pretrained embeddings.</summary>
[Model(SequenceLength = 7, BatchSize = 3)]
public partial class FrozenEmbeddingTagger
{
    [Embedding(11, 6, Trainable = false)] public partial EmbeddingLayer Embed { get; }
    [Lstm(6, 8)] public partial LstmLayer Rnn { get; }
    [Linear(8, 5)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 7, BatchSize = 3)]
public partial class FrozenEmbeddingTwin
{
    [Embedding(11, 6)] public partial EmbeddingLayer Embed { get; }
    [Lstm(6, 8)] public partial LstmLayer Rnn { get; }
    [Linear(8, 5)] public partial LinearLayer Head { get; }
}

/// <summary>Frozen layers in the middle (a linear map and a LayerNorm) and a frozen GRU first: gradients pass through them.</summary>
[Model(SequenceLength = 6, BatchSize = 3)]
public partial class FrozenMiddle
{
    [Gru(4, 6, Trainable = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 6, Trainable = false)] public partial LinearLayer Mix { get; }
    [LayerNorm(6, Trainable = false)] public partial LayerNormLayer Norm { get; }
    [Activation(ActivationFunction.Tanh, Trainable = false)] public partial ActivationLayer Squash { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 6, BatchSize = 3)]
public partial class FrozenMiddleTwin
{
    [Gru(4, 6)] public partial GruLayer Rnn { get; }
    [Linear(6, 6)] public partial LinearLayer Mix { get; }
    [LayerNorm(6)] public partial LayerNormLayer Norm { get; }
    [Activation(ActivationFunction.Tanh)] public partial ActivationLayer Squash { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary>A frozen convolution and BatchNorm (whose running statistics still update in training, as PyTorch's do) before a GRU.</summary>
[Model(SequenceLength = 8, BatchSize = 3)]
public partial class FrozenConv
{
    [Conv1d(3, 4, 3, Padding = 1, Trainable = false)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(4, Trainable = false)] public partial BatchNormLayer Norm { get; }
    [Gru(4, 5)] public partial GruLayer Rnn { get; }
    [Linear(5, 2)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 8, BatchSize = 3)]
public partial class FrozenConvTwin
{
    [Conv1d(3, 4, 3, Padding = 1)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(4)] public partial BatchNormLayer Norm { get; }
    [Gru(4, 5)] public partial GruLayer Rnn { get; }
    [Linear(5, 2)] public partial LinearLayer Head { get; }
}

/// <summary>Frozen causal self-attention between trained layers.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class FrozenAttention
{
    [Linear(3, 8)] public partial LinearLayer In { get; }
    [SelfAttention(8, NumHeads = 2, Causal = true, Trainable = false)] public partial SelfAttentionLayer Attend { get; }
    [Linear(8, 3)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 5, BatchSize = 2)]
public partial class FrozenAttentionTwin
{
    [Linear(3, 8)] public partial LinearLayer In { get; }
    [SelfAttention(8, NumHeads = 2, Causal = true)] public partial SelfAttentionLayer Attend { get; }
    [Linear(8, 3)] public partial LinearLayer Head { get; }
}

/// <summary>A trained encoder under a frozen attention decoder.</summary>
[Model(SequenceLength = 4, TargetLength = 3, BatchSize = 2)]
public partial class FrozenDecoder
{
    [Lstm(3, 5)] public partial LstmLayer Enc { get; }
    [AttentionDecoder(3, 5, 3, AttentionSize = 6, Trainable = false)] public partial AttentionDecoderLayer Dec { get; }
}

/// <summary>A frozen head of a model whose weights are compiled in (the BatchNorm fixture, PyTorch's state dict).</summary>
[Model(SequenceLength = 5, BatchSize = 4)]
public partial class FrozenBn
{
    [Linear(3, 5, Trainable = false)] public partial LinearLayer In { get; }
    [BatchNorm(5, Trainable = false)] public partial BatchNormLayer Norm { get; }
    [Linear(5, 2)] public partial LinearLayer Out { get; }
}

[InferenceModel(typeof(FrozenBn), Weights = "batchnorm.safetensors")]
public partial class FrozenBnCompiled;

/// <summary>
/// <c>Trainable = false</c>: a frozen layer's parameters get no gradient and are outside <c>Parameters</c> and
/// <c>Gradients</c>, so optimizers leave them as they are, while every other gradient (the parameters', the input's, the
/// initial states') is bit for bit its twin's, which trains every layer; they save, load and compile in under their names.
/// </summary>
public class FrozenLayerTests
{
    [Fact]
    public void A_frozen_embedding_gets_no_gradient_and_the_rest_train_as_before()
    {
        var model = new FrozenEmbeddingTagger(1);
        var twin = new FrozenEmbeddingTwin(2);
        AssertFrozen(model, twin, "Embed.");
        int[] tokens = Tokens(2 * 6, 11, 3); // a partial batch of 2 rows, 6 steps, per-row lengths
        AssertTrainsAsTwin(model, twin, tokens, 6, [6, 4], rows: 2);
    }

    [Fact]
    public void Gradients_pass_through_frozen_layers_to_the_input_and_the_initial_state()
    {
        var model = new FrozenMiddle(1);
        var twin = new FrozenMiddleTwin(2);
        AssertFrozen(model, twin, "Rnn.", "Mix.", "Norm.");
        float[] input = Floats(3 * 5 * 4, 4);
        new SeededRandom(5).FillNormal(twin.Rnn.InitialHidden);
        twin.Rnn.InitialHidden.CopyTo(model.Rnn.InitialHidden);
        float[] inputGradient = AssertTrainsAsTwin(model, twin, input, 5, [5, 3, 4], rows: 3, (dy, dx) => model.Backward(dy, dx), (dy, dx) => twin.Backward(dy, dx));
        Assert.Contains(inputGradient, v => v != 0);
        Assert.Equal(twin.Rnn.InitialHiddenGradient.ToArray(), model.Rnn.InitialHiddenGradient.ToArray());
        Assert.Contains(model.Rnn.InitialHiddenGradient.ToArray(), v => v != 0);
    }

    [Fact]
    public void A_frozen_convolution_and_batch_norm_pass_gradients_on_and_keep_their_statistics()
    {
        var model = new FrozenConv(1);
        var twin = new FrozenConvTwin(2);
        AssertFrozen(model, twin, "Conv.", "Norm.weight", "Norm.bias");
        AssertTrainsAsTwin(model, twin, Floats(3 * 8 * 3, 6), 8, [8, 5, 7], rows: 3, (dy, dx) => model.Backward(dy, dx), (dy, dx) => twin.Backward(dy, dx));
        Assert.Equal(twin.Norm.RunningMean.ToArray(), model.Norm.RunningMean.ToArray());
        Assert.Equal(1, model.Norm.NumBatchesTracked);
    }

    [Fact]
    public void Frozen_attention_passes_gradients_on_and_still_streams()
    {
        var model = new FrozenAttention(1);
        var twin = new FrozenAttentionTwin(2);
        AssertFrozen(model, twin, "Attend.");
        float[] input = Floats(2 * 5 * 3, 7);
        AssertTrainsAsTwin(model, twin, input, 5, [], rows: 2, (dy, dx) => model.Backward(dy, dx), (dy, dx) => twin.Backward(dy, dx));

        // Step ≡ Forward with the frozen weights.
        var whole = new float[2 * 5 * 3];
        model.Forward(input, whole);
        model.ResetState();
        var step = new float[2 * 3];
        var x = new float[2 * 3];
        for (int t = 0; t < 5; t++)
        {
            for (int b = 0; b < 2; b++) input.AsSpan((b * 5 + t) * 3, 3).CopyTo(x.AsSpan(b * 3));
            model.Step(x, step);
            for (int i = 0; i < 2 * 3; i++) Assert.True(Math.Abs(step[i] - whole[(i / 3 * 5 + t) * 3 + i % 3]) < 1e-5, $"step {t}, value {i}");
        }
    }

    [Fact]
    public void A_frozen_decoder_trains_its_encoder_only()
    {
        var model = new FrozenDecoder(1);
        var twin = new Seq2Seq.GoldenSeq2Seq(2);
        AssertFrozen(model, twin, "Dec.");
        Copy(twin, model);
        float[] source = Floats(2 * 4 * 3, 8), target = Floats(2 * 3 * 3, 9);
        var output = new float[2 * 3 * 3];
        var twinOutput = new float[output.Length];
        model.Forward(source, target, output, 4, 3, [4, 2]);
        twin.Forward(source, target, twinOutput, 4, 3, [4, 2]);
        Assert.Equal(twinOutput, output);
        float[] dy = Floats(output.Length, 10);
        model.ZeroGradients();
        twin.ZeroGradients();
        float[] dSource = new float[source.Length], dTarget = new float[target.Length];
        float[] twinSource = new float[source.Length], twinTarget = new float[target.Length];
        model.Backward(dy, dSource, dTarget);
        twin.Backward(dy, twinSource, twinTarget);
        Assert.Equal(twinSource, dSource);
        Assert.Equal(twinTarget, dTarget);
        AssertGradientsAsTwin(model, twin);
    }

    [Fact]
    public void Frozen_weights_compile_in_and_give_the_twin_s_outputs()
    {
        var compiled = new FrozenBnCompiled();
        var twin = new BnCompiled();
        Assert.Equal(FrozenBnCompiled.ParameterCount, FrozenBn.ParameterCount);
        Assert.Equal(12, FrozenBn.ParameterCount); // Out only: 5·2 + 2
        float[] x = Floats(4 * 5 * 3, 11);
        var output = new float[4 * 5 * 2];
        var expected = new float[output.Length];
        compiled.Forward(x, output, 5, [5, 3, 1, 4]);
        twin.Forward(x, expected, 5, [5, 3, 1, 4]);
        Assert.Equal(expected, output);
        Assert.True(compiled.NamedParameters["In.weight"].IsFrozen);
    }

    [Fact]
    public void The_summary_counts_frozen_parameters_apart()
    {
        string summary = FrozenEmbeddingTagger.Summary();
        Assert.Contains("Embedding(11 → 6), frozen", summary);
        Assert.Contains($"Parameters: {FrozenEmbeddingTagger.ParameterCount:N0} trained, 66 frozen", summary.Replace('\u202F', ','));
    }

    [Fact]
    public void Training_a_frozen_model_allocates_nothing()
    {
        var model = new FrozenEmbeddingTagger(1);
        int[] tokens = Tokens(3 * 7, 11, 12);
        var output = new float[3 * 7 * 5];
        float[] dy = Floats(output.Length, 13);
        var optimizer = new Adam(FrozenEmbeddingTagger.ParameterCount);
        void Train()
        {
            model.Forward(tokens, output);
            model.ZeroGradients();
            model.Backward(dy);
            optimizer.Step(model.Parameters, model.Gradients);
        }

        Train();
        Assert.Equal(0, Allocations.Of(Train));
    }

    /// <summary>The frozen model's layout beside its twin's: same tensors, the ones under <paramref name="frozen"/> frozen and outside Parameters.</summary>
    private static void AssertFrozen(IInferenceModel model, IInferenceModel twin, params string[] frozen)
    {
        Assert.Equal(twin.NamedParameters.Select(p => (p.Name, string.Join(",", p.Shape.ToArray()))), model.NamedParameters.Select(p => (p.Name, string.Join(",", p.Shape.ToArray()))));
        int frozenLength = 0;
        foreach (NamedParameter p in model.NamedParameters)
        {
            bool expected = frozen.Any(p.Name.StartsWith) && !p.IsBuffer;
            Assert.True(expected == p.IsFrozen, $"{p.Name}: IsFrozen {p.IsFrozen}");
            if (!p.IsFrozen) continue;
            Assert.True(p.Gradients.IsEmpty, p.Name);
            frozenLength += p.Length;
        }
        Assert.True(frozenLength > 0);
        Assert.Equal(twin.ParameterCount - frozenLength, model.ParameterCount);
        Assert.Equal(model.ParameterCount, model.Parameters.Length);
    }

    /// <summary>
    /// With the twin's weights: the same outputs and (bit for bit) the same gradients of every trained parameter and of the
    /// input; then an Adam step leaves the frozen values as they were and moves the others as the twin's.
    /// </summary>
    private static float[] AssertTrainsAsTwin<T>(ISequenceModel<T> model, ISequenceModel<T> twin, T[] input, int length, int[] lengths, int rows,
        Action<float[], float[]>? backward = null, Action<float[], float[]>? twinBackward = null) where T : unmanaged
    {
        Copy(twin, model);
        var output = new float[rows * (model.OutputSize * length)];
        var expected = new float[output.Length];
        model.Forward(input, output, length, lengths);
        twin.Forward(input, expected, length, lengths);
        Assert.Equal(expected, output);

        float[] dy = Floats(output.Length, 21);
        model.ZeroGradients();
        twin.ZeroGradients();
        var inputGradient = new float[input.Length];
        var twinGradient = new float[input.Length];
        if (backward is null) model.Backward(dy);
        else backward(dy, inputGradient);
        if (twinBackward is null) twin.Backward(dy);
        else twinBackward(dy, twinGradient);
        Assert.Equal(twinGradient, inputGradient);
        AssertGradientsAsTwin(model, twin);

        float[][] frozenBefore = model.NamedParameters.Where(p => p.IsFrozen).Select(p => p.Values.ToArray()).ToArray();
        var adam = new Adam(model.ParameterCount, 0.01f);
        var twinAdam = new Adam(twin.ParameterCount, 0.01f);
        adam.Step(model.Parameters, model.Gradients);
        twinAdam.Step(twin.Parameters, twin.Gradients);
        Assert.Equal(frozenBefore, model.NamedParameters.Where(p => p.IsFrozen).Select(p => p.Values.ToArray()).ToArray());
        foreach (NamedParameter p in model.NamedParameters.Where(p => !p.IsFrozen && !p.IsBuffer))
            Assert.True(twin.NamedParameters[p.Name].Values.SequenceEqual(p.Values), $"{p.Name} after an Adam step");

        // Saved and loaded under PyTorch's names, frozen ones included.
        string path = Path.Combine(Path.GetTempPath(), $"unroll-frozen-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.SaveSafetensors(path);
            twin.LoadSafetensors(path);
            foreach (NamedParameter p in model.NamedParameters)
                Assert.True(twin.NamedParameters[p.Name].Values.SequenceEqual(p.Values), $"{p.Name} through a safetensors file");
        }
        finally
        {
            File.Delete(path);
        }
        return inputGradient;
    }

    private static void AssertGradientsAsTwin(ISequenceModel model, ISequenceModel twin)
    {
        foreach (NamedParameter p in model.NamedParameters.Where(p => !p.IsFrozen && !p.IsBuffer))
        {
            Assert.True(twin.NamedParameters[p.Name].Gradients.SequenceEqual(p.Gradients), $"∂{p.Name}");
            Assert.Contains(p.Gradients.ToArray(), v => v != 0);
        }
    }

    private static void Copy(IInferenceModel from, IInferenceModel to)
    {
        foreach (NamedParameter p in from.NamedParameters) p.Values.CopyTo(to.NamedParameters[p.Name].Values);
    }

    private static float[] Floats(int count, ulong seed)
    {
        var values = new float[count];
        new SeededRandom(seed).FillNormal(values);
        return values;
    }

    private static int[] Tokens(int count, int vocabulary, ulong seed)
    {
        var random = new SeededRandom(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)(random.NextSingle() * vocabulary);
        return tokens;
    }
}
