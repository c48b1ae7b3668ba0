using System.Reflection;
using System.Runtime.Loader;

namespace Unroll.Tool.Exporting;

/// <summary>
/// <c>unroll export</c>: loads a compiled assembly, creates the named model class (a <c>[Model]</c> or
/// <c>[InferenceModel]</c>), loads its weights from a safetensors file when given one, and writes its ONNX graph.
/// </summary>
internal static class ModelExporter
{
    /// <summary>Exports model <paramref name="typeName"/> of <paramref name="assembly"/>; returns the model for the message.</summary>
    /// <exception cref="InvalidDataException">The assembly cannot be loaded, holds no such model, or the weights do not fit it.</exception>
    /// <exception cref="ArgumentException">The model has a layer with no ONNX export (named in the message).</exception>
    public static IInferenceModel Export(string assembly, string typeName, string? weights, OnnxGraph graph, string output, bool rowLengths = false)
    {
        Assembly loaded;
        try
        {
            loaded = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(assembly));
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException)
        {
            throw new InvalidDataException($"'{assembly}' is not a .NET assembly unroll can load: {e.Message}", e);
        }
        Type[] types;
        try
        {
            types = loaded.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.OfType<Type>().ToArray();
        }
        Type[] models = types.Where(t => typeof(IInferenceModel).IsAssignableFrom(t) && !t.IsAbstract).ToArray();
        Type type = models.FirstOrDefault(t => t.FullName == typeName) ?? models.FirstOrDefault(t => t.Name == typeName)
            ?? throw new InvalidDataException($"'{assembly}' has no model class '{typeName}'; its models: {(models.Length == 0 ? "none" : string.Join(", ", models.Select(t => t.FullName)))}.");
        var model = (IInferenceModel)Activator.CreateInstance(type)!;
        if (weights is not null) model.LoadSafetensors(weights);
        model.ExportOnnx(output, graph, rowLengths);
        return model;
    }
}
