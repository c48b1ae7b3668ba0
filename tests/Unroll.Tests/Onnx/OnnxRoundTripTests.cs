using Unroll.Tool.Importing;
using Xunit;

namespace Unroll.Tests.Onnx;

/// <summary>
/// A model leaves as ONNX (<c>model.ExportOnnx</c>) and comes back (<c>unroll import</c>): the same layers under the
/// same property names, the same weights bit for bit, and the written weights file loads as the model's state.
/// </summary>
public sealed class OnnxRoundTripTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("unroll-round-trip-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string[]> Models => new()
    {
        // Dropout is the identity in an inference graph, so it does not come back.
        { nameof(ExportTokenLstm), ["Embed: Embedding(11, 6)", "Rnn: Lstm(6, 8, NumLayers = 2)", "Head: Linear(8, 5)"] },
        { nameof(ExportBidirectionalGru), ["Rnn: Gru(4, 5, NumLayers = 2, Bidirectional = true)", "Norm: LayerNorm(10)", "Gelu: Activation(ActivationFunction.Gelu)", "Head: Linear(10, 3)"] },
        {
            nameof(ExportPooledGru),
            ["In: Linear(3, 4)", "Rnn: Gru(4, 6)", "Leaky: Activation(ActivationFunction.LeakyRelu, NegativeSlope = 0.2)", "Pool: Pooling(PoolingKind.Mean)", "Head: Linear(6, 2)"]
        },
        {
            nameof(ExportStreamingConv),
            ["Conv: Conv1d(3, 6, 3, Dilation = 2, Causal = true)", "Norm: BatchNorm(6)", "Relu: Activation(ActivationFunction.Relu)", "Mix: Conv1d(6, 4, 1, Bias = false)", "Rnn: Gru(4, 5)", "Head: Linear(5, 2)"]
        },
        {
            nameof(ExportPaddedConvPools),
            ["Reflect: Conv1d(3, 4, 3, Padding = 1, PaddingMode = PaddingMode.Reflect)", "Max: MaxPool1d(3, Stride = 2, Padding = 1)",
                "Replicate: Conv1d(4, 5, 3, Padding = 2, PaddingMode = PaddingMode.Replicate, Dilation = 2)", "Average: AvgPool1d(2, Padding = 1, CountIncludePad = false)"]
        },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void An_exported_model_imports_as_its_own_declaration_and_weights(string name, string[] layers)
    {
        Type type = typeof(OnnxRoundTripTests).Assembly.GetType($"{typeof(OnnxRoundTripTests).Namespace}.{name}")!;
        var model = (IInferenceModel)Activator.CreateInstance(type, 7)!;
        foreach (NamedParameter parameter in model.NamedParameters.Where(p => p.Name.EndsWith("running_var", StringComparison.Ordinal)))
            new SeededRandom(8).FillUniform(model.NamedParameters[parameter.Name].Values, 0.5f, 2);
        string onnx = Path.Combine(_folder, name + ".onnx");
        model.ExportOnnx(onnx);

        ImportedModel imported = Importers.For(onnx).Import(onnx, new ImportOptions(name, model.SequenceLength, model.BatchSize));
        Assert.Equal(layers, imported.Layers.Select(l => $"{l.Property}: {l.Attribute}"));
        // Every parameter comes back bit for bit (BatchNorm's count of batches is not in the graph: the import writes 0).
        Assert.Equal(model.NamedParameters.Select(p => p.Name).Order(), imported.Tensors.Select(t => t.Name).Order());
        foreach (ImportedTensor tensor in imported.Tensors.Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
        {
            NamedParameter parameter = model.NamedParameters[tensor.Name];
            Assert.Equal(parameter.Shape.ToArray(), tensor.Shape);
            Assert.True(parameter.Values.SequenceEqual(tensor.Values), $"{tensor.Name} differs");
        }

        // The written weights file loads into a fresh model of the declaration as the exported model's whole state.
        var (_, weights) = DeclarationWriter.Write(imported, _folder, "RoundTrip");
        var twin = (IInferenceModel)Activator.CreateInstance(type, 9)!;
        twin.LoadSafetensors(weights);
        foreach (NamedParameter parameter in model.NamedParameters.Where(p => !p.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            Assert.True(parameter.Values.SequenceEqual(twin.NamedParameters[parameter.Name].Values), $"{parameter.Name} differs after loading");
    }
}
