using Google.Protobuf;
using Onnx;

namespace Unroll.Tool.Importing.Onnx;

/// <summary>
/// Imports an ONNX graph exported by <c>torch.onnx.export</c> from a batch-first sequence model: LSTM, GRU and RNN nodes
/// (stacked ones of one module as one layer), <c>Gemm</c> or <c>MatMul</c> + <c>Add</c> (nn.Linear), <c>Gather</c> of the
/// token input (nn.Embedding), <c>Conv</c> (1-D), <c>BatchNormalization</c>, <c>LayerNormalization</c> and the
/// activations (GELU's erf subgraph and SiLU's <c>Sigmoid</c> + <c>Mul</c> included). The layout and zero-state glue the
/// exporter adds is dropped; anything else is an <see cref="ImportException"/> naming the node.
/// </summary>
internal sealed class OnnxImporter : IModelImporter
{
    /// <inheritdoc/>
    public string Format => "ONNX";

    /// <inheritdoc/>
    public bool Reads(string path) => string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public ImportedModel Import(string path, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string file = Path.GetFileName(path);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{file}' is not a valid ONNX file (truncated or damaged?): {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new InvalidDataException($"'{file}' is not a valid ONNX file: it holds no graph (truncated or damaged?).");
        }
        return new OnnxGraphReader(model, file, options).Read();
    }
}
