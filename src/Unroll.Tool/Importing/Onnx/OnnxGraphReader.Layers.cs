using System.Globalization;
using System.Runtime.InteropServices;
using Onnx;

namespace Unroll.Tool.Importing.Onnx;

/// <summary>The layers: each recognised node or pattern as an Unroll attribute, its weights in PyTorch's layouts.</summary>
internal sealed partial class OnnxGraphReader
{
    /// <summary>A recurrent layer still open to the next stacked node of the same module.</summary>
    private sealed class RecurrentStack
    {
        public required string Kind { get; init; }
        public required string Op { get; init; }
        public required string Module { get; init; }
        public required string Property { get; init; }
        public required int InputSize { get; init; }
        public required int HiddenSize { get; init; }
        public required int Directions { get; init; }
        public string? Nonlinearity { get; init; }
        public int Layers { get; set; }
        public List<ImportedTensor> Tensors { get; } = [];
        public List<int> Nodes { get; } = [];
    }

    private void AddLayer(string property, string attribute, string viewType, string origin)
    {
        Flush();
        layers.Add(new ImportedLayer(property, attribute, viewType, origin));
    }

    /// <summary>Closes the open recurrent layer, if any.</summary>
    private void Flush()
    {
        if (pending is not { } r) return;
        pending = null;
        var options = new List<string>();
        if (r.Nonlinearity is { } nonlinearity) options.Add($"Nonlinearity = Nonlinearity.{nonlinearity}");
        if (r.Layers > 1) options.Add($"NumLayers = {r.Layers}");
        if (r.Directions == 2) options.Add("Bidirectional = true");
        string attribute = $"{r.Kind}({r.InputSize}, {r.HiddenSize}{string.Concat(options.Select(o => ", " + o))})";
        layers.Add(new ImportedLayer(r.Property, attribute, r.Kind + "Layer", Origin(r.Nodes)));
        tensors.AddRange(r.Tensors);
    }

    // ------------------------------------------------------------------------------------------------
    // Recurrent nodes

    /// <summary>ONNX's gate blocks in PyTorch's order: LSTM i, o, f, c → i, f, g, o; GRU z, r, h → r, z, n.</summary>
    private static int[] GateOrder(string kind) => kind switch
    {
        "Lstm" => [0, 2, 3, 1],
        "Gru" => [1, 0, 2],
        _ => [0],
    };

    private void Recurrent(int i, string kind, int gates)
    {
        NodeProto n = nodes[i];
        if (n.Input[0] != current) throw Unsupported(i, $"the sequence '{current}' is not its input X");
        if (layout != "TBF")
        {
            throw Unsupported(i, $"its input is laid out [{AxisNames(layout)}], not [time, batch, features] as PyTorch exports a recurrent layer's input");
        }
        int hidden = (int)IntAttribute(n, "hidden_size", 0);
        string direction = StringAttribute(n, "direction", "forward");
        int dirs = direction switch
        {
            "forward" => 1,
            "bidirectional" => 2,
            _ => throw Unsupported(i, $"its direction is '{direction}'; Unroll's layers run forward or both ways"),
        };
        if (IntAttribute(n, "layout", 0) != 0) throw Unsupported(i, "its layout is 1 (batch-first); PyTorch exports 0 (time-major), which Unroll imports");
        if (n.Attribute.Any(a => a.Name == "clip")) throw Unsupported(i, "it clips its cell input, which Unroll's layers do not");
        if (kind == "Lstm" && IntAttribute(n, "input_forget", 0) != 0) throw Unsupported(i, "it couples the input and forget gates (input_forget), which Unroll's LSTM does not");
        if (kind == "Gru" && IntAttribute(n, "linear_before_reset", 0) != 1)
        {
            throw Unsupported(i, "its linear_before_reset is 0 (the reset gate before the recurrent product); Unroll's GRU is PyTorch's, which applies it after (linear_before_reset = 1)");
        }
        string[] activations = StringsAttribute(n, "activations") ?? [];
        string? nonlinearity = null;
        string[] expected = kind switch { "Lstm" => ["Sigmoid", "Tanh", "Tanh"], "Gru" => ["Sigmoid", "Tanh"], _ => ["Tanh"] };
        if (kind == "Rnn" && activations.Length > 0 && activations[0] == "Relu") expected = ["Relu"];
        if (activations.Length > 0 && !activations.SequenceEqual(Enumerable.Range(0, activations.Length).Select(k => expected[k % expected.Length]), StringComparer.OrdinalIgnoreCase))
        {
            throw Unsupported(i, $"its activations are {string.Join(", ", activations)}; Unroll's {kind.ToUpperInvariant()} uses {string.Join(", ", expected)}");
        }
        if (kind == "Rnn") nonlinearity = expected[0] == "Relu" ? "Relu" : null;
        if (n.Input.Count > 4 && n.Input[4].Length > 0) throw Unsupported(i, "it takes sequence_lens; Unroll gives each row's length to Forward instead");
        if (kind == "Lstm" && n.Input.Count > 7 && n.Input[7].Length > 0) throw Unsupported(i, "it has peephole weights (P), which Unroll's LSTM does not");
        int states = kind == "Lstm" ? 2 : 1;
        for (int k = 5; k < 5 + states && k < n.Input.Count; k++)
        {
            if (!IsZeros(n.Input[k], i))
            {
                throw Unsupported(i, $"its initial {(k == 5 ? "hidden" : "cell")} state '{n.Input[k]}' is not zeros; Unroll's layers start from zero states (set Rnn.InitialHidden in code instead)");
            }
            MarkPlumbing(n.Input[k]);
        }

        int input = width, gh = gates * hidden;
        float[] w = Weight(i, n.Input[1], "W", [dirs, gh, input]);
        float[] r = Weight(i, n.Input[2], "R", [dirs, gh, hidden]);
        float[] b = n.Input.Count > 3 && n.Input[3].Length > 0 ? Weight(i, n.Input[3], "B", [dirs, 2 * gh]) : new float[dirs * 2 * gh];

        string module = Module(n.Name);
        if (pending is not { } open || open.Op != n.OpType || open.Module != module || open.HiddenSize != hidden || open.Directions != dirs
            || open.Nonlinearity != nonlinearity || input != dirs * hidden)
        {
            Flush();
            pending = open = new RecurrentStack
            {
                Kind = kind, Op = n.OpType, Module = module, Property = Property(i), InputSize = input, HiddenSize = hidden,
                Directions = dirs, Nonlinearity = nonlinearity,
            };
        }
        int[] order = GateOrder(kind);
        for (int d = 0; d < dirs; d++)
        {
            string suffix = $"_l{open.Layers}{(d == 1 ? "_reverse" : "")}";
            open.Tensors.Add(new($"{open.Property}.weight_ih{suffix}", [gh, input], Blocks(w.AsSpan(d * gh * input, gh * input), hidden * input, order)));
            open.Tensors.Add(new($"{open.Property}.weight_hh{suffix}", [gh, hidden], Blocks(r.AsSpan(d * gh * hidden, gh * hidden), hidden * hidden, order)));
            open.Tensors.Add(new($"{open.Property}.bias_ih{suffix}", [gh], Blocks(b.AsSpan(d * 2 * gh, gh), hidden, order)));
            open.Tensors.Add(new($"{open.Property}.bias_hh{suffix}", [gh], Blocks(b.AsSpan(d * 2 * gh + gh, gh), hidden, order)));
        }
        open.Layers++;
        open.Nodes.Add(i);
        width = hidden;
        directions = dirs;
        Advance(i, "TDBF"); // Y [time, directions, batch, hidden] goes on; Y_h and Y_c must go nowhere
    }

    /// <summary>Gate blocks of <paramref name="blockSize"/> values reordered: block k of the result is block order[k] of the source.</summary>
    private static float[] Blocks(ReadOnlySpan<float> source, int blockSize, int[] order)
    {
        var result = new float[source.Length];
        for (int k = 0; k < order.Length; k++) source.Slice(order[k] * blockSize, blockSize).CopyTo(result.AsSpan(k * blockSize));
        return result;
    }

    // ------------------------------------------------------------------------------------------------
    // Linear, embedding, convolution, normalisation

    private void Embedding(int i)
    {
        NodeProto n = nodes[i];
        if (n.Input[1] != current || !initializers.TryGetValue(n.Input[0], out TensorProto? table) || IntAttribute(n, "axis", 0) != 0)
        {
            throw Unsupported(i, "the token input must index the rows of an embedding table (an initializer), as nn.Embedding exports");
        }
        if (table.Dims.Count != 2) throw Unsupported(i, $"its table '{n.Input[0]}' has shape {Shape(table.Dims)}; an embedding table is [numEmbeddings, embeddingDim]");
        int count = (int)table.Dims[0], dim = (int)table.Dims[1];
        string property = Property(i);
        AddLayer(property, $"Embedding({count}, {dim})", "EmbeddingLayer", Origin(i));
        tensors.Add(new($"{property}.weight", [count, dim], Weight(i, n.Input[0], "the table", [count, dim])));
        width = dim;
        Advance(i, "BTF");
    }

    /// <summary>MatMul by a constant [in, out] matrix, with the Add of a constant [out] bias after it when there is one: nn.Linear of a sequence.</summary>
    private void MatMul(int i)
    {
        NodeProto n = nodes[i];
        if (n.Input[0] != current || !initializers.TryGetValue(n.Input[1], out TensorProto? matrix) || matrix.Dims.Count != 2 || layout[^1] != 'F')
        {
            throw Unsupported(i, "Unroll imports a MatMul only of the sequence's features by a constant [in, out] matrix (nn.Linear)");
        }
        int inputs = (int)matrix.Dims[0], outputs = (int)matrix.Dims[1];
        if (inputs != width) throw Unsupported(i, $"its weight '{n.Input[1]}' has shape {Shape(matrix.Dims)}, but its input has {width} features");
        float[] weight = Transposed(Weight(i, n.Input[1], "weight", [inputs, outputs]), inputs, outputs);
        Advance(i);
        float[]? bias = null;
        string origin = Origin(i);
        if (DataUsers(current) is [int add] && nodes[add].OpType == "Add" && nodes[add].Input.Count == 2)
        {
            string other = nodes[add].Input[0] == current ? nodes[add].Input[1] : nodes[add].Input[0];
            if (initializers.TryGetValue(other, out TensorProto? b) && b.Dims.Count == 1 && b.Dims[0] == outputs)
            {
                bias = Weight(add, other, "bias", [outputs]);
                origin = Origin([i, add]);
                Advance(add);
            }
        }
        Linear(i, inputs, outputs, weight, bias, origin);
    }

    /// <summary>Gemm (nn.Linear of a [batch, features] input): A · op(B) + C with op(B) = Bᵀ when transB.</summary>
    private void Gemm(int i)
    {
        NodeProto n = nodes[i];
        if (n.Input[0] != current || !initializers.TryGetValue(n.Input[1], out TensorProto? matrix) || matrix.Dims.Count != 2 || layout[^1] != 'F'
            || IntAttribute(n, "transA", 0) != 0 || FloatAttribute(n, "alpha", 1) != 1 || FloatAttribute(n, "beta", 1) != 1)
        {
            throw Unsupported(i, "Unroll imports a Gemm only as nn.Linear exports it: the sequence's features by a constant matrix, alpha = beta = 1, transA = 0");
        }
        bool transB = IntAttribute(n, "transB", 0) != 0;
        int outputs = (int)matrix.Dims[transB ? 0 : 1], inputs = (int)matrix.Dims[transB ? 1 : 0];
        if (inputs != width) throw Unsupported(i, $"its weight '{n.Input[1]}' has shape {Shape(matrix.Dims)}{(transB ? " (transposed)" : "")}, but its input has {width} features");
        float[] b = Weight(i, n.Input[1], "weight", matrix.Dims.ToArray());
        float[] weight = transB ? b : Transposed(b, inputs, outputs);
        float[]? bias = n.Input.Count > 2 && n.Input[2].Length > 0 ? Weight(i, n.Input[2], "bias", [outputs]) : null;
        Advance(i);
        Linear(i, inputs, outputs, weight, bias, Origin(i));
    }

    private void Linear(int i, int inputs, int outputs, float[] weight, float[]? bias, string origin)
    {
        string property = Property(i);
        AddLayer(property, $"Linear({inputs}, {outputs}{(bias is null ? ", Bias = false" : "")})", "LinearLayer", origin);
        tensors.Add(new($"{property}.weight", [outputs, inputs], weight));
        if (bias is not null) tensors.Add(new($"{property}.bias", [outputs], bias));
        width = outputs;
    }

    private static float[] Transposed(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++) result[c * rows + r] = matrix[r * columns + c];
        }
        return result;
    }

    /// <summary>
    /// A Pad of the time axis of [batch, channels, time], reflected or repeated (mode reflect or edge), the same on both
    /// sides, into a Conv without padding of its own: nn.Conv1d with padding_mode 'reflect' or 'replicate'.
    /// </summary>
    private void Pad(int i)
    {
        NodeProto n = nodes[i];
        string mode = StringAttribute(n, "mode", "constant");
        long[] pads = n.Input.Count > 1 && n.Input[1].Length > 0 ? Integers(n.Input[1], i) : IntsAttribute(n, "pads") ?? [];
        if (layout != "BFT" || mode is not ("reflect" or "edge") || pads is not [0, 0, long left, 0, 0, long right] || left != right || n.Input.Count > 3 && n.Input[3].Length > 0)
        {
            throw Unsupported(i, "Unroll imports a Pad only as a reflect or replicate padding of a convolution's input: mode reflect or edge, of the time axis of [batch, channels, time], the same on both sides");
        }
        if (n.Input.Count > 1) MarkPlumbing(n.Input[1]);
        Advance(i);
        if (DataUsers(current) is not [int conv] || nodes[conv].OpType != "Conv") throw Unsupported(i, "its output must go into one Conv, whose padding it is");
        Conv(conv, (left, mode == "reflect" ? "PaddingMode.Reflect" : "PaddingMode.Replicate", i));
    }

    /// <summary>A 1-D Conv (nn.Conv1d); <paramref name="padded"/>: the Pad before it, which gives its padding and mode.</summary>
    private void Conv(int i, (long Padding, string Mode, int Node)? padded = null)
    {
        NodeProto n = nodes[i];
        if (n.Input[0] != current || !initializers.TryGetValue(n.Input[1], out TensorProto? kernel))
        {
            throw Unsupported(i, "Unroll imports a Conv only of the sequence by a constant kernel");
        }
        if (kernel.Dims.Count != 3) throw Unsupported(i, $"its kernel '{n.Input[1]}' has shape {Shape(kernel.Dims)}; Unroll's [Conv1d] is 1-D ([out, in/groups, k])");
        if (layout != "BFT") throw Unsupported(i, $"its input is laid out [{AxisNames(layout)}], not [batch, channels, time] as nn.Conv1d's");
        string autoPad = StringAttribute(n, "auto_pad", "NOTSET");
        if (autoPad != "NOTSET") throw Unsupported(i, $"its auto_pad is {autoPad}; PyTorch exports explicit pads");
        int groups = (int)IntAttribute(n, "group", 1);
        int outputs = (int)kernel.Dims[0], size = (int)kernel.Dims[2], inputs = (int)kernel.Dims[1] * groups;
        if (inputs != width) throw Unsupported(i, $"its kernel '{n.Input[1]}' has shape {Shape(kernel.Dims)} (groups {groups}), but its input has {width} channels");
        long[] pads = IntsAttribute(n, "pads") ?? [0, 0];
        long[] strides = IntsAttribute(n, "strides") ?? [1];
        long[] dilations = IntsAttribute(n, "dilations") ?? [1];
        // A causal convolution pads (k − 1)·dilation steps on the left alone.
        bool causal = pads is [long left, 0] && left > 0 && left == (size - 1) * dilations[0] && padded is null;
        if (pads.Length != 2 || pads[0] != pads[1] && !causal || padded is not null && pads[0] != 0)
        {
            throw Unsupported(i, $"its pads [{string.Join(", ", pads)}]{(padded is null ? "" : " after a Pad")} are neither the same on both sides, as Unroll's Padding, nor (k − 1)·dilation on the left alone, as a causal convolution's");
        }
        var attribute = new List<string> { $"Conv1d({inputs}, {outputs}, {size}" };
        if (strides[0] != 1) attribute.Add($"Stride = {strides[0]}");
        if (padded is { } pad) attribute.Add($"Padding = {pad.Padding}, PaddingMode = {pad.Mode}");
        else if (!causal && pads[0] != 0) attribute.Add($"Padding = {pads[0]}");
        if (dilations[0] != 1) attribute.Add($"Dilation = {dilations[0]}");
        if (groups != 1) attribute.Add($"Groups = {groups}");
        bool bias = n.Input.Count > 2 && n.Input[2].Length > 0;
        if (!bias) attribute.Add("Bias = false");
        if (causal) attribute.Add("Causal = true");
        string property = Property(i);
        AddLayer(property, string.Join(", ", attribute) + ")", "Conv1dLayer", padded is { } p ? Origin([p.Node, i]) : Origin(i));
        tensors.Add(new($"{property}.weight", [outputs, inputs / groups, size], Weight(i, n.Input[1], "kernel", [outputs, inputs / groups, size])));
        if (bias) tensors.Add(new($"{property}.bias", [outputs], Weight(i, n.Input[2], "bias", [outputs])));
        width = outputs;
        Advance(i);
    }

    /// <summary>MaxPool or AveragePool over the time axis of [batch, channels, time]: nn.MaxPool1d, nn.AvgPool1d.</summary>
    private void Pool(int i, string kind)
    {
        NodeProto n = nodes[i];
        long[] kernel = IntsAttribute(n, "kernel_shape") ?? [];
        long[] strides = IntsAttribute(n, "strides") ?? [1];
        long[] pads = IntsAttribute(n, "pads") ?? [0, 0];
        long[] dilations = IntsAttribute(n, "dilations") ?? [1];
        if (layout != "BFT" || kernel.Length != 1 || pads.Length != 2 || pads[0] != pads[1] || IntAttribute(n, "ceil_mode", 0) != 0 || StringAttribute(n, "auto_pad", "NOTSET") != "NOTSET")
        {
            throw Unsupported(i, $"Unroll imports a {n.OpType} only over the time axis of [batch, channels, time], with the same pads on both sides, without ceil_mode or auto_pad");
        }
        if (kind == "AvgPool1d" && dilations[0] != 1) throw Unsupported(i, "its dilation is not 1, which nn.AvgPool1d's always is");
        var attribute = new List<string> { $"{kind}({kernel[0]}" };
        if (strides[0] != kernel[0]) attribute.Add($"Stride = {strides[0]}");
        if (pads[0] != 0) attribute.Add($"Padding = {pads[0]}");
        if (dilations[0] != 1) attribute.Add($"Dilation = {dilations[0]}");
        if (kind == "AvgPool1d" && IntAttribute(n, "count_include_pad", 0) == 0 && pads[0] != 0) attribute.Add("CountIncludePad = false");
        AddLayer(Property(i), string.Join(", ", attribute) + ")", kind + "Layer", Origin(i));
        Advance(i);
    }

    /// <summary>ReduceMean or ReduceMax over the time axis of [batch, time, features] or [batch, channels, time], not kept: [Pooling] of that kind.</summary>
    private void Reduce(int i, string kind)
    {
        NodeProto n = nodes[i];
        long[]? axes = n.Input.Count > 1 && n.Input[1].Length > 0 ? Integers(n.Input[1], i) : IntsAttribute(n, "axes");
        if (n.Input.Count > 1) MarkPlumbing(n.Input[1]);
        int time = layout.IndexOf('T', StringComparison.Ordinal);
        if (layout is not ("BTF" or "BFT") || axes is not [long axis] || (axis < 0 ? axis + 3 : axis) != time || IntAttribute(n, "keepdims", 1) != 0)
        {
            throw Unsupported(i, $"Unroll imports a {n.OpType} only over the time axis of a [batch, time, features] or [batch, channels, time] sequence, not kept (keepdims = 0), as [Pooling]");
        }
        AddLayer(Property(i), $"Pooling({kind})", "PoolingLayer", Origin(i));
        Advance(i, "BF");
    }

    private void BatchNorm(int i)
    {
        NodeProto n = nodes[i];
        if (n.Input[0] != current || layout != "BFT") throw Unsupported(i, $"its input is laid out [{AxisNames(layout)}], not [batch, channels, time] as nn.BatchNorm1d's of a sequence");
        if (IntAttribute(n, "training_mode", 0) != 0) throw Unsupported(i, "it is in training mode; Unroll imports a model exported in eval()");
        float eps = FloatAttribute(n, "epsilon", 1e-5f), momentum = FloatAttribute(n, "momentum", 0.9f);
        var attribute = $"BatchNorm({width}";
        if (Math.Abs(eps - 1e-5f) > 1e-12f) attribute += $", Eps = {Number(eps)}";
        decimal torchMomentum = 1m - decimal.Parse(Number(momentum), NumberStyles.Float, CultureInfo.InvariantCulture);
        if (torchMomentum != 0.1m) attribute += $", Momentum = {torchMomentum.ToString(CultureInfo.InvariantCulture)}";
        string property = Property(i);
        AddLayer(property, attribute + ")", "BatchNormLayer", Origin(i));
        string[] names = ["weight", "bias", "running_mean", "running_var"];
        for (int k = 0; k < 4; k++) tensors.Add(new($"{property}.{names[k]}", [width], Weight(i, n.Input[k + 1], names[k], [width])));
        // The count of training batches is not in the graph; Unroll's state dict has it (a scalar), and eval() ignores it.
        tensors.Add(new($"{property}.num_batches_tracked", [], [0f]));
        Advance(i);
    }

    private void LayerNorm(int i)
    {
        NodeProto n = nodes[i];
        long axis = IntAttribute(n, "axis", -1);
        if (n.Input[0] != current || layout[^1] != 'F' || !(axis == -1 || axis == layout.Length - 1))
        {
            throw Unsupported(i, "Unroll imports a LayerNormalization only over the features (the last axis)");
        }
        float eps = FloatAttribute(n, "epsilon", 1e-5f);
        if (Math.Abs(eps - 1e-5f) > 1e-12f) throw Unsupported(i, $"its epsilon is {Number(eps)}; Unroll's [LayerNorm] uses nn.LayerNorm's 1e-5");
        string property = Property(i);
        AddLayer(property, $"LayerNorm({width})", "LayerNormLayer", Origin(i));
        tensors.Add(new($"{property}.weight", [width], Weight(i, n.Input[1], "scale", [width])));
        tensors.Add(new($"{property}.bias", [width], n.Input.Count > 2 && n.Input[2].Length > 0 ? Weight(i, n.Input[2], "bias", [width]) : new float[width]));
        Advance(i);
    }

    // ------------------------------------------------------------------------------------------------
    // Activations

    private void Activation(int i, string function)
    {
        AddLayer(Property(i), $"Activation({function})", "ActivationLayer", Origin(i));
        Advance(i);
    }

    /// <summary>SiLU as exported: Sigmoid(x) and Mul(x, Sigmoid(x)).</summary>
    private bool TrySilu(int[] users)
    {
        int sigmoid = Array.Find(users, u => nodes[u].OpType == "Sigmoid"), mul = Array.Find(users, u => nodes[u].OpType == "Mul");
        if (users.Count(u => nodes[u].OpType == "Sigmoid") != 1 || users.Count(u => nodes[u].OpType == "Mul") != 1) return false;
        string s = nodes[sigmoid].Output[0];
        if (!(nodes[mul].Input.Contains(current) && nodes[mul].Input.Contains(s)) || DataUsers(s) is not [int only] || only != mul) return false;
        consumed[sigmoid] = true;
        AddLayer(Property(sigmoid), "Activation(ActivationFunction.Silu)", "ActivationLayer", Origin([sigmoid, mul]));
        Advance(mul);
        return true;
    }

    /// <summary>
    /// GELU as exported before opset 20, x·½(1 + erf(x/√2)): Div(x, √2) or Mul(x, 1/√2) → Erf → Add(·, 1), then Mul(x, ·)
    /// → Mul(·, 0.5) (torch.onnx.export's order) or Mul(·, 0.5) → Mul(x, ·) (Unroll's).
    /// </summary>
    private bool TryGelu(int[] users)
    {
        bool Scales(int u) => nodes[u].Input[0] == current && nodes[u].OpType switch
        {
            "Div" => IsScalar(nodes[u].Input[1], MathF.Sqrt(2)),
            "Mul" => IsScalar(nodes[u].Input[1], 1 / MathF.Sqrt(2)),
            _ => false,
        };
        if (users.Length != 2) return false;
        int scale = Scales(users[0]) ? users[0] : Scales(users[1]) ? users[1] : -1;
        if (scale < 0) return false;
        int mul = users[0] == scale ? users[1] : users[0];
        if (nodes[mul].OpType != "Mul") return false;
        if (DataUsers(nodes[scale].Output[0]) is not [int erf] || nodes[erf].OpType != "Erf") return false;
        if (DataUsers(nodes[erf].Output[0]) is not [int add] || nodes[add].OpType != "Add" || !HasScalar(add, nodes[erf].Output[0], 1)) return false;
        if (DataUsers(nodes[add].Output[0]) is not [int next]) return false;
        int half, last;
        if (next == mul)
        {
            // torch: (x · (1 + erf)) · 0.5
            if (DataUsers(nodes[mul].Output[0]) is not [int h] || nodes[h].OpType != "Mul" || !HasScalar(h, nodes[mul].Output[0], 0.5f)) return false;
            (half, last) = (h, h);
        }
        else
        {
            // Unroll: x · ((1 + erf) · 0.5)
            if (nodes[next].OpType != "Mul" || !HasScalar(next, nodes[add].Output[0], 0.5f) || DataUsers(nodes[next].Output[0]) is not [int m] || m != mul) return false;
            (half, last) = (next, mul);
        }
        if (!nodes[mul].Input.Contains(current)) return false;
        foreach (int k in (int[])[scale, erf, add, mul, half]) consumed[k] = true;
        MarkPlumbing(nodes[scale].Input[1]);
        foreach (int k in (int[])[add, half])
        {
            foreach (string input in nodes[k].Input) if (producers.TryGetValue(input, out int p) && nodes[p].OpType == "Constant") MarkPlumbing(input);
        }
        AddLayer(Property(scale), "Activation(ActivationFunction.Gelu)", "ActivationLayer",
            $"ONNX nodes '{nodes[scale].Name}' to '{nodes[last].Name}' (GELU as {nodes[scale].OpType}, Erf, Add, Mul, Mul; nodes {Math.Min(scale, last) + 1} to {Math.Max(scale, last) + 1} of {nodes.Count})");
        Advance(last);
        return true;
    }

    /// <summary>Whether node <paramref name="node"/> (Add or Mul) takes <paramref name="tensor"/> and a scalar constant ≈ <paramref name="value"/>.</summary>
    private bool HasScalar(int node, string tensor, float value)
    {
        NodeProto n = nodes[node];
        return n.Input.Count == 2 && (n.Input[0] == tensor ? IsScalar(n.Input[1], value) : n.Input[1] == tensor && IsScalar(n.Input[0], value));
    }

    private bool IsScalar(string tensor, float value) =>
        Constant(tensor) is { } t && t.DataType == (int)TensorProto.Types.DataType.Float && Values(t, -1, tensor) is [float v] && Math.Abs(v - value) <= 1e-6f * Math.Abs(value);

    // ------------------------------------------------------------------------------------------------
    // Tensors and attributes

    /// <summary>The constant value of <paramref name="tensor"/>: an initializer or a Constant node's (through Identity), else null.</summary>
    private TensorProto? Constant(string tensor)
    {
        if (initializers.TryGetValue(tensor, out TensorProto? init)) return init;
        if (!producers.TryGetValue(tensor, out int p)) return null;
        NodeProto n = nodes[p];
        if (n.OpType == "Identity") return Constant(n.Input[0]);
        return n.OpType == "Constant" && n.Attribute.FirstOrDefault(a => a.Name == "value") is { T: { } t } ? t : null;
    }

    /// <summary>A constant float tensor of the expected shape, row-major.</summary>
    private float[] Weight(int node, string tensor, string role, long[] shape)
    {
        if (Constant(tensor) is not { } t)
        {
            throw Unsupported(node, $"its {role} '{tensor}' is computed, not a constant; Unroll imports weights stored in the file");
        }
        if (!t.Dims.SequenceEqual(shape))
        {
            throw Unsupported(node, $"its {role} '{tensor}' has shape {Shape(t.Dims)}, but the layer it declares needs {Shape(shape)}");
        }
        return Values(t, node, tensor);
    }

    private float[] Weight(int node, string tensor, string role, int[] shape) => Weight(node, tensor, role, shape.Select(d => (long)d).ToArray());

    /// <summary>A tensor's values as floats (float, double or integer data, raw or typed).</summary>
    private float[] Values(TensorProto t, int node, string name)
    {
        long count = t.Dims.Aggregate(1L, (a, d) => a * d);
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new ImportException($"'{file}': the tensor '{name}' is stored in an external file; export with the weights inside the .onnx file.");
        }
        var type = (TensorProto.Types.DataType)t.DataType;
        int size = type switch
        {
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 => 4,
            TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 => 8,
            _ => throw new ImportException($"'{file}': the tensor '{name}'{(node >= 0 ? $" ({Where(node)})" : "")} is of type {TypeName(t.DataType)}; Unroll imports float32 weights."),
        };
        float[] values;
        if (t.RawData.Length > 0)
        {
            if (t.RawData.Length != count * size)
            {
                throw new InvalidDataException($"'{file}': the tensor '{name}' of shape {Shape(t.Dims)} holds {t.RawData.Length} bytes, not {count * size} (a damaged file?).");
            }
            ReadOnlySpan<byte> raw = t.RawData.Span;
            values = type switch
            {
                TensorProto.Types.DataType.Float => MemoryMarshal.Cast<byte, float>(raw).ToArray(),
                TensorProto.Types.DataType.Double => MemoryMarshal.Cast<byte, double>(raw).ToArray().Select(v => (float)v).ToArray(),
                TensorProto.Types.DataType.Int32 => MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (float)v).ToArray(),
                _ => MemoryMarshal.Cast<byte, long>(raw).ToArray().Select(v => (float)v).ToArray(),
            };
        }
        else
        {
            values = type switch
            {
                TensorProto.Types.DataType.Float => t.FloatData.ToArray(),
                TensorProto.Types.DataType.Double => t.DoubleData.Select(v => (float)v).ToArray(),
                TensorProto.Types.DataType.Int32 => t.Int32Data.Select(v => (float)v).ToArray(),
                _ => t.Int64Data.Select(v => (float)v).ToArray(),
            };
            if (values.Length != count)
            {
                throw new InvalidDataException($"'{file}': the tensor '{name}' of shape {Shape(t.Dims)} holds {values.Length} values, not {count} (a damaged file?).");
            }
        }
        return values;
    }

    private long[] Integers(string tensor, int node) =>
        Constant(tensor) is { } t ? Integers(t, node) : throw Unsupported(node, $"its input '{tensor}' is computed; Unroll follows it only when it is a constant");

    private long[] Integers(TensorProto t, int node)
    {
        if (t.DataType == (int)TensorProto.Types.DataType.Int64 && t.RawData.Length > 0) return MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();
        if (t.DataType == (int)TensorProto.Types.DataType.Int64) return t.Int64Data.ToArray();
        return Values(t, node, t.Name).Select(v => (long)v).ToArray();
    }

    private static long IntAttribute(NodeProto n, string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static float FloatAttribute(NodeProto n, string name, float fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    private static string StringAttribute(NodeProto n, string name, string fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : fallback;

    private static long[]? IntsAttribute(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Ints.ToArray() : null;

    private static string[]? StringsAttribute(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Strings.Select(s => s.ToStringUtf8()).ToArray() : null;
}
