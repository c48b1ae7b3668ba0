using System.Reflection;
using Onnx;

namespace Unroll;

/// <summary>Which ONNX graph <see cref="OnnxExport.ExportOnnx"/> writes.</summary>
public enum OnnxGraph
{
    /// <summary>
    /// The whole sequence, as <c>Forward</c>: input <c>input</c> <c>[batch, time, features]</c> (token models: int64 ids
    /// <c>[batch, time]</c>), output <c>output</c> <c>[batch, time, outputs]</c> (<c>[batch, outputs]</c> after a layer
    /// that keeps no time axis); batch and time are dynamic, every row its full length. An encoder–decoder transformer
    /// (<c>[TransformerDecoderLayer]</c>) is teacher-forced, as its <c>Forward</c>: inputs <c>input</c> (the source) and
    /// <c>target</c> (the target input, int64 ids <c>[batch, target_time]</c> or features), output <c>[batch, target_time, outputs]</c>.
    /// </summary>
    Sequence,

    /// <summary>
    /// One streaming step, as <c>Step</c>: input <c>input</c> <c>[batch, features]</c> (token models: int64 ids <c>[batch]</c>)
    /// and, per recurrent layer, its states <c>{Property}.h</c> (and <c>{Property}.c</c> for an LSTM), <c>[layers, batch,
    /// hidden]</c>; outputs <c>output</c> <c>[batch, outputs]</c> and the new states <c>{Property}.h_n</c> (<c>.c_n</c>).
    /// A causal attention layer's caches of the earlier steps are inputs <c>{Property}.keys</c>, <c>{Property}.values</c>
    /// (a transformer layer's: <c>{Property}.self_attn.keys</c>, …), <c>[batch, positions, E]</c>, empty at the first step,
    /// and outputs <c>….keys_n</c>, <c>….values_n</c> one position longer; a positional encoding reads input
    /// <c>position</c>, int64 <c>[1]</c>, the steps so far.
    /// </summary>
    Step,
}

/// <summary>
/// Exports a compiled model as an inference-only ONNX graph (opset 17) that ONNX Runtime runs with the model's outputs:
/// its layers as the model's declaration states them (the layer attributes on its properties) and its current weights.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX opset the graphs use.</summary>
    public const int Opset = 17;

    /// <summary>Writes the model's ONNX graph, with its current parameters as initializers, to <paramref name="path"/>.</summary>
    /// <param name="model">A compiled model (a <c>[Model]</c> or <c>[InferenceModel]</c> class).</param>
    /// <param name="path">The file to write; an existing file is replaced.</param>
    /// <param name="graph">The whole sequence, or one streaming step with the states as inputs and outputs.</param>
    /// <exception cref="ArgumentException">The model has a layer ONNX export does not cover yet (named in the message), or a
    /// bidirectional recurrent layer in a <see cref="OnnxGraph.Step"/> graph; nothing is written.</exception>
    public static void ExportOnnx(this IInferenceModel model, string path, OnnxGraph graph = OnnxGraph.Sequence)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelProto proto;
        try
        {
            proto = Build(model, graph);
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException(e.Message, nameof(model), e);
        }
        string temporary = path + ".tmp";
        try
        {
            using (FileStream stream = File.Create(temporary)) Google.Protobuf.MessageExtensions.WriteTo(proto, stream);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The model's ONNX graph.</summary>
    internal static ModelProto Build(IInferenceModel model, OnnxGraph graph)
    {
        var (type, layers) = Declaration(model.GetType());
        var g = new GraphBuilder(model.NamedParameters, type.Name, graph == OnnxGraph.Step);
        bool tokens = layers.Count > 0 && layers[0].Attribute is EmbeddingAttribute;
        string x = g.Input("input", tokens, model.InputSize);
        bool timeAxis = graph == OnnxGraph.Sequence;
        int width = tokens ? 1 : model.InputSize;
        var (last, decoder) = layers.Count > 0 ? layers[^1] : default;
        if (decoder is TransformerDecoderLayerAttribute or AttentionDecoderAttribute) layers.RemoveAt(layers.Count - 1);
        foreach (var (property, attribute) in layers)
        {
            (x, timeAxis) = LayerExport.Write(g, property, attribute, x, timeAxis, width);
            width = LayerExport.OutputWidth(attribute, width);
        }
        if (decoder is TransformerDecoderLayerAttribute transformer && graph == OnnxGraph.Sequence)
        {
            // An encoder–decoder, teacher-forced: the source through the encoder, then the target input through the decoder.
            int targetLength = (int)model.GetType().GetField("TargetLength")!.GetValue(null)!;
            string target = g.Input("target", transformer.Vocabulary > 0, transformer.DModel, "target_time");
            g.Output(LayerExport.TransformerDecoder(g, last, transformer, target, x, targetLength), "output", model.OutputSize, timeAxis: true, "target_time");
        }
        else if (decoder is TransformerDecoderLayerAttribute or AttentionDecoderAttribute)
        {
            throw new NotSupportedException($"Layer '{last}' ([{decoder.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal)}]) has no ONNX export{(graph == OnnxGraph.Step ? " in the one-step graph" : "")} yet.");
        }
        else g.Output(x, "output", model.OutputSize, timeAxis);
        return g.Model($"{type.FullName}, {(graph == OnnxGraph.Step ? "one step" : "the whole sequence")}, exported by Unroll");
    }

    /// <summary>The class that declares the model's layers (an inference twin's model), and its layer properties in declaration order.</summary>
    internal static (Type Type, List<(string Property, LayerAttribute Attribute)> Layers) Declaration(Type type)
    {
        if (type.GetCustomAttribute<InferenceModelAttribute>() is { } twin) type = twin.Model;
        var layers = type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<LayerAttribute>()))
            .Where(p => p.Attribute is not null)
            .OrderBy(p => p.Property.MetadataToken)
            .Select(p => (p.Property.Name, p.Attribute!))
            .ToList();
        return (type, layers);
    }
}
