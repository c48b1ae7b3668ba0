namespace Unroll.Tool.Importing;

/// <summary>
/// A model read from another format, as Unroll declares it: the layers in order (each an attribute as written and the
/// node or layer it came from) and every tensor under its PyTorch state-dict name. An importer builds it whole or throws
/// <see cref="ImportException"/>, so nothing is written for a model it cannot read.
/// </summary>
/// <param name="Name">The model class's name.</param>
/// <param name="SequenceLength">The longest sequence the declaration takes (<c>[Model(SequenceLength = …)]</c>).</param>
/// <param name="BatchSize">The most rows a batch holds.</param>
/// <param name="Source">What it was read from, for the declaration's comment ("model.onnx (ONNX, opset 14, pytorch 1.13)").</param>
internal sealed record ImportedModel(string Name, int SequenceLength, int BatchSize, IReadOnlyList<ImportedLayer> Layers, IReadOnlyList<ImportedTensor> Tensors, string Source);

/// <summary>One layer: its property, its attribute as written (<c>Lstm(32, 128, NumLayers = 2)</c>), the view type, and where it came from.</summary>
/// <param name="Property">The property's name, which prefixes its tensors' names (<c>Rnn</c> → <c>Rnn.weight_ih_l0</c>).</param>
/// <param name="Attribute">The attribute without brackets: <c>Lstm(32, 128, Bidirectional = true)</c>.</param>
/// <param name="ViewType">The property's type: <c>LstmLayer</c>.</param>
/// <param name="Origin">The node or layer it was read from, for the declaration's comment: <c>ONNX node '/rnn/LSTM' (LSTM, node 9 of 31)</c>.</param>
internal sealed record ImportedLayer(string Property, string Attribute, string ViewType, string Origin);

/// <summary>A float32 tensor under its state-dict name (<c>Rnn.weight_ih_l0</c>), shape outermost first, values row-major.</summary>
internal sealed record ImportedTensor(string Name, int[] Shape, float[] Values);

/// <summary>What the command line gives every importer.</summary>
/// <param name="Name">The model class's name.</param>
/// <param name="SequenceLength">The longest sequence, when the file does not fix it (or to override it).</param>
/// <param name="BatchSize">The most rows a batch holds.</param>
internal sealed record ImportOptions(string Name, int? SequenceLength, int BatchSize);

/// <summary>A file the importer cannot turn into a declaration: the message says what, and where in the file.</summary>
internal sealed class ImportException(string message) : Exception(message);

/// <summary>A format the tool imports.</summary>
internal interface IModelImporter
{
    /// <summary>The format's name in messages ("ONNX").</summary>
    string Format { get; }

    /// <summary>Whether the file is of this format (by its extension, or its first bytes).</summary>
    bool Reads(string path);

    /// <summary>Reads the whole model; <see cref="ImportException"/> when it holds something Unroll cannot declare.</summary>
    /// <exception cref="ImportException">An unsupported node or layer, or inconsistent shapes.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is not a valid file of the format.</exception>
    ImportedModel Import(string path, ImportOptions options);
}
