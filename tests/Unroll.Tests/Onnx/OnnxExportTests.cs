using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests.Onnx;

/// <summary>A token model: stacked LSTM, dropout (the identity in inference), a linear head.</summary>
[Model(SequenceLength = 7, BatchSize = 3)]
public partial class ExportTokenLstm
{
    [Embedding(11, 6)] public partial EmbeddingLayer Embed { get; }
    [Lstm(6, 8, NumLayers = 2, Dropout = 0.2)] public partial LstmLayer Rnn { get; }
    [Dropout(0.3)] public partial DropoutLayer Drop { get; }
    [Linear(8, 5)] public partial LinearLayer Head { get; }
}

/// <summary>Float features: a stacked bidirectional GRU, LayerNorm, GELU (erf), a linear head.</summary>
[Model(SequenceLength = 6, BatchSize = 2)]
public partial class ExportBidirectionalGru
{
    [Gru(4, 5, NumLayers = 2, Bidirectional = true)] public partial GruLayer Rnn { get; }
    [LayerNorm(10)] public partial LayerNormLayer Norm { get; }
    [Activation(ActivationFunction.Gelu)] public partial ActivationLayer Gelu { get; }
    [Linear(10, 3)] public partial LinearLayer Head { get; }
}

/// <summary>A causal convolution, BatchNorm, SiLU, a ReLU RNN keeping its last step, a tanh-approximated GELU, a linear head.</summary>
[Model(SequenceLength = 9, BatchSize = 2)]
public partial class ExportConvRnn
{
    [Conv1d(3, 6, 3, Causal = true, Dilation = 2)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(6)] public partial BatchNormLayer Norm { get; }
    [Activation(ActivationFunction.Silu)] public partial ActivationLayer Silu { get; }
    [Rnn(6, 4, Nonlinearity = Nonlinearity.Relu, ReturnSequences = false, Bidirectional = true)] public partial RnnLayer Rnn { get; }
    [Activation(ActivationFunction.Gelu, Approximate = GeluApproximation.Tanh)] public partial ActivationLayer Gelu { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

/// <summary>Mean pooling over time after a GRU, LeakyReLU, a linear head; and the streaming form of a plain LSTM.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class ExportPooledGru
{
    [Linear(3, 4)] public partial LinearLayer In { get; }
    [Gru(4, 6)] public partial GruLayer Rnn { get; }
    [Activation(ActivationFunction.LeakyRelu, NegativeSlope = 0.2)] public partial ActivationLayer Leaky { get; }
    [Pooling(PoolingKind.Mean)] public partial PoolingLayer Pool { get; }
    [Linear(6, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A small causal transformer: sinusoidal positions, a pre-norm GELU block with dropout, a post-norm ReLU block, a final norm, the head.</summary>
[Model(SequenceLength = 6, BatchSize = 2)]
public partial class ExportTransformer
{
    [Embedding(13, 8)] public partial EmbeddingLayer Embed { get; }
    [PositionalEncoding(6)] public partial PositionalEncodingLayer Positions { get; }
    [TransformerEncoderLayer(8, NumHeads = 2, FeedForward = 12, Activation = ActivationFunction.Gelu, NormFirst = true, Causal = true)] public partial TransformerEncoderLayer First { get; }
    [TransformerEncoderLayer(8, NumHeads = 4, FeedForward = 10, Dropout = 0)] public partial TransformerEncoderLayer Second { get; }
    [LayerNorm(8)] public partial LayerNormLayer Norm { get; }
    [Linear(8, 13)] public partial LinearLayer Head { get; }
}

/// <summary>A causal transformer that streams: sinusoidal positions, a post-norm and a pre-norm causal block, a norm, the head.</summary>
[Model(SequenceLength = 6, BatchSize = 2)]
public partial class ExportStreamingTransformer
{
    [Embedding(13, 8)] public partial EmbeddingLayer Embed { get; }
    [PositionalEncoding(6)] public partial PositionalEncodingLayer Positions { get; }
    [TransformerEncoderLayer(8, NumHeads = 2, FeedForward = 12, Dropout = 0, Causal = true)] public partial TransformerEncoderLayer First { get; }
    [TransformerEncoderLayer(8, NumHeads = 4, FeedForward = 10, Dropout = 0, Activation = ActivationFunction.Gelu, NormFirst = true, Causal = true)] public partial TransformerEncoderLayer Second { get; }
    [LayerNorm(8)] public partial LayerNormLayer Norm { get; }
    [Linear(8, 13)] public partial LinearLayer Head { get; }
}

/// <summary>Learned positions and a causal self-attention with its residual connection.</summary>
[Model(SequenceLength = 5, BatchSize = 2)]
public partial class ExportSelfAttention
{
    [Linear(3, 4)] public partial LinearLayer In { get; }
    [PositionalEncoding(7, Kind = PositionalEncodingKind.Learned)] public partial PositionalEncodingLayer Positions { get; }
    [SelfAttention(4, NumHeads = 2, Causal = true, Residual = true)] public partial SelfAttentionLayer Attention { get; }
}

/// <summary>Reflect and replicate padding, max and average pooling over windows.</summary>
[Model(SequenceLength = 12, BatchSize = 2)]
public partial class ExportPaddedConvPools
{
    [Conv1d(3, 4, 3, Padding = 1, PaddingMode = PaddingMode.Reflect)] public partial Conv1dLayer Reflect { get; }
    [MaxPool1d(3, Stride = 2, Padding = 1, Dilation = 1)] public partial MaxPool1dLayer Max { get; }
    [Conv1d(4, 5, 3, Padding = 2, Dilation = 2, PaddingMode = PaddingMode.Replicate)] public partial Conv1dLayer Replicate { get; }
    [AvgPool1d(2, Padding = 1, CountIncludePad = false)] public partial AvgPool1dLayer Average { get; }
}

/// <summary>Circular padding, twice as wide as the kernel's reach on one side.</summary>
[Model(SequenceLength = 8, BatchSize = 2)]
public partial class ExportCircularConv
{
    [Conv1d(3, 4, 3, Padding = 1, PaddingMode = PaddingMode.Circular)] public partial Conv1dLayer Conv { get; }
    [Conv1d(4, 2, 2, Padding = 3, Dilation = 2, PaddingMode = PaddingMode.Circular)] public partial Conv1dLayer Wide { get; }
}

/// <summary>A strided convolution (lengths map), a bidirectional LSTM, max pooling of each row's own steps, a linear head.</summary>
[Model(SequenceLength = 9, BatchSize = 2)]
public partial class ExportStridedMaxPooled
{
    [Conv1d(3, 4, 3, Stride = 2, Padding = 1)] public partial Conv1dLayer Conv { get; }
    [Lstm(4, 5, Bidirectional = true)] public partial LstmLayer Rnn { get; }
    [Pooling(PoolingKind.Max)] public partial PoolingLayer Pool { get; }
    [Linear(10, 2)] public partial LinearLayer Head { get; }
}

/// <summary>A GRU and each row's last real step.</summary>
[Model(SequenceLength = 6, BatchSize = 2)]
public partial class ExportLastPooled
{
    [Gru(3, 4)] public partial GruLayer Rnn { get; }
    [Pooling(PoolingKind.Last)] public partial PoolingLayer Pool { get; }
}

/// <summary>A strided convolution then a GRU over the mapped steps (8 → 4).</summary>
[Model(SequenceLength = 8, BatchSize = 2)]
public partial class ExportStridedConvGru
{
    [Conv1d(3, 4, 3, Stride = 2, Padding = 1)] public partial Conv1dLayer Conv { get; }
    [Gru(4, 5)] public partial GruLayer Rnn { get; }
}

/// <summary>Convolutions that stream: a dilated causal one, BatchNorm, ReLU, a 1-wide one, a GRU, a linear head.</summary>
[Model(SequenceLength = 7, BatchSize = 2)]
public partial class ExportStreamingConv
{
    [Conv1d(3, 6, 3, Causal = true, Dilation = 2)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(6)] public partial BatchNormLayer Norm { get; }
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Relu { get; }
    [Conv1d(6, 4, 1, Bias = false)] public partial Conv1dLayer Mix { get; }
    [Gru(4, 5)] public partial GruLayer Rnn { get; }
    [Linear(5, 2)] public partial LinearLayer Head { get; }
}

/// <summary>
/// <c>model.ExportOnnx(path)</c> run by ONNX Runtime: the whole-sequence graph gives <c>Forward</c>'s outputs and the
/// one-step graph, its states fed back, gives <c>Step</c>'s, within 1e-5; a layer with no export is refused by name and
/// nothing is written.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>ONNX Runtime's values within the tolerance of the model's; the largest difference goes to the test's output.</summary>
    private void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, string what, double atol, double rtol)
    {
        Tolerance.AssertClose(actual, expected, what, atol, rtol);
        output.WriteLine($"{what}: max |ONNX Runtime - Unroll| = {Tolerance.LargestDifference(actual, expected):E2} over {expected.Length} values");
    }

    private readonly string _folder = Directory.CreateTempSubdirectory("unroll-onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Random(int count, ulong seed)
    {
        var values = new float[count];
        new SeededRandom(seed).FillNormal(values);
        return values;
    }

    /// <summary>Runs the graph at <paramref name="path"/>: its named inputs in, every output by name.</summary>
    private static Dictionary<string, float[]> Run(string path, params NamedOnnxValue[] inputs)
    {
        using var session = new InferenceSession(path);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.AsEnumerable<float>().ToArray());
    }

    private string Export(IInferenceModel model, OnnxGraph graph = OnnxGraph.Sequence)
    {
        string path = Path.Combine(_folder, $"{model.GetType().Name}-{graph}.onnx");
        model.ExportOnnx(path, graph);
        return path;
    }

    [Fact]
    public void A_token_lstm_gives_Forward_s_and_Step_s_outputs()
    {
        var model = new ExportTokenLstm(1) { Training = false };
        const int B = 3, T = 7, O = 5, H = 8;
        var ids = new int[B * T];
        var random = new SeededRandom(2);
        for (int i = 0; i < ids.Length; i++) ids[i] = (int)(random.NextUInt32() % 11);
        var expected = new float[B * T * O];
        model.Forward(ids, expected);
        var tokens = new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), [B, T]);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", tokens))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);

        // One step at a time, the states fed back: Step's outputs.
        string step = Export(model, OnnxGraph.Step);
        float[] h = new float[2 * B * H], c = new float[2 * B * H];
        var output = new float[B * O];
        model.ResetState();
        for (int t = 0; t < T; t++)
        {
            int[] column = Enumerable.Range(0, B).Select(b => ids[b * T + t]).ToArray();
            model.Step(column, output);
            var results = Run(step, NamedOnnxValue.CreateFromTensor("input", new DenseTensor<long>(column.Select(i => (long)i).ToArray(), [B])),
                NamedOnnxValue.CreateFromTensor("Rnn.h", new DenseTensor<float>(h, [2, B, H])), NamedOnnxValue.CreateFromTensor("Rnn.c", new DenseTensor<float>(c, [2, B, H])));
            AssertClose(results["output"], Layout.ToDouble(output), $"step {t}", 1e-5, 1e-5);
            (h, c) = (results["Rnn.h_n"], results["Rnn.c_n"]);
        }
        AssertClose(h.AsSpan(B * H), Layout.ToDouble(model.Rnn.FinalHidden.Slice(B * H, B * H)), "h_n of the top layer", 1e-5, 1e-5);
    }

    [Fact]
    public void A_bidirectional_gru_with_norm_and_gelu_gives_Forward_s_outputs()
    {
        var model = new ExportBidirectionalGru(3);
        new SeededRandom(4).FillNormal(model.Norm.Weight);
        new SeededRandom(5).FillNormal(model.Norm.Bias);
        float[] x = Random(2 * 6 * 4, 6);
        var expected = new float[2 * 6 * 3];
        model.Forward(x, expected);
        string graph = Export(model);
        AssertClose(Run(graph, NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [2, 6, 4])))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);
        // A partial batch (the batch axis is dynamic): one row and a shorter sequence, as Forward takes them.
        var partial = new float[1 * 4 * 3];
        model.Forward(x.AsSpan(0, 4 * 4), partial, 4);
        AssertClose(Run(graph, NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.AsSpan(0, 4 * 4).ToArray(), [1, 4, 4])))["output"], Layout.ToDouble(partial), "one row of four steps", 1e-5, 1e-5);
        Assert.Contains("bidirectional", Assert.Throws<ArgumentException>(() => Export(model, OnnxGraph.Step)).Message);
    }

    [Fact]
    public void A_convolution_batch_norm_and_a_last_step_rnn_give_Forward_s_outputs()
    {
        var model = new ExportConvRnn(7) { Training = false };
        new SeededRandom(8).FillUniform(model.Norm.RunningMean, -1, 1);
        new SeededRandom(9).FillUniform(model.Norm.RunningVar, 0.5f, 2);
        float[] x = Random(2 * 9 * 3, 10);
        var expected = new float[2 * 2];
        model.Forward(x, expected);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [2, 9, 3])))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);
    }

    [Fact]
    public void Mean_pooling_and_leaky_relu_give_Forward_s_outputs()
    {
        var model = new ExportPooledGru(11);
        float[] x = Random(2 * 5 * 3, 12);
        var expected = new float[2 * 2];
        model.Forward(x, expected);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [2, 5, 3])))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);
    }

    [Fact]
    public void Unroll_export_loads_the_assembly_the_model_and_its_weights()
    {
        var trained = new ExportPooledGru(13);
        string weights = Path.Combine(_folder, "pooled.safetensors"), path = Path.Combine(_folder, "pooled.onnx");
        trained.SaveSafetensors(weights);
        string assembly = typeof(ExportPooledGru).Assembly.Location;
        Unroll.Tool.Exporting.ModelExporter.Export(assembly, nameof(ExportPooledGru), weights, OnnxGraph.Sequence, path);
        float[] x = Random(2 * 5 * 3, 14);
        var expected = new float[2 * 2];
        trained.Forward(x, expected);
        AssertClose(Run(path, NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [2, 5, 3])))["output"], Layout.ToDouble(expected), "the exported file's output", 1e-5, 1e-5);

        var error = Assert.Throws<InvalidDataException>(() => Unroll.Tool.Exporting.ModelExporter.Export(assembly, "NoSuchModel", null, OnnxGraph.Sequence, path));
        Assert.Contains(typeof(ExportPooledGru).FullName!, error.Message);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(4)]
    public void A_causal_transformer_gives_Forward_s_outputs_at_any_length(int length)
    {
        var model = new ExportTransformer(15) { Training = false };
        var ids = new int[2 * length];
        var random = new SeededRandom(16);
        for (int i = 0; i < ids.Length; i++) ids[i] = (int)(random.NextUInt32() % 13);
        var expected = new float[2 * length * 13];
        model.Forward(ids, expected, length);
        var tokens = new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), [2, length]);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", tokens))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);
    }

    [Fact]
    public void A_causal_transformer_s_step_graph_with_its_caches_fed_back_gives_Step_s_outputs()
    {
        var model = new ExportStreamingTransformer(21);
        const int B = 2, T = 6, O = 13, E = 8;
        string step = Export(model, OnnxGraph.Step);
        var random = new SeededRandom(22);
        var caches = new Dictionary<string, float[]>
        {
            ["First.self_attn.keys"] = [], ["First.self_attn.values"] = [], ["Second.self_attn.keys"] = [], ["Second.self_attn.values"] = [],
        };
        var output = new float[B * O];
        model.ResetState();
        for (int t = 0; t < T; t++)
        {
            long[] tokens = [random.NextUInt32() % 13, random.NextUInt32() % 13];
            model.Step(tokens.Select(v => (int)v).ToArray(), output);
            var inputs = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor("input", new DenseTensor<long>(tokens, [B])),
                NamedOnnxValue.CreateFromTensor("position", new DenseTensor<long>(new long[] { t }, [1])),
            };
            inputs.AddRange(caches.Select(c => NamedOnnxValue.CreateFromTensor(c.Key, new DenseTensor<float>(c.Value, [B, t, E]))));
            var results = Run(step, [.. inputs]);
            AssertClose(results["output"], Layout.ToDouble(output), $"step {t}", 1e-5, 1e-5);
            foreach (string name in caches.Keys.ToList()) caches[name] = results[name + "_n"];
        }
    }

    [Fact]
    public void An_encoder_decoder_transformer_teacher_forced_gives_Forward_s_outputs()
    {
        var post = new Transformer.GoldenTransformerPost(23);
        float[] source = Random(3 * 5 * 3, 24);
        long[] target = Enumerable.Range(0, 3 * 4).Select(i => (long)(i * 5 % 7)).ToArray();
        var expected = new float[3 * 4 * 5];
        post.Forward(source, target.Select(t => (int)t).ToArray(), expected);
        var results = Run(Export(post), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(source, [3, 5, 3])),
            NamedOnnxValue.CreateFromTensor("target", new DenseTensor<long>(target, [3, 4])));
        AssertClose(results["output"], Layout.ToDouble(expected), "post-norm, token targets", 1e-5, 1e-5);

        // Pre-norm, two layers, learned positions, float targets, a shorter target.
        var pre = new Transformer.GoldenTransformerPreStacked(25);
        float[] source2 = Random(3 * 4 * 3, 26), target2 = Random(3 * 2 * 6, 27);
        var expected2 = new float[3 * 2 * 4];
        pre.Forward(source2, target2, expected2, 4, 2);
        results = Run(Export(pre), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(source2, [3, 4, 3])),
            NamedOnnxValue.CreateFromTensor("target", new DenseTensor<float>(target2, [3, 2, 6])));
        AssertClose(results["output"], Layout.ToDouble(expected2), "pre-norm, float targets", 1e-5, 1e-5);
    }

    /// <summary>ORT's input for <paramref name="values"/> of shape <paramref name="dims"/>: ids as int64, features as float.</summary>
    private static NamedOnnxValue Input<T>(string name, T[] values, params int[] dims) => values switch
    {
        int[] ids => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), dims)),
        float[] features => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(features, dims)),
        _ => throw new ArgumentException("ids or features", nameof(values)),
    };

    /// <summary>
    /// An encoder–decoder's three graphs against the model: the teacher-forced graph against <c>Forward</c>; then the
    /// encoder graph, whose outputs (and empty self-attention caches) feed the step graph step after step, each step's
    /// new states fed back (<c>…_n</c>), against <c>Encode</c> and <c>Step</c>. With <paramref name="sourceLengths"/>,
    /// the graphs take the rows' lengths (<c>rowLengths</c>) as the model does.
    /// </summary>
    private void AssertDecoderGraphs<TSource, TTarget>(IEncoderDecoderModel<TSource, TTarget> model, TSource[] source, TTarget[] target, int sourceLength, int targetLength,
        int[]? sourceLengths = null)
        where TSource : unmanaged
        where TTarget : unmanaged
    {
        int B = model.BatchSize, O = model.OutputSize, sourceWidth = source.Length / (B * sourceLength), targetWidth = target.Length / (B * targetLength);
        bool rowLengths = sourceLengths is not null;
        string Graph(OnnxGraph graph)
        {
            string path = Path.Combine(_folder, $"{model.GetType().Name}-{graph}-{rowLengths}.onnx");
            model.ExportOnnx(path, graph, rowLengths);
            return path;
        }
        var expected = new float[B * targetLength * O];
        model.Forward(source, target, expected, sourceLength, targetLength, sourceLengths);
        var sourceInputs = new List<NamedOnnxValue> { Input("input", source, typeof(TSource) == typeof(int) ? [B, sourceLength] : [B, sourceLength, sourceWidth]) };
        if (sourceLengths is not null) sourceInputs.Add(Input("lengths", sourceLengths, B));
        var whole = Run(Graph(OnnxGraph.Sequence), [.. sourceInputs, Input("target", target, typeof(TTarget) == typeof(int) ? [B, targetLength] : [B, targetLength, targetWidth])]);
        AssertClose(whole["output"], Layout.ToDouble(expected), "the teacher-forced graph", 1e-5, 1e-5);

        // The encoder's outputs by name (the memory's lengths as int64), then the steps.
        var state = new Dictionary<string, NamedOnnxValue>();
        using (var encoder = new InferenceSession(Graph(OnnxGraph.Encode)))
        using (var encoded = encoder.Run(sourceInputs))
        {
            foreach (var result in encoded)
            {
                int[] dims = [.. result.AsTensor<float>()?.Dimensions.ToArray() ?? result.AsTensor<long>().Dimensions.ToArray()];
                state[result.Name] = result.ElementType == TensorElementType.Int64
                    ? NamedOnnxValue.CreateFromTensor(result.Name, new DenseTensor<long>(result.AsEnumerable<long>().ToArray(), dims))
                    : NamedOnnxValue.CreateFromTensor(result.Name, new DenseTensor<float>(result.AsEnumerable<float>().ToArray(), dims));
            }
        }
        using var session = new InferenceSession(Graph(OnnxGraph.Step));
        model.Encode(source, sourceLength, sourceLengths);
        var output = new float[B * O];
        for (int t = 0; t < targetLength; t++)
        {
            TTarget[] column = [.. Enumerable.Range(0, B).SelectMany(b => target.AsSpan((b * targetLength + t) * targetWidth, targetWidth).ToArray())];
            model.Step(column, output);
            var inputs = new List<NamedOnnxValue> { Input("target", column, typeof(TTarget) == typeof(int) ? [B] : [B, targetWidth]) };
            foreach (var (name, input) in session.InputMetadata.Where(i => i.Key != "target"))
            {
                if (name == "position") inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(new long[] { t }, [1])));
                else if (state.TryGetValue(name, out NamedOnnxValue? value)) inputs.Add(value);
                else inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>([B, 0, input.Dimensions[2]]))); // an empty cache
            }
            using var results = session.Run(inputs);
            AssertClose(results.First(r => r.Name == "output").AsEnumerable<float>().ToArray(), Layout.ToDouble(output), $"step {t}", 1e-5, 1e-5);
            foreach (var result in results.Where(r => r.Name.EndsWith("_n", StringComparison.Ordinal)))
            {
                string name = result.Name[..^2];
                state[name] = NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(result.AsEnumerable<float>().ToArray(), result.AsTensor<float>().Dimensions.ToArray()));
            }
        }
    }

    /// <summary>
    /// The whole-sequence graph with row lengths (<c>rowLengths</c>) against <c>Forward</c> with the same lengths: every
    /// output of a pooled model, and a sequence model's outputs at each row's real steps (<paramref name="outputLengths"/>,
    /// after the layers that map them).
    /// </summary>
    private void AssertRowLengths<T>(IInferenceModel<T> model, T[] input, int length, int[] lengths, int outputSteps, int[]? outputLengths = null)
        where T : unmanaged
    {
        int B = model.BatchSize, O = model.OutputSize;
        string path = Path.Combine(_folder, $"{model.GetType().Name}-lengths.onnx");
        model.ExportOnnx(path, OnnxGraph.Sequence, rowLengths: true);
        var expected = new float[B * Math.Max(outputSteps, 1) * O];
        model.Forward(input, expected, length, lengths);
        float[] actual = Run(path, Input("input", input, typeof(T) == typeof(int) ? [B, length] : [B, length, input.Length / (B * length)]), Input("lengths", lengths, B))["output"];
        if (outputSteps == 0)
        {
            AssertClose(actual, Layout.ToDouble(expected), $"{model.GetType().Name} with row lengths", 1e-5, 1e-5);
            return;
        }
        for (int b = 0; b < B; b++)
        {
            int real = (outputLengths ?? lengths)[b] * O, start = b * outputSteps * O;
            AssertClose(actual.AsSpan(start, real), Layout.ToDouble(expected.AsSpan(start, real).ToArray()), $"{model.GetType().Name}, row {b}'s real steps", 1e-5, 1e-5);
        }
    }

    [Fact]
    public void Row_lengths_stop_each_row_at_its_own_end_as_Forward_s_lengths_do()
    {
        // Packed sequences: stacked bidirectional GRU (the reverse direction starts at a row's end), a token LSTM on a short batch.
        AssertRowLengths(new ExportBidirectionalGru(71), Random(2 * 6 * 4, 72), 6, [6, 3], 6);
        AssertRowLengths(new ExportTokenLstm(73) { Training = false }, Ids(3 * 5, 11, 74), 5, [5, 2, 4], 5);
        // Pooling of a row's own steps (mean, max, last); a causal convolution before a many-to-one bidirectional RNN.
        AssertRowLengths(new ExportPooledGru(75) { Training = false }, Random(2 * 5 * 3, 76), 5, [2, 5], 0);
        AssertRowLengths(new ExportStridedMaxPooled(77), Random(2 * 9 * 3, 78), 9, [9, 4], 0);
        AssertRowLengths(new ExportLastPooled(79), Random(2 * 6 * 3, 80), 6, [3, 6], 0);
        AssertRowLengths(new ExportConvRnn(81) { Training = false }, Random(2 * 9 * 3, 82), 9, [5, 9], 0);
        // Self-attention gives a row's padding no weight (src_key_padding_mask); a strided convolution maps the lengths.
        AssertRowLengths(new ExportTransformer(83) { Training = false }, Ids(2 * 6, 13, 84), 6, [6, 3], 6);
        AssertRowLengths(new ExportStridedConvGru(85), Random(2 * 8 * 3, 86), 8, [8, 5], 4, [4, 3]);

        string path = Path.Combine(_folder, "refused.onnx");
        Assert.Contains("one-step graph takes no row lengths", Assert.Throws<ArgumentException>(() => new ExportTokenLstm(1).ExportOnnx(path, OnnxGraph.Step, rowLengths: true)).Message);
        Assert.Contains("'Reflect' ([Conv1d]) has no ONNX export with row lengths", Assert.Throws<ArgumentException>(() => new ExportPaddedConvPools(1).ExportOnnx(path, rowLengths: true)).Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Source_row_lengths_mask_the_memory_of_both_decoders_in_every_graph()
    {
        AssertDecoderGraphs(new Seq2Seq.TokenBiLstmAdditive(87), Ids(3 * 5, 7, 88), Ids(3 * 4, 6, 89), 5, 4, [5, 2, 4]);
        AssertDecoderGraphs(new Seq2Seq.FloatGruDot(90), Random(2 * 6 * 3, 91), Random(2 * 3 * 2, 92), 6, 3, [3, 6]);
        AssertDecoderGraphs(new Transformer.GoldenTransformerPreStacked(93), Random(3 * 4 * 3, 94), Random(3 * 3 * 6, 95), 4, 3, [4, 1, 3]);
    }

    private static int[] Ids(int count, int vocabulary, ulong seed)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (int)(random.NextUInt32() % (uint)vocabulary))];
    }

    [Fact]
    public void An_encoder_decoder_transformer_s_encoder_and_step_graphs_give_Encode_and_Step_s_outputs()
    {
        AssertDecoderGraphs(new Transformer.GoldenTransformerPost(31), Random(3 * 5 * 3, 32), Ids(3 * 4, 7, 33), 5, 4);
        AssertDecoderGraphs(new Transformer.GoldenTransformerPreStacked(34), Random(3 * 4 * 3, 35), Random(3 * 3 * 6, 36), 4, 3);
        // An inference-only twin with PyTorch's weights compiled in exports those weights.
        AssertDecoderGraphs(new Transformer.CompiledTransformerPost(), Random(3 * 5 * 3, 37), Ids(3 * 4, 7, 38), 5, 4);
    }

    [Fact]
    public void Attention_decoders_give_Forward_s_outputs_and_stream_through_Encode_and_Step()
    {
        // Token source and target, a bidirectional LSTM encoder, additive attention.
        AssertDecoderGraphs(new Seq2Seq.TokenBiLstmAdditive(41), Ids(3 * 5, 7, 42), Ids(3 * 4, 6, 43), 5, 4);
        // A shorter source and target.
        AssertDecoderGraphs(new Seq2Seq.TokenBiLstmAdditive(44), Ids(3 * 3, 7, 45), Ids(3 * 2, 6, 46), 3, 2);
        // A GRU decoder with Luong's dot score; a stacked LSTM then a linear layer, Luong's general score; an Elman encoder (c_0 = 0).
        AssertDecoderGraphs(new Seq2Seq.FloatGruDot(47), Random(2 * 6 * 3, 48), Random(2 * 3 * 2, 49), 6, 3);
        AssertDecoderGraphs(new Seq2Seq.FloatStackedGeneral(50), Random(2 * 4 * 3, 51), Random(2 * 3 * 2, 52), 4, 3);
        AssertDecoderGraphs(new Seq2Seq.RnnToLstm(53), Random(2 * 4 * 2, 54), Random(2 * 3 * 2, 55), 4, 3);
    }

    [Fact]
    public void Streaming_convolutions_step_with_their_windows_fed_back()
    {
        var model = new ExportStreamingConv(61) { Training = false };
        new SeededRandom(62).FillUniform(model.Norm.RunningMean, -1, 1);
        new SeededRandom(63).FillUniform(model.Norm.RunningVar, 0.5f, 2);
        const int B = 2, T = 7, O = 2;
        float[] x = Random(B * T * 3, 64);
        var expected = new float[B * T * O];
        model.Forward(x, expected);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [B, T, 3])))["output"], Layout.ToDouble(expected), "the whole sequence", 1e-5, 1e-5);

        string step = Export(model, OnnxGraph.Step);
        float[] window = new float[B * 4 * 3], h = new float[B * 5];
        var output = new float[B * O];
        model.ResetState();
        for (int t = 0; t < T; t++)
        {
            float[] column = [.. Enumerable.Range(0, B).SelectMany(b => x.AsSpan((b * T + t) * 3, 3).ToArray())];
            model.Step(column, output);
            var results = Run(step, NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(column, [B, 3])),
                NamedOnnxValue.CreateFromTensor("Conv.window", new DenseTensor<float>(window, [B, 4, 3])), NamedOnnxValue.CreateFromTensor("Rnn.h", new DenseTensor<float>(h, [1, B, 5])));
            AssertClose(results["output"], Layout.ToDouble(output), $"step {t}", 1e-5, 1e-5);
            AssertClose(results["output"], Layout.ToDouble(expected.Where((_, i) => i / O % T == t).ToArray()), $"step {t} against Forward", 1e-5, 1e-5);
            (window, h) = (results["Conv.window_n"], results["Rnn.h_n"]);
        }
    }

    [Fact]
    public void Circular_padding_gives_Forward_s_outputs()
    {
        var model = new ExportCircularConv(65);
        float[] x = Random(2 * 8 * 3, 66);
        var expected = new float[2 * 12 * 2]; // 8 steps → 8 → 8 + 2·3 − 3 + 1 = 12 (reach 3)
        model.Forward(x, expected);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [2, 8, 3])))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);
    }

    [Fact]
    public void Learned_positions_and_residual_causal_attention_give_Forward_s_outputs()
    {
        var model = new ExportSelfAttention(17);
        float[] x = Random(2 * 5 * 3, 18);
        var expected = new float[2 * 5 * 4];
        model.Forward(x, expected);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [2, 5, 3])))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);
    }

    [Fact]
    public void Padding_modes_and_window_pooling_give_Forward_s_outputs()
    {
        var model = new ExportPaddedConvPools(19);
        float[] x = Random(2 * 12 * 3, 20);
        var expected = new float[2 * 4 * 5]; // 12 steps → 12 → 6 → 6 → 4
        model.Forward(x, expected);
        AssertClose(Run(Export(model), NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [2, 12, 3])))["output"], Layout.ToDouble(expected), "ONNX Runtime's output", 1e-5, 1e-5);
    }

    [Fact]
    public void A_layer_with_no_export_is_refused_by_name_and_nothing_is_written()
    {
        string path = Path.Combine(_folder, "padded.onnx");
        var error = Assert.Throws<ArgumentException>(() => new ExportPaddedConvPools(1).ExportOnnx(path, OnnxGraph.Step));
        Assert.Equal("model", error.ParamName);
        Assert.Contains("'Reflect' ([Conv1d] without Causal: it reads later steps) has no ONNX export in the one-step graph", error.Message);
        Assert.Contains("'Pool' ([Pooling]: it reads the whole sequence)", Assert.Throws<ArgumentException>(() => new ExportPooledGru(1).ExportOnnx(path, OnnxGraph.Step)).Message);
        Assert.Contains("bidirectional", Assert.Throws<ArgumentException>(() => new ExportBidirectionalGru(1).ExportOnnx(path, OnnxGraph.Step)).Message);
        Assert.Contains("no decoder", Assert.Throws<ArgumentException>(() => new ExportPooledGru(1).ExportOnnx(path, OnnxGraph.Encode)).Message);
        Assert.Empty(Directory.GetFiles(_folder));
    }
}
