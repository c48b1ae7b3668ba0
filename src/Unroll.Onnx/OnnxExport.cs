using System.Diagnostics.CodeAnalysis;
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

    /// <summary>
    /// An encoder–decoder model's encoder, as its <c>Encode</c>: input <c>input</c> (the source); outputs what the
    /// decoder's step graph reads, under the names that graph's inputs have. An <c>[AttentionDecoder]</c>'s:
    /// <c>{Property}.memory</c> <c>[batch, time, width]</c> (the encoder's outputs) and its initial state
    /// <c>{Property}.h</c> (and <c>{Property}.c</c>), <c>[1, batch, hidden]</c>; a <c>[TransformerDecoderLayer]</c>'s: each
    /// layer's cross-attention keys and values <c>{Property}.layers.{i}.multihead_attn.keys</c>, <c>….values</c>,
    /// <c>[batch, time, dModel]</c>. The step graph then takes input <c>target</c>, the previous target token (ids
    /// <c>[batch]</c> or features), with those, the state of the step before (an attention decoder's <c>{Property}.h</c>
    /// and <c>.c</c>, giving <c>.h_n</c>, <c>.c_n</c>; a transformer decoder's self-attention caches and <c>position</c>).
    /// </summary>
    Encode,
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
    /// <param name="rowLengths">
    /// Whether the graph takes each row's length, as <c>Forward</c>'s <c>lengths</c>: input <c>lengths</c>, int64
    /// <c>[batch]</c>, the real steps of each row of a batch padded to <c>time</c>. The recurrent layers then stop at
    /// them (ONNX's <c>sequence_lens</c>: packed sequences), attention and the decoders give the later steps no weight,
    /// <c>[Pooling]</c> pools a row's own steps and a convolution reads zeros after them; outputs at a row's padding
    /// steps are not meaningful. An encoder–decoder's <see cref="OnnxGraph.Encode"/> graph also gives
    /// <c>{Property}.lengths</c> (the memory's), which its step graph takes.
    /// </param>
    /// <exception cref="ArgumentException">The model has a layer ONNX export does not cover yet (named in the message), a
    /// layer the one-step graph cannot hold (a bidirectional one, one that attends to later steps, …), or
    /// <paramref name="rowLengths"/> for the one-step graph of a model without a decoder; nothing is written.</exception>
    public static void ExportOnnx(this IInferenceModel model, string path, OnnxGraph graph = OnnxGraph.Sequence, bool rowLengths = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelProto proto;
        try
        {
            proto = Build(model, graph, rowLengths);
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
    internal static ModelProto Build(IInferenceModel model, OnnxGraph graph, bool rowLengths = false)
    {
        var (type, layers) = Declaration(model.GetType());
        var g = new GraphBuilder(model.NamedParameters, type.Name, graph == OnnxGraph.Step);
        var (property, decoder) = layers.Count > 0 ? layers[^1] : default;
        if (decoder is TransformerDecoderLayerAttribute or AttentionDecoderAttribute) layers.RemoveAt(layers.Count - 1);
        else if (graph == OnnxGraph.Encode) throw new NotSupportedException($"{type.Name} has no decoder: the Encode graph is an encoder–decoder model's.");
        else decoder = null;
        bool tokens = layers.Count > 0 && layers[0].Attribute is EmbeddingAttribute;
        int width = tokens ? 1 : model.InputSize;
        string x = "";
        bool timeAxis = graph != OnnxGraph.Step;
        if (decoder is not null && graph == OnnxGraph.Step)
        {
            // The encoder ran in the Encode graph: the step reads what that gave.
            foreach (var (_, attribute) in layers) width = LayerExport.OutputWidth(attribute, width);
            if (rowLengths) g.Lengths = g.LengthsInput(property + ".lengths");
        }
        else if (graph == OnnxGraph.Step && rowLengths)
        {
            throw new NotSupportedException($"{type.Name}'s one-step graph takes no row lengths: a step is one step of every row (rowLengths applies to the whole sequence, and to an encoder–decoder's steps).");
        }
        else
        {
            x = g.Input("input", tokens, model.InputSize);
            if (rowLengths) g.Lengths = g.LengthsInput("lengths");
            foreach (var (name, attribute) in layers)
            {
                (x, timeAxis) = LayerExport.Write(g, name, attribute, x, timeAxis, width);
                width = LayerExport.OutputWidth(attribute, width);
            }
        }
        string P = property;
        switch (decoder)
        {
            case null:
                g.Output(x, "output", model.OutputSize, timeAxis);
                break;
            case AttentionDecoderAttribute attention when graph == OnnxGraph.Encode:
                {
                    g.FloatOutput(x, P + ".memory", "batch", "time", width);
                    var (s, c) = DecoderExport.AttentionStart(g, P, attention);
                    g.StateOutput(s, P + ".h", 1, attention.HiddenSize);
                    if (c is not null) g.StateOutput(c, P + ".c", 1, attention.HiddenSize);
                    if (g.Lengths is { } lengths) g.LengthsOutput(lengths, P + ".lengths");
                    break;
                }
            case AttentionDecoderAttribute attention:
                {
                    string target = g.Input("target", attention.Vocabulary > 0, attention.InputSize, "target_time");
                    string memory = x, s;
                    string? c;
                    if (graph == OnnxGraph.Step)
                    {
                        // The memory and the state Encode gave, or the state the last step left.
                        memory = g.FloatInput(P + ".memory", "batch", "time", width);
                        s = g.StateInput(P + ".h", 1, attention.HiddenSize);
                        c = attention.Cell == DecoderCell.Lstm ? g.StateInput(P + ".c", 1, attention.HiddenSize) : null;
                    }
                    else (s, c) = DecoderExport.AttentionStart(g, P, attention);
                    g.Output(DecoderExport.Attention(g, P, attention, target, memory, s, c), "output", model.OutputSize, timeAxis, "target_time");
                    break;
                }
            case TransformerDecoderLayerAttribute transformer when graph == OnnxGraph.Encode:
                for (int i = 0; i < transformer.NumLayers; i++)
                {
                    var (k, v) = LayerExport.CrossKeysValues(g, $"{P}.layers.{i}.multihead_attn", x, transformer.DModel);
                    var (kName, vName) = DecoderExport.CrossNames(P, i);
                    g.FloatOutput(k, kName, "batch", "time", transformer.DModel);
                    g.FloatOutput(v, vName, "batch", "time", transformer.DModel);
                }
                if (g.Lengths is { } memoryLengths) g.LengthsOutput(memoryLengths, P + ".lengths");
                break;
            case TransformerDecoderLayerAttribute transformer:
                {
                    // Teacher-forced: the source through the encoder, then the target input through the decoder; one step:
                    // the previous target token, with the cross-attention keys and values Encode gave.
                    int targetLength = TargetLength(model);
                    string target = g.Input("target", transformer.Vocabulary > 0, transformer.DModel, "target_time");
                    Func<int, (string K, string V)> cross = graph == OnnxGraph.Step
                        ? i =>
                        {
                            var (k, v) = DecoderExport.CrossNames(P, i);
                            return (g.FloatInput(k, "batch", "time", transformer.DModel), g.FloatInput(v, "batch", "time", transformer.DModel));
                        }
                    : i => LayerExport.CrossKeysValues(g, $"{P}.layers.{i}.multihead_attn", x, transformer.DModel);
                    g.Output(DecoderExport.Transformer(g, P, transformer, target, cross, targetLength), "output", model.OutputSize, timeAxis, "target_time");
                    break;
                }
        }
        string what = graph switch { OnnxGraph.Step => "one step", OnnxGraph.Encode => "the encoder", _ => "the whole sequence" };
        return g.Model($"{type.FullName}, {what}, exported by Unroll");
    }

    /// <summary>The class that declares the model's layers (an inference twin's model), and its layer properties in declaration order.</summary>
    internal static (Type Type, List<(string Property, LayerAttribute Attribute)> Layers) Declaration(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.NonPublicProperties)] Type type)
    {
        if (type.GetCustomAttribute<InferenceModelAttribute>() is { } twin) type = twin.Model;
        PropertyInfo[] properties = type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        // Declaration order: GetProperties promises none, so the metadata tokens give it. Native AOT keeps no metadata
        // tokens (MetadataToken throws there), and its GetProperties gives the properties in metadata order.
        if (Array.TrueForAll(properties, p => p.HasMetadataToken())) Array.Sort(properties, (a, b) => a.MetadataToken.CompareTo(b.MetadataToken));
        var layers = properties
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<LayerAttribute>()))
            .Where(p => p.Attribute is not null)
            .Select(p => (p.Property.Name, p.Attribute!))
            .ToList();
        return (type, layers);
    }

    /// <summary>An encoder–decoder model's most decoder steps (its <c>TargetLength</c>), read through its interface, not by reflection.</summary>
    private static int TargetLength(IInferenceModel model) => model switch
    {
        IEncoderDecoderModel<float, float> m => m.TargetLength,
        IEncoderDecoderModel<float, int> m => m.TargetLength,
        IEncoderDecoderModel<int, float> m => m.TargetLength,
        IEncoderDecoderModel<int, int> m => m.TargetLength,
        _ => throw new NotSupportedException($"{model.GetType().Name} is no encoder–decoder model."),
    };
}
