using System.Globalization;
using System.Text;
using Onnx;

namespace Unroll.Tool.Importing.Onnx;

/// <summary>
/// Walks one ONNX graph from its input to its output along the data path, turning each recognised node or pattern into
/// a layer and its weights into PyTorch's layouts, and accepting the nodes that only compute shapes or zero initial
/// states. The layout of the tensor being followed is tracked as axis letters (B batch, T time, F features, D
/// directions), so the Transposes, Squeezes and Reshapes between batch-first and time-major layouts are checked, not
/// guessed.
/// </summary>
internal sealed partial class OnnxGraphReader
{
    private readonly ModelProto model;
    private readonly GraphProto graph;
    private readonly string file;
    private readonly ImportOptions options;
    private readonly Google.Protobuf.Collections.RepeatedField<NodeProto> nodes;
    private readonly Dictionary<string, int> producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> graphOutputs = new(StringComparer.Ordinal);
    private readonly bool[] consumed;

    private readonly List<ImportedLayer> layers = [];
    private readonly List<ImportedTensor> tensors = [];
    private readonly PropertyNames names;
    private RecurrentStack? pending;

    // The tensor followed along the data path, its layout (axis letters), its feature width (per direction while a D
    // axis is present) and its direction count.
    private string current = "";
    private string layout = "";
    private int width;
    private int directions = 1;

    public OnnxGraphReader(ModelProto model, string file, ImportOptions options)
    {
        this.model = model;
        graph = model.Graph;
        this.file = file;
        this.options = options;
        names = new PropertyNames(options.Name);
        nodes = graph.Node;
        consumed = new bool[nodes.Count];
        foreach (TensorProto t in graph.Initializer) initializers[t.Name] = t;
        foreach (ValueInfoProto o in graph.Output) graphOutputs.Add(o.Name);
        for (int i = 0; i < nodes.Count; i++)
        {
            foreach (string output in nodes[i].Output)
            {
                if (output.Length > 0) producers[output] = i;
            }
            foreach (string input in nodes[i].Input)
            {
                if (input.Length == 0) continue;
                if (!consumers.TryGetValue(input, out List<int>? list)) consumers[input] = list = [];
                if (!list.Contains(i)) list.Add(i);
            }
        }
    }

    public ImportedModel Read()
    {
        CheckReferences();
        ValueInfoProto input = Input();
        int sequenceLength = SequenceLength(input);
        Walk(input);
        Flush();
        for (int i = 0; i < nodes.Count; i++)
        {
            if (!consumed[i]) throw Unsupported(i, "it is off the path from the input to the output, and not shape or zero-state plumbing");
        }
        if (layers.Count == 0) throw new ImportException($"'{file}': the graph holds no layer Unroll declares.");
        return new ImportedModel(options.Name, sequenceLength, options.BatchSize, layers, tensors, Source());
    }

    // ------------------------------------------------------------------------------------------------
    // The graph's ends

    /// <summary>Every node input names an initializer, a graph input or another node's output (else the file is damaged).</summary>
    private void CheckReferences()
    {
        var inputs = new HashSet<string>(graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
        {
            foreach (string name in nodes[i].Input)
            {
                if (name.Length > 0 && !producers.ContainsKey(name) && !initializers.ContainsKey(name) && !inputs.Contains(name))
                {
                    throw new InvalidDataException($"'{file}': {Where(i)} reads '{name}', which no node, initializer or input defines (a truncated or damaged file?).");
                }
            }
        }
    }

    /// <summary>The one graph input that is not an initializer: float [batch, time, features] or int64 [batch, time] token ids.</summary>
    private ValueInfoProto Input()
    {
        ValueInfoProto[] inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToArray();
        if (inputs.Length != 1)
        {
            throw new ImportException($"'{file}': the graph has {inputs.Length} inputs ({string.Join(", ", inputs.Select(i => "'" + i.Name + "'"))}); Unroll's models take one sequence (initial states are zeros).");
        }
        if (graph.Output.Count != 1)
        {
            throw new ImportException($"'{file}': the graph has {graph.Output.Count} outputs ({string.Join(", ", graph.Output.Select(o => "'" + o.Name + "'"))}); Unroll's models give one, the final sequence (export the model's output alone, without h_n or c_n).");
        }
        return inputs[0];
    }

    private static int[] Dims(ValueInfoProto value) =>
        value.Type?.TensorType?.Shape is { } shape ? shape.Dim.Select(d => d.DimParam.Length == 0 && d.DimValue > 0 ? (int)d.DimValue : -1).ToArray() : [];

    private int SequenceLength(ValueInfoProto input)
    {
        int[] dims = Dims(input);
        int elementType = input.Type?.TensorType?.ElemType ?? 0;
        bool tokens = elementType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32;
        if (tokens ? dims.Length != 2 : dims.Length != 3 || elementType != (int)TensorProto.Types.DataType.Float)
        {
            throw new ImportException($"'{file}': the input '{input.Name}' is {TypeName(elementType)} of rank {dims.Length}; Unroll's models take float [batch, time, features] sequences or int64 [batch, time] token ids (batch-first).");
        }
        if (!tokens && dims[2] < 0) throw new ImportException($"'{file}': the input '{input.Name}' leaves its feature axis open; Unroll needs it fixed.");
        current = input.Name;
        layout = tokens ? "BT" : "BTF";
        width = tokens ? 0 : dims[2];
        if (options.SequenceLength is int given) return given;
        if (dims[1] > 0) return dims[1];
        string axis = input.Type!.TensorType.Shape.Dim[1].DimParam;
        throw new ImportException($"'{file}': the input '{input.Name}' leaves its time axis open{(axis.Length > 0 ? $" ('{axis}')" : "")}; give the longest sequence with --sequence-length.");
    }

    private static string TypeName(int elementType) => Enum.IsDefined(typeof(TensorProto.Types.DataType), elementType)
        ? ((TensorProto.Types.DataType)elementType).ToString().ToLowerInvariant()
        : $"element type {elementType}";

    private string Source()
    {
        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        string producer = model.ProducerName.Length == 0 ? "" : $", {model.ProducerName} {model.ProducerVersion}".TrimEnd();
        return $"{file} (ONNX, opset {opset}{producer})";
    }

    // ------------------------------------------------------------------------------------------------
    // The data path

    private void Walk(ValueInfoProto input)
    {
        if (layout == "BT")
        {
            int[] users = DataUsers(current);
            if (users.Length != 1 || nodes[users[0]].OpType != "Gather")
            {
                throw new ImportException($"'{file}': the token input '{input.Name}' must go into one Gather of an embedding table (nn.Embedding){(users.Length > 0 ? $"; it goes into {string.Join(", ", users.Select(Where))}" : "")}.");
            }
            Embedding(users[0]);
        }
        while (true)
        {
            int[] users = DataUsers(current);
            if (users.Length == 0) break;
            if (users.Length == 2)
            {
                if (TrySilu(users) || TryGelu(users)) continue;
                throw Unsupported(users[1], $"its input '{current}' also goes into {Where(users[0])}: Unroll's models are a chain of layers, without branches");
            }
            if (users.Length > 2) throw Unsupported(users[0], $"its input '{current}' goes into {users.Length} nodes: Unroll's models are a chain of layers, without branches");
            int i = users[0];
            switch (nodes[i].OpType)
            {
                case "LSTM": Recurrent(i, "Lstm", 4); break;
                case "GRU": Recurrent(i, "Gru", 3); break;
                case "RNN": Recurrent(i, "Rnn", 1); break;
                case "MatMul" when InAttentionModule(i): Attention(i); break;
                case "MatMul": MatMul(i); break;
                case "Gemm": Gemm(i); break;
                case "Conv": Conv(i); break;
                case "Pad": Pad(i); break;
                case "MaxPool": Pool(i, "MaxPool1d"); break;
                case "AveragePool": Pool(i, "AvgPool1d"); break;
                case "ReduceMean": Reduce(i, "PoolingKind.Mean"); break;
                case "ReduceMax": Reduce(i, "PoolingKind.Max"); break;
                case "BatchNormalization": BatchNorm(i); break;
                case "LayerNormalization": LayerNorm(i); break;
                case "Relu": Activation(i, "ActivationFunction.Relu"); break;
                case "Tanh": Activation(i, "ActivationFunction.Tanh"); break;
                case "Sigmoid": Activation(i, "ActivationFunction.Sigmoid"); break;
                case "LeakyRelu":
                    float alpha = FloatAttribute(nodes[i], "alpha", 0.01f);
                    Activation(i, alpha == 0.01f ? "ActivationFunction.LeakyRelu" : $"ActivationFunction.LeakyRelu, NegativeSlope = {Number(alpha)}");
                    break;
                case "Transpose": Transpose(i); break;
                case "Squeeze": Squeeze(i); break;
                case "Reshape": Reshape(i); break;
                case "Identity": PassThrough(i); break;
                case "Dropout": Dropout(i); break;
                default: throw Unsupported(i, "Unroll has no layer for it");
            }
        }
        if (!graphOutputs.Contains(current))
        {
            throw producers.TryGetValue(current, out int p)
                ? Unsupported(p, $"its output '{current}' goes nowhere, and the graph's output is '{graph.Output[0].Name}'")
                : new ImportException($"'{file}': the input goes to no node.");
        }
        if (layout is not ("BTF" or "BF"))
        {
            throw Unsupported(producers[current], $"the graph's output '{current}' is laid out [{AxisNames(layout)}], not [batch, time, features] (batch-first) or, pooled over time, [batch, features] as Unroll's models give it");
        }
    }

    /// <summary>The nodes that read <paramref name="tensor"/>'s values (Shape nodes, which read only its shape, are accepted as plumbing).</summary>
    private int[] DataUsers(string tensor)
    {
        if (!consumers.TryGetValue(tensor, out List<int>? list)) return [];
        var users = new List<int>();
        foreach (int i in list)
        {
            if (nodes[i].OpType == "Shape") consumed[i] = true;
            else users.Add(i);
        }
        return users.ToArray();
    }

    /// <summary>Moves along to <paramref name="node"/>'s first output, whose other outputs must go nowhere.</summary>
    private void Advance(int node, string? newLayout = null)
    {
        NodeProto n = nodes[node];
        consumed[node] = true;
        for (int k = 1; k < n.Output.Count; k++)
        {
            if (n.Output[k].Length > 0 && (consumers.ContainsKey(n.Output[k]) || graphOutputs.Contains(n.Output[k])))
            {
                throw Unsupported(node, $"its output {k} ('{n.Output[k]}') is used; Unroll's layers pass on only their output sequence (not h_n, c_n or the like)");
            }
        }
        current = n.Output[0];
        if (newLayout is not null) layout = newLayout;
    }

    // ------------------------------------------------------------------------------------------------
    // Layout plumbing

    private void Transpose(int i)
    {
        long[] perm = IntsAttribute(nodes[i], "perm") ?? Enumerable.Range(0, layout.Length).Reverse().Select(k => (long)k).ToArray();
        if (perm.Length != layout.Length || perm.Any(p => p < 0 || p >= layout.Length) || perm.Distinct().Count() != perm.Length)
        {
            throw Unsupported(i, $"its permutation [{string.Join(", ", perm)}] does not fit its input, laid out [{AxisNames(layout)}]");
        }
        Advance(i, new string(perm.Select(p => layout[(int)p]).ToArray()));
    }

    private void Squeeze(int i)
    {
        NodeProto n = nodes[i];
        long[]? axes = n.Input.Count > 1 && n.Input[1].Length > 0 ? Integers(n.Input[1], i) : IntsAttribute(n, "axes");
        if (n.Input.Count > 1) MarkPlumbing(n.Input[1]);
        if (axes is not { Length: 1 })
        {
            throw Unsupported(i, "Unroll follows a Squeeze only of the direction axis of a one-directional recurrent node's output");
        }
        int axis = (int)(axes[0] < 0 ? axes[0] + layout.Length : axes[0]);
        if (axis < 0 || axis >= layout.Length || layout[axis] != 'D' || directions != 1)
        {
            throw Unsupported(i, $"it squeezes axis {axes[0]} of [{AxisNames(layout)}]; Unroll follows a Squeeze only of the direction axis of a one-directional recurrent node's output");
        }
        Advance(i, layout.Remove(axis, 1));
    }

    private void Reshape(int i)
    {
        NodeProto n = nodes[i];
        MarkPlumbing(n.Input[1]);
        int d = layout.IndexOf('D', StringComparison.Ordinal);
        long[]? shape = Constant(n.Input[1]) is { } t ? Integers(t, i) : null;
        bool merges = layout.Length == 4 && d == 2 && layout[3] == 'F'
            && (shape is null || (shape.Length == 3 && (shape[2] == -1 || shape[2] == directions * width)));
        if (!merges)
        {
            throw Unsupported(i, $"it reshapes [{AxisNames(layout)}] to [{(shape is null ? "?" : string.Join(", ", shape))}]; Unroll follows a Reshape only where it joins a recurrent node's directions");
        }
        width *= directions;
        directions = 1;
        Advance(i, layout.Remove(d, 1));
    }

    private void PassThrough(int i) => Advance(i);

    private void Dropout(int i)
    {
        NodeProto n = nodes[i];
        if (n.Input.Count > 2 && n.Input[2].Length > 0)
        {
            if (Constant(n.Input[2]) is not { } training || Integers(training, i).Any(v => v != 0))
            {
                throw Unsupported(i, "it drops values (training mode); Unroll imports a model exported in eval()");
            }
            MarkPlumbing(n.Input[2]);
        }
        if (n.Input.Count > 1 && n.Input[1].Length > 0) MarkPlumbing(n.Input[1]);
        Advance(i);
    }

    // ------------------------------------------------------------------------------------------------
    // Zero states and shape plumbing

    /// <summary>Accepts the nodes that compute <paramref name="tensor"/> as shape or zero-state plumbing (they may read only shapes of the data path).</summary>
    private void MarkPlumbing(string tensor)
    {
        if (tensor.Length == 0 || !producers.TryGetValue(tensor, out int p) || consumed[p]) return;
        NodeProto n = nodes[p];
        if (n.OpType is not ("Constant" or "Shape" or "Gather" or "Unsqueeze" or "Squeeze" or "Concat" or "Slice" or "Expand" or "ConstantOfShape" or "Cast" or "Identity"))
        {
            throw Unsupported(p, "it computes a shape or an initial state in a way Unroll does not follow");
        }
        consumed[p] = true;
        if (n.OpType == "Shape") return;
        foreach (string input in n.Input) MarkPlumbing(input);
    }

    /// <summary>Whether <paramref name="tensor"/> is all zeros whatever its shape: absent, a zero constant, or zeros expanded.</summary>
    private bool IsZeros(string tensor, int node)
    {
        if (tensor.Length == 0) return true;
        if (initializers.TryGetValue(tensor, out TensorProto? init)) return Values(init, node, tensor).All(v => v == 0);
        if (!producers.TryGetValue(tensor, out int p)) return false;
        NodeProto n = nodes[p];
        return n.OpType switch
        {
            "Constant" => Constant(tensor) is { } t && Values(t, p, tensor).All(v => v == 0),
            "ConstantOfShape" => n.Attribute.FirstOrDefault(a => a.Name == "value") is not { } value || Values(value.T, p, tensor).All(v => v == 0),
            "Expand" or "Identity" or "Cast" => IsZeros(n.Input[0], p),
            _ => false,
        };
    }

    // ------------------------------------------------------------------------------------------------
    // Errors and names

    private string Where(int i) => $"node {i + 1} of {nodes.Count}, '{nodes[i].Name}' ({nodes[i].OpType})";

    private string Origin(int i) => $"ONNX node '{nodes[i].Name}' ({nodes[i].OpType}, node {i + 1} of {nodes.Count})";

    /// <summary>Several nodes: "ONNX nodes '/0/MatMul' (MatMul, node 1 of 5) and '/0/Add' (Add, node 2 of 5)".</summary>
    private string Origin(List<int> indices)
    {
        if (indices.Count == 1) return Origin(indices[0]);
        string[] parts = indices.Select(i => $"'{nodes[i].Name}' ({nodes[i].OpType}, node {i + 1} of {nodes.Count})").ToArray();
        return "ONNX nodes " + string.Join(", ", parts[..^1]) + " and " + parts[^1];
    }

    private ImportException Unsupported(int i, string why) => new($"'{file}': {Where(i)}: {why}{AttentionHint(i)}.");

    /// <summary>When the node belongs to a module whose nodes include a Softmax, the module is most likely attention: say so.</summary>
    private string AttentionHint(int i)
    {
        string module = Module(nodes[i].Name);
        if (module.Length == 0) return "";
        bool softmax = nodes.Any(n => n.OpType == "Softmax" && Module(n.Name).StartsWith(module, StringComparison.Ordinal));
        return softmax && nodes[i].OpType != "Softmax" || softmax && nodes.Count(n => n.OpType == "MatMul" && Module(n.Name).StartsWith(module, StringComparison.Ordinal)) >= 2
            ? $" (it is part of '{module}', which looks like attention: Unroll imports nn.MultiheadAttention's self-attention as torch.onnx.export writes it, as [SelfAttention], and no other attention)"
            : "";
    }

    /// <summary>The module path of a node name: '/encoder/rnn/LSTM_1' → '/encoder/rnn/'.</summary>
    private static string Module(string nodeName)
    {
        int slash = nodeName.LastIndexOf('/');
        return slash <= 0 ? "" : nodeName[..(slash + 1)];
    }

    /// <summary>A property name from the node's module path (/head/MatMul → Head, /0/Add → Layer0, /Relu → Relu), unique in the model.</summary>
    private string Property(int i)
    {
        string[] parts = Module(nodes[i].Name).Split('/', StringSplitOptions.RemoveEmptyEntries);
        return names.Unique(string.Join("/", parts.Length == 0 ? [nodes[i].OpType] : parts), "Layer");
    }

    private static string AxisNames(string axes) => string.Join(", ", axes.Select(a => a switch
    {
        'B' => "batch",
        'T' => "time",
        'F' => "features",
        'D' => "directions",
        _ => a.ToString(),
    }));

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Shape(IEnumerable<long> dims) => "[" + string.Join(", ", dims) + "]";
}
