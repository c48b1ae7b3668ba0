using System.Globalization;
using System.Text;

namespace Unroll.Tool.Importing;

/// <summary>
/// Writes an <see cref="ImportedModel"/> as a <c>[Model]</c> declaration (<c>{Name}.cs</c>) and its weights
/// (<c>{Name}.safetensors</c>, PyTorch's state-dict names), both or neither: each goes to a temporary file first.
/// </summary>
internal static class DeclarationWriter
{
    /// <summary>The declaration's source: one property per layer, each with the node or layer it came from.</summary>
    public static string Source(ImportedModel model, string @namespace)
    {
        var s = new StringBuilder();
        s.Append("// Written by `unroll import` from ").Append(model.Source).Append(".\n");
        s.Append("// Its weights are in ").Append(model.Name).Append(".safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).\n");
        s.Append("using Unroll;\n\n");
        s.Append("namespace ").Append(@namespace).Append(";\n\n");
        s.Append(CultureInfo.InvariantCulture, $"[Model(SequenceLength = {model.SequenceLength}, BatchSize = {model.BatchSize})]\n");
        s.Append("public partial class ").Append(model.Name).Append('\n');
        s.Append("{\n");
        for (int i = 0; i < model.Layers.Count; i++)
        {
            ImportedLayer layer = model.Layers[i];
            if (i > 0) s.Append('\n');
            s.Append("    /// <summary>").Append(Escape(layer.Origin)).Append(".</summary>\n");
            s.Append("    [").Append(layer.Attribute).Append("]\n");
            s.Append("    public partial ").Append(layer.ViewType).Append(' ').Append(layer.Property).Append(" { get; }\n");
        }
        s.Append("}\n");
        return s.ToString();
    }

    /// <summary>
    /// Writes <c>{Name}.cs</c> and <c>{Name}.safetensors</c> into <paramref name="directory"/> (created if missing): both
    /// to temporary files, then renamed, so an error leaves no half-written pair. Returns the two paths.
    /// </summary>
    public static (string Declaration, string Weights) Write(ImportedModel model, string directory, string @namespace)
    {
        Directory.CreateDirectory(directory);
        string declaration = Path.Combine(directory, model.Name + ".cs"), weights = Path.Combine(directory, model.Name + ".safetensors");
        string declarationTemporary = declaration + ".tmp", weightsTemporary = weights + ".tmp";
        try
        {
            File.WriteAllText(declarationTemporary, Source(model, @namespace));
            Safetensors.Save(weightsTemporary, model.Tensors.Select(t => (t.Name, t.Shape, (ReadOnlyMemory<float>)t.Values)));
            File.Move(weightsTemporary, weights, overwrite: true);
            File.Move(declarationTemporary, declaration, overwrite: true);
        }
        finally
        {
            File.Delete(declarationTemporary);
            File.Delete(weightsTemporary);
        }
        return (declaration, weights);
    }

    /// <summary>
    /// The model class's name: <paramref name="name"/> as given (checked), or one made from the file's name ("char_lm-v2.onnx"
    /// → <c>CharLmV2</c>) that names no type of Unroll's the declaration uses (<c>lstm.onnx</c> → <c>LstmModel</c>, not
    /// <c>Lstm</c>, which would hide the <c>[Lstm]</c> attribute).
    /// </summary>
    /// <exception cref="ImportException">The given name is not a class name (a capital, then letters, digits, underscores), or names one of Unroll's types.</exception>
    public static string ClassName(string? name, string fileName)
    {
        if (name is not null)
        {
            // A class name starts with a capital here, so no C# keyword (all lowercase) passes.
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Z][A-Za-z0-9_]*$"))
                throw new ImportException($"--name '{name}' is not a class name: a capital letter, then letters, digits or underscores.");
            if (NamesUnrollType(name)) throw new ImportException($"--name '{name}' is the name of Unroll's own type Unroll.{name}, which the declaration would hide: choose another.");
            return name;
        }
        string stem = Path.GetFileNameWithoutExtension(fileName);
        string made = PropertyNames.Pascal(stem);
        made = made.Length == 0 ? "ImportedModel" : char.IsLetter(made[0]) ? made : "Model" + made;
        return NamesUnrollType(made) ? made + "Model" : made;
    }

    /// <summary>Whether <c>Unroll.{name}</c> or its attribute <c>Unroll.{name}Attribute</c> is a type of the runtime's.</summary>
    private static bool NamesUnrollType(string name) =>
        typeof(IInferenceModel).Assembly.GetType("Unroll." + name) is not null || typeof(IInferenceModel).Assembly.GetType("Unroll." + name + "Attribute") is not null;

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
