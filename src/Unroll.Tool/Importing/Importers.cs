namespace Unroll.Tool.Importing;

/// <summary>The formats <c>unroll import</c> reads, asked in order which one reads a file.</summary>
internal static class Importers
{
    public static readonly IModelImporter[] All = [new Onnx.OnnxImporter(), new Keras.KerasImporter(), new RtNeural.RtNeuralImporter()];

    /// <summary>The importer of <paramref name="path"/>'s format.</summary>
    /// <exception cref="ImportException">No importer reads it.</exception>
    public static IModelImporter For(string path) =>
        All.FirstOrDefault(i => i.Reads(path))
        ?? throw new ImportException($"'{path}' is not a file unroll imports: it reads {(All.Length == 0 ? "no format yet" : string.Join(", ", All.Select(i => i.Format)))}.");
}
