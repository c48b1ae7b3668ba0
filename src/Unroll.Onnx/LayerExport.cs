using static Unroll.GraphBuilder;

namespace Unroll;

/// <summary>
/// Each layer kind as ONNX nodes: from the value <c>x</c> (batch-first, <c>[batch, time, features]</c>, or <c>[batch,
/// features]</c> without a time axis or in the one-step graph) to the layer's output in the same layout. ONNX's
/// recurrent operators are time-major with their own gate orders (LSTM i, o, f, c; GRU z, r, h): the weights are
/// reordered here and the layout transposed around them.
/// </summary>
internal static class LayerExport
{
    /// <summary>The layer's nodes from <paramref name="x"/>, <paramref name="width"/> features per step; its output and whether it keeps the time axis.</summary>
    public static (string X, bool TimeAxis) Write(GraphBuilder g, string property, LayerAttribute attribute, string x, bool timeAxis, int width)
    {
        string P = property;
        if (g.Lengths is not null && attribute is MaxPool1dAttribute or AvgPool1dAttribute or Conv1dAttribute { PaddingMode: not PaddingMode.Zeros, Padding: > 0 })
        {
            throw new NotSupportedException($"Layer '{property}' ([{attribute.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal)}]) has no ONNX export with row lengths yet: its window pads at each row's own end.");
        }
        switch (attribute)
        {
            case EmbeddingAttribute:
                return (g.Node("Gather", P, [g.Parameter(g.Parameter(P + ".weight")), x], Int("axis", 0)), timeAxis);
            case LinearAttribute linear:
                return (linear.Bias ? Affine(g, P, x, P + ".weight", P + ".bias") : Project(g, P, x, P + ".weight"), timeAxis);
            case DropoutAttribute:
                return (x, timeAxis); // inference: the identity
            case ActivationAttribute activation:
                return (Activation(g, P, activation, x), timeAxis);
            case LayerNormAttribute:
                return (LayerNorm(g, P, x, P, 1e-5), timeAxis);
            case BatchNormAttribute norm:
                {
                    int C = norm.NumFeatures;
                    string scale = norm.Affine ? g.Parameter(g.Parameter(P + ".weight")) : g.Floats(P + ".ones", [C], Enumerable.Repeat(1f, C).ToArray());
                    string bias = norm.Affine ? g.Parameter(g.Parameter(P + ".bias")) : g.Floats(P + ".zeros", [C], new float[C]);
                    string[] inputs = [string.Empty, scale, bias, g.Parameter(g.Parameter(P + ".running_mean")), g.Parameter(g.Parameter(P + ".running_var"))];
                    if (!timeAxis)
                    {
                        inputs[0] = x;
                        return (g.Node("BatchNormalization", P, inputs, Float("epsilon", (float)norm.Eps)), false);
                    }
                    inputs[0] = g.Node("Transpose", P, [x], Ints("perm", 0, 2, 1)); // [batch, channels, time]
                    string y = g.Node("BatchNormalization", P, inputs, Float("epsilon", (float)norm.Eps));
                    return (g.Node("Transpose", P, [y], Ints("perm", 0, 2, 1)), true);
                }
            case Conv1dAttribute conv when !g.Step:
                {
                    long left = conv.Causal ? (long)(conv.KernelSize - 1) * conv.Dilation : conv.Padding, right = conv.Causal ? 0 : conv.Padding;
                    if (g.Lengths is { } lengths)
                    {
                        // Each row convolved on its own steps: zeros after them. The rows' lengths map as the time axis does.
                        x = g.Node("Mul", P, [x, g.Node("Cast", P, [g.Node("Unsqueeze", P, [Valid(g, P, x), g.Longs(P + ".features", 2)])], Int("to", 1))]);
                        long reach = (long)(conv.KernelSize - 1) * conv.Dilation + 1;
                        if (conv.Stride != 1 || left + right != reach - 1)
                        {
                            string padded = g.Node("Add", P, [lengths, g.Longs(P + ".padded", left + right - reach)]);
                            g.Lengths = g.Node("Add", P, [g.Node("Div", P, [padded, g.Longs(P + ".stride", conv.Stride)]), g.Longs(P + ".one", 1)]);
                        }
                    }
                    string channels = g.Node("Transpose", P, [x], Ints("perm", 0, 2, 1)); // [batch, channels, time]
                    if (conv.PaddingMode == PaddingMode.Circular && left > 0)
                    {
                        // circular: the row's last steps before it and its first after it (opset 17's Pad has no wrap mode)
                        string Steps(string name, long start, long end) => g.Node("Slice", P, [channels, g.Longs($"{P}.{name}.start", start), g.Longs($"{P}.{name}.end", end), g.Longs(P + ".time_axis", 2)]);
                        channels = g.Node("Concat", P, [Steps("tail", -left, long.MaxValue), channels, Steps("head", 0, right)], Int("axis", 2));
                        (left, right) = (0, 0);
                    }
                    else if (conv.PaddingMode != PaddingMode.Zeros && left + right > 0)
                    {
                        // reflect and replicate pad the row before the convolution (ONNX's Pad modes reflect and edge)
                        channels = g.Node("Pad", P, [channels, g.Longs(P + ".pads", 0, 0, left, 0, 0, right)], String("mode", conv.PaddingMode == PaddingMode.Reflect ? "reflect" : "edge"));
                        (left, right) = (0, 0);
                    }
                    string y = Convolution(g, P, conv, channels, conv.Stride, left, right);
                    return (g.Node("Transpose", P, [y], Ints("perm", 0, 2, 1)), true);
                }
            case Conv1dAttribute conv when conv.Stride == 1 && (conv.Causal || conv.KernelSize == 1):
                {
                    // One step of a causal convolution: the window of the last (k − 1)·dilation inputs (input {P}.window,
                    // zeros after a reset) and this step's input, one output; the window moves on by this step.
                    int reach = (conv.KernelSize - 1) * conv.Dilation;
                    string joined = g.Node("Unsqueeze", P, [x, g.Longs(P + ".step", 1)]); // [batch, 1, channels]
                    if (reach > 0)
                    {
                        joined = g.Node("Concat", P, [g.FloatInput(P + ".window", "batch", reach, conv.InChannels), joined], Int("axis", 1));
                        g.FloatOutput(g.Node("Slice", P, [joined, g.Longs(P + ".next", 1), g.Longs(P + ".end", long.MaxValue), g.Longs(P + ".step", 1)]), P + ".window_n", "batch", reach, conv.InChannels);
                    }
                    string y = Convolution(g, P, conv, g.Node("Transpose", P, [joined], Ints("perm", 0, 2, 1)), 1, 0, 0); // [batch, out, 1]
                    return (g.Node("Squeeze", P, [y, g.Longs(P + ".output", 2)]), false);
                }
            case MaxPool1dAttribute pool when !g.Step:
                return (Pool(g, P, x, "MaxPool", pool.KernelSize, pool.Stride, pool.Padding, Ints("dilations", pool.Dilation)), true);
            case AvgPool1dAttribute pool when !g.Step:
                return (Pool(g, P, x, "AveragePool", pool.KernelSize, pool.Stride, pool.Padding, Int("count_include_pad", pool.CountIncludePad ? 1 : 0)), true);
            case PoolingAttribute pooling when !g.Step && g.Lengths is null:
                return (pooling.Kind switch
                {
                    PoolingKind.Mean => g.Node("ReduceMean", P, [x], Ints("axes", 1), Int("keepdims", 0)),
                    PoolingKind.Max => g.Node("ReduceMax", P, [x], Ints("axes", 1), Int("keepdims", 0)),
                    _ => g.Node("Squeeze", P, [g.Node("Slice", P, [x, g.Longs(P + ".last", -1), g.Longs(P + ".end", long.MaxValue), g.Longs(P + ".axis", 1)]), g.Longs(P + ".squeeze", 1)]),
                }, false);
            case PoolingAttribute pooling when !g.Step:
                {
                    // Each row's own steps: the mean of its first lengths[b], their max (the rest −∞), or step lengths[b] − 1.
                    string lengths = g.Lengths!;
                    string valid = g.Node("Unsqueeze", P, [Valid(g, P, x), g.Longs(P + ".features", 2)]); // [batch, time, 1]
                    string pooled = pooling.Kind switch
                    {
                        PoolingKind.Mean => g.Node("Div", P, [g.Node("ReduceSum", P, [g.Node("Mul", P, [x, g.Node("Cast", P, [valid], Int("to", 1))]), g.Longs(P + ".time", 1)], Int("keepdims", 0)),
                            g.Node("Unsqueeze", P, [g.Node("Cast", P, [lengths], Int("to", 1)), g.Longs(P + ".rows", 1)])]),
                        PoolingKind.Max => g.Node("ReduceMax", P, [g.Node("Where", P, [valid, x, g.Scalar(P, float.NegativeInfinity)])], Ints("axes", 1), Int("keepdims", 0)),
                        _ => g.Node("GatherND", P, [x, g.Node("Unsqueeze", P, [g.Node("Sub", P, [lengths, g.Longs(P + ".one", 1)]), g.Longs(P + ".rows", 1)])], Int("batch_dims", 1)),
                    };
                    return (pooled, false);
                }
            case RecurrentAttribute recurrent:
                return Recurrent(g, P, recurrent, x);
            case PositionalEncodingAttribute positions:
                {
                    // y = x + PE[:time] (one step: PE[position]): the sinusoidal table computed here as the model's constructor does, or the learned weight.
                    string table;
                    if (positions.Kind == PositionalEncodingKind.Learned) table = g.Parameter(g.Parameter(P + ".weight"));
                    else
                    {
                        int d = width;
                        var values = new float[positions.MaxLength * d];
                        Kernels.Positions.Sinusoidal(values, positions.MaxLength, d);
                        table = g.Floats(P + ".table", [positions.MaxLength, d], values);
                    }
                    string rows = g.Step
                        ? g.Node("Gather", P, [table, g.Position()], Int("axis", 0))
                        : g.Node("Slice", P, [table, g.Longs(P + ".start", 0), Time(g, P, x), g.Longs(P + ".axis", 0)]);
                    return (g.Node("Add", P, [x, rows]), timeAxis);
                }
            case SelfAttentionAttribute attention when !g.Step || attention.Causal:
                {
                    string y = SelfAttention(g, P, x, attention.EmbedDim, attention.NumHeads, attention.Causal);
                    return (attention.Residual ? g.Node("Add", P, [x, y]) : y, timeAxis);
                }
            case TransformerEncoderLayerAttribute block when !g.Step || block.Causal:
                return (EncoderLayer(g, P, block, x), timeAxis);
            default:
                throw new NotSupportedException($"Layer '{property}' ([{attribute.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal)}]{Detail(attribute)}) has no ONNX export{(g.Step ? " in the one-step graph" : "")} yet.");
        }
    }

    private static string Detail(LayerAttribute attribute) => attribute switch
    {
        SelfAttentionAttribute or TransformerEncoderLayerAttribute => " without Causal: it attends to later steps",
        Conv1dAttribute { Stride: > 1 } or Conv1dAttribute { Padding: 0 } or MaxPool1dAttribute or AvgPool1dAttribute => ": not every step yields an output",
        Conv1dAttribute => " without Causal: it reads later steps",
        PoolingAttribute => ": it reads the whole sequence",
        _ => "",
    };

    /// <summary>ONNX's Conv over <c>[batch, channels, time]</c> value <paramref name="channels"/> with the layer's weights.</summary>
    private static string Convolution(GraphBuilder g, string P, Conv1dAttribute conv, string channels, int stride, long left, long right)
    {
        var inputs = new List<string> { channels, g.Parameter(g.Parameter(P + ".weight")) };
        if (conv.Bias) inputs.Add(g.Parameter(g.Parameter(P + ".bias")));
        return g.Node("Conv", P, inputs, Ints("kernel_shape", conv.KernelSize), Ints("strides", stride), Ints("dilations", conv.Dilation), Ints("pads", left, right), Int("group", conv.Groups));
    }

    internal static string Activation(GraphBuilder g, string P, ActivationAttribute activation, string x) => activation.Function switch
    {
        ActivationFunction.Relu => g.Node("Relu", P, [x]),
        ActivationFunction.Tanh => g.Node("Tanh", P, [x]),
        ActivationFunction.Sigmoid => g.Node("Sigmoid", P, [x]),
        ActivationFunction.LeakyRelu => g.Node("LeakyRelu", P, [x], Float("alpha", (float)activation.NegativeSlope)),
        ActivationFunction.Silu => g.Node("Mul", P, [x, g.Node("Sigmoid", P, [x])]),
        ActivationFunction.Gelu when activation.Approximate == GeluApproximation.None =>
            // x · ½ (1 + erf(x / √2)): opset 17 has no Gelu operator.
            g.Node("Mul", P, [x, g.Node("Mul", P, [g.Node("Add", P, [g.Node("Erf", P, [g.Node("Mul", P, [x, Scalar(g, P, 1 / MathF.Sqrt(2))])]), Scalar(g, P, 1f)]), Scalar(g, P, 0.5f)])]),
        ActivationFunction.Gelu =>
            // x · ½ (1 + tanh(√(2/π) (x + 0.044715 x³)))
            g.Node("Mul", P, [x, g.Node("Mul", P, [g.Node("Add", P, [g.Node("Tanh", P, [g.Node("Mul", P, [g.Node("Add", P, [x, g.Node("Mul", P, [g.Node("Mul", P, [g.Node("Mul", P, [x, x]), x]), Scalar(g, P, 0.044715f)])]), Scalar(g, P, MathF.Sqrt(2 / MathF.PI))])]), Scalar(g, P, 1f)]), Scalar(g, P, 0.5f)])]),
        _ => throw new NotSupportedException($"Layer '{P}' has an activation ({activation.Function}) with no ONNX export yet."),
    };

    private static string Scalar(GraphBuilder g, string P, float value) => g.Scalar(P, value);

    /// <summary>
    /// nn.RNN/LSTM/GRU as ONNX's RNN/LSTM/GRU, one node per stacked layer: time-major inside, the directions side by side
    /// between layers; the last step's states when the layer does not return sequences. One step: the states are graph
    /// inputs and outputs.
    /// </summary>
    private static (string X, bool TimeAxis) Recurrent(GraphBuilder g, string P, RecurrentAttribute layer, string x)
    {
        var (op, gates, order) = Cell(layer is LstmAttribute, layer is GruAttribute);
        int H = layer.HiddenSize, D = layer.Bidirectional ? 2 : 1, L = layer.NumLayers;
        bool lstm = layer is LstmAttribute;
        if (g.Step && layer.Bidirectional) throw new NotSupportedException($"Layer '{P}' is bidirectional: it has no one-step graph (its reverse direction needs the whole sequence).");
        string sequence = g.Step ? g.Node("Unsqueeze", P, [x, g.Longs(P + ".axis0", 0)]) : g.Node("Transpose", P, [x], Ints("perm", 1, 0, 2)); // [time, batch, features]
        string h = g.Step ? g.StateInput(P + ".h", L, H) : "", c = g.Step && lstm ? g.StateInput(P + ".c", L, H) : "";
        var finals = new List<string>();
        var cells = new List<string>();
        for (int l = 0; l < L; l++)
        {
            int input = l == 0 ? layer.InputSize : D * H;
            var w = new List<float>();
            var r = new List<float>();
            var b = new List<float>();
            foreach (string suffix in D == 2 ? new[] { "", "_reverse" } : [""])
            {
                var (wd, rd, bd) = CellWeights(g, order, H, input, $"{P}.weight_ih_l{l}{suffix}", $"{P}.weight_hh_l{l}{suffix}", $"{P}.bias_ih_l{l}{suffix}", $"{P}.bias_hh_l{l}{suffix}");
                w.AddRange(wd);
                r.AddRange(rd);
                b.AddRange(bd);
            }
            var inputs = new List<string>
            {
                sequence,
                g.Floats($"{P}.W_l{l}", [D, gates * H, input], w.ToArray()),
                g.Floats($"{P}.R_l{l}", [D, gates * H, H], r.ToArray()),
                g.Floats($"{P}.B_l{l}", [D, 2 * gates * H], b.ToArray()),
            };
            if (g.Step)
            {
                inputs.Add(""); // sequence_lens
                inputs.Add(g.Node("Gather", P, [h, g.Longs($"{P}.layer{l}", l)], Int("axis", 0)));
                if (lstm) inputs.Add(g.Node("Gather", P, [c, g.Longs($"{P}.layer{l}.c", l)], Int("axis", 0)));
            }
            else if (g.Lengths is { } lengths)
            {
                // Each row stops at its length, as a packed sequence: the states are held after its last step (the
                // reverse direction starts there), and its later outputs are zeros.
                inputs.Add(g.Node("Cast", P, [lengths], Int("to", 6))); // sequence_lens, int32
            }
            var attributes = new List<Onnx.AttributeProto> { Int("hidden_size", H), String("direction", D == 2 ? "bidirectional" : "forward") };
            if (layer is GruAttribute) attributes.Add(Int("linear_before_reset", 1));
            if (layer is RnnAttribute rnn) attributes.Add(Strings("activations", Enumerable.Repeat(rnn.Nonlinearity == Nonlinearity.Relu ? "Relu" : "Tanh", D).ToArray()));
            string[] outputs = g.Nodes(op, P, inputs, lstm ? 3 : 2, attributes.ToArray());
            finals.Add(outputs[1]);
            if (lstm) cells.Add(outputs[2]);
            // Y [time, directions, batch, hidden] → [time, batch, directions · hidden]
            sequence = g.Node("Reshape", P, [g.Node("Transpose", P, [outputs[0]], Ints("perm", 0, 2, 1, 3)), g.Longs($"{P}.shape{l}", 0, 0, -1)]);
        }
        if (g.Step)
        {
            g.StateOutput(finals.Count == 1 ? finals[0] : g.Node("Concat", P, finals, Int("axis", 0)), P + ".h_n", L, H);
            if (lstm) g.StateOutput(cells.Count == 1 ? cells[0] : g.Node("Concat", P, cells, Int("axis", 0)), P + ".c_n", L, H);
            return (g.Node("Squeeze", P, [sequence, g.Longs(P + ".step", 0)]), false);
        }
        g.FinalStates = (finals[^1], lstm ? cells[^1] : null);
        if (layer.ReturnSequences) return (g.Node("Transpose", P, [sequence], Ints("perm", 1, 0, 2)), true);
        return (SideBySide(g, P, finals[^1]), false);
    }

    /// <summary>
    /// A layer's final states <c>[directions, batch, hidden]</c> as <c>[batch, directions · hidden]</c>: the forward state
    /// after the last step and the reverse state after the first, side by side, as the layer's last step.
    /// </summary>
    internal static string SideBySide(GraphBuilder g, string P, string states) =>
        g.Node("Reshape", P, [g.Node("Transpose", P, [states], Ints("perm", 1, 0, 2)), g.Longs(P + ".side_by_side", 0, -1)]);

    /// <summary>ONNX's operator for a cell, its gate count, and the PyTorch gate blocks in ONNX's order.</summary>
    internal static (string Op, int Gates, int[] Order) Cell(bool lstm, bool gru) =>
        lstm ? ("LSTM", 4, [0, 3, 1, 2]) // PyTorch i, f, g, o → ONNX i, o, f, c
        : gru ? ("GRU", 3, [1, 0, 2])    // PyTorch r, z, n → ONNX z, r, h
        : ("RNN", 1, [0]);

    /// <summary>One direction's W, R and B (b_ih then b_hh) in ONNX's gate order, from PyTorch's weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    internal static (float[] W, float[] R, float[] B) CellWeights(GraphBuilder g, int[] order, int hidden, int input, string weightIh, string weightHh, string biasIh, string biasHh) =>
        (Reorder(g.Parameter(weightIh).Values, order, hidden, input), Reorder(g.Parameter(weightHh).Values, order, hidden, hidden),
            [.. Reorder(g.Parameter(biasIh).Values, order, hidden, 1), .. Reorder(g.Parameter(biasHh).Values, order, hidden, 1)]);

    /// <summary>A pooling over time windows (stride 0: the kernel size), on <c>[batch, channels, time]</c> between transposes.</summary>
    private static string Pool(GraphBuilder g, string P, string x, string op, int kernel, int stride, int padding, Onnx.AttributeProto option)
    {
        string y = g.Node(op, P, [g.Node("Transpose", P, [x], Ints("perm", 0, 2, 1))], Ints("kernel_shape", kernel), Ints("strides", stride == 0 ? kernel : stride),
            Ints("pads", padding, padding), option);
        return g.Node("Transpose", P, [y], Ints("perm", 0, 2, 1));
    }

    /// <summary>Features per step after the layer, given <paramref name="width"/> before it.</summary>
    public static int OutputWidth(LayerAttribute attribute, int width) => attribute switch
    {
        EmbeddingAttribute embedding => embedding.EmbeddingDim,
        LinearAttribute linear => linear.OutFeatures,
        RecurrentAttribute recurrent => (recurrent.Bidirectional ? 2 : 1) * recurrent.HiddenSize,
        Conv1dAttribute conv => conv.OutChannels,
        _ => width,
    };

    /// <summary>Which steps of <c>[batch, time, …]</c> value <paramref name="x"/> lie within their row's length (<see cref="GraphBuilder.Lengths"/>): bool <c>[batch, time]</c>.</summary>
    internal static string Valid(GraphBuilder g, string P, string x, string? lengths = null)
    {
        string steps = g.Node("Range", P, [g.LongScalar("zero", 0), g.Node("Squeeze", P, [Time(g, P, x)]), g.LongScalar("one", 1)]);
        return g.Node("Less", P, [g.Node("Unsqueeze", P, [steps, g.Longs("row", 0)]), g.Node("Unsqueeze", P, [lengths ?? g.Lengths!, g.Longs("column", 1)])]);
    }

    /// <summary>What attention adds to the scores of keys <paramref name="x"/> <c>[batch, keys, …]</c>: 0 within a row's length, −∞ after it, <c>[batch, keys]</c>.</summary>
    internal static string KeyBias(GraphBuilder g, string P, string x, string? lengths = null) =>
        g.Node("Where", P, [Valid(g, P, x, lengths), g.Scalar(P, 0f), g.Scalar(P, float.NegativeInfinity)]);

    /// <summary>The time steps of <c>[batch, time, …]</c> value <paramref name="x"/>, as a one-element int64 tensor.</summary>
    internal static string Time(GraphBuilder g, string P, string x) => g.Node("Gather", P, [g.Node("Shape", P, [x]), g.Longs(P + ".time", 1)], Int("axis", 0));

    /// <summary>x·Wᵀ + b for parameters <paramref name="weight"/> <c>[out, in]</c> and <paramref name="bias"/>.</summary>
    internal static string Affine(GraphBuilder g, string P, string x, string weight, string bias) =>
        g.Node("Add", P, [Project(g, P, x, weight), g.Parameter(g.Parameter(bias))]);

    /// <summary>x·Wᵀ for parameter <paramref name="weight"/> <c>[out, in]</c>.</summary>
    internal static string Project(GraphBuilder g, string P, string x, string weight)
    {
        NamedParameter w = g.Parameter(weight);
        int rows = w.Shape[0], columns = w.Shape[1];
        return g.Node("MatMul", P, [x, g.Floats(weight + ".T", [columns, rows], Transpose(w.Values, rows, columns))]);
    }

    /// <summary>
    /// nn.MultiheadAttention over x (query = key = value), <c>[batch, time, E]</c>: the packed projection, each head's
    /// softmax(q kᵀ/√d) v (a causal one with −∞ above the diagonal), the heads side by side, out_proj. Parameters
    /// <c>{P}.in_proj_weight</c>, <c>{P}.in_proj_bias</c>, <c>{P}.out_proj.*</c>.
    /// </summary>
    internal static string SelfAttention(GraphBuilder g, string P, string x, int E, int heads, bool causal)
    {
        if (g.Step) return StepAttention(g, P, x, E, heads);
        string qkv = Affine(g, P, x, P + ".in_proj_weight", P + ".in_proj_bias");
        string[] parts = g.Nodes("Split", P, [qkv, g.Longs(P + ".split", E, E, E)], 3, Int("axis", 2));
        return Attend(g, P, parts[0], parts[1], parts[2], E, heads, causal ? Time(g, P, x) : null, g.Lengths is null ? null : KeyBias(g, P, x));
    }

    /// <summary>
    /// A decoder's cross-attention keys and values <c>[batch, source time, E]</c> from the encoder's output
    /// <paramref name="memory"/>: rows E … 2E and 2E … 3E of nn.MultiheadAttention's packed projection.
    /// </summary>
    internal static (string K, string V) CrossKeysValues(GraphBuilder g, string P, string memory, int E)
    {
        string[] kv = g.Nodes("Split", P, [PackedProjection(g, P, memory, E, 2 * E, "kv"), g.Longs(P + ".split", E, E)], 2, Int("axis", 2));
        return (kv[0], kv[1]);
    }

    /// <summary>
    /// A decoder's cross-attention: the query from <paramref name="x"/> (rows 0 … E of the packed projection) over keys
    /// <paramref name="k"/> and values <paramref name="v"/> <c>[batch, source time, E]</c>; one step's <c>[batch, E]</c> too.
    /// </summary>
    internal static string CrossAttention(GraphBuilder g, string P, string x, string k, string v, int E, int heads, string? keyBias)
    {
        string q = PackedProjection(g, P, x, 0, E, "q");
        if (!g.Step) return Attend(g, P, q, k, v, E, heads, null, keyBias);
        string y = Attend(g, P, g.Node("Unsqueeze", P, [q, g.Longs(P + ".query", 1)]), k, v, E, heads, null, keyBias);
        return g.Node("Squeeze", P, [y, g.Longs(P + ".squeeze", 1)]);
    }

    /// <summary>Rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="rows"/> of nn.MultiheadAttention's packed projection, applied to <paramref name="input"/>.</summary>
    private static string PackedProjection(GraphBuilder g, string P, string input, int first, int rows, string name)
    {
        NamedParameter weight = g.Parameter(P + ".in_proj_weight"), bias = g.Parameter(P + ".in_proj_bias");
        int E = weight.Shape[1];
        string w = g.Floats($"{P}.{name}.T", [E, rows], Transpose(weight.Values.Slice(first * E, rows * E), rows, E));
        return g.Node("Add", P, [g.Node("MatMul", P, [input, w]), g.Floats($"{P}.{name}.bias", [rows], bias.Values.Slice(first, rows))]);
    }

    /// <summary>
    /// Each head's softmax(q kᵀ/√d) v for projected q <c>[batch, queries, E]</c> and k, v <c>[batch, keys, E]</c> (a causal
    /// one, given the time, with −∞ above the diagonal), the heads side by side, out_proj.
    /// </summary>
    internal static string Attend(GraphBuilder g, string P, string q, string k, string v, int E, int heads, string? causalTime, string? keyBias)
    {
        int d = E / heads;
        string Heads(string value, params long[] perm) => g.Node("Transpose", P, [g.Node("Reshape", P, [value, g.Longs(P + ".heads", 0, 0, heads, d)])], Ints("perm", perm));
        string scores = g.Node("Mul", P, [g.Node("MatMul", P, [Heads(q, 0, 2, 1, 3), Heads(k, 0, 2, 3, 1)]), g.Scalar(P, 1 / MathF.Sqrt(d))]); // [B, h, Tq, Tk]
        if (causalTime is { } time)
        {
            // −∞ above the diagonal of a [time, time] block, 0 on and below it.
            var infinity = new Onnx.TensorProto { DataType = (int)Onnx.TensorProto.Types.DataType.Float, Dims = { 1 } };
            infinity.FloatData.Add(float.NegativeInfinity);
            string full = g.Node("ConstantOfShape", P, [g.Node("Concat", P, [time, time], Int("axis", 0))], new Onnx.AttributeProto { Name = "value", Type = Onnx.AttributeProto.Types.AttributeType.Tensor, T = infinity });
            scores = g.Node("Add", P, [scores, g.Node("Trilu", P, [full, g.Longs(P + ".k", 1)], Int("upper", 1))]);
        }
        if (keyBias is not null) scores = g.Node("Add", P, [scores, g.Node("Unsqueeze", P, [keyBias, g.Longs(P + ".key_bias", 1, 2)])]); // [B, 1, 1, Tk]
        string context = g.Node("MatMul", P, [g.Node("Softmax", P, [scores], Int("axis", -1)), Heads(v, 0, 2, 1, 3)]); // [B, h, Tq, d]
        string merged = g.Node("Reshape", P, [g.Node("Transpose", P, [context], Ints("perm", 0, 2, 1, 3)), g.Longs(P + ".merge", 0, 0, E)]);
        return Affine(g, P, merged, P + ".out_proj.weight", P + ".out_proj.bias");
    }

    /// <summary>
    /// Causal self-attention, one step <c>[batch, E]</c>: its key and value join the caches of the earlier steps (inputs
    /// <c>{P}.keys</c>, <c>{P}.values</c>, <c>[batch, positions, E]</c>; outputs <c>{P}.keys_n</c>, <c>{P}.values_n</c>), and
    /// its query attends over them all.
    /// </summary>
    private static string StepAttention(GraphBuilder g, string P, string x, int E, int heads)
    {
        int d = E / heads;
        string qkv = Affine(g, P, x, P + ".in_proj_weight", P + ".in_proj_bias");
        string[] parts = g.Nodes("Split", P, [qkv, g.Longs(P + ".split", E, E, E)], 3, Int("axis", 1));
        string Join(string value, string cache)
        {
            string joined = g.Node("Concat", P, [g.CacheInput($"{P}.{cache}", E), g.Node("Unsqueeze", P, [value, g.Longs($"{P}.{cache}.axis", 1)])], Int("axis", 1));
            g.CacheOutput(joined, $"{P}.{cache}_n", E);
            return g.Node("Reshape", P, [joined, g.Longs($"{P}.{cache}.heads", 0, 0, heads, d)]); // [B, positions, h, d]
        }
        string q = g.Node("Reshape", P, [parts[0], g.Longs(P + ".query", 0, heads, 1, d)]); // [B, h, 1, d]
        string k = g.Node("Transpose", P, [Join(parts[1], "keys")], Ints("perm", 0, 2, 3, 1)); // [B, h, d, positions]
        string v = g.Node("Transpose", P, [Join(parts[2], "values")], Ints("perm", 0, 2, 1, 3)); // [B, h, positions, d]
        string scores = g.Node("Mul", P, [g.Node("MatMul", P, [q, k]), g.Scalar(P, 1 / MathF.Sqrt(d))]);
        string context = g.Node("MatMul", P, [g.Node("Softmax", P, [scores], Int("axis", -1)), v]); // [B, h, 1, d]
        return Affine(g, P, g.Node("Reshape", P, [context, g.Longs(P + ".merge", 0, E)]), P + ".out_proj.weight", P + ".out_proj.bias");
    }

    /// <summary>nn.TransformerEncoderLayer: self-attention and the feed-forward, each with its residual path and norm (after it, or before with NormFirst).</summary>
    private static string EncoderLayer(GraphBuilder g, string P, TransformerEncoderLayerAttribute block, string x)
    {
        string Norm(string value, string name) => LayerNorm(g, P, value, $"{P}.{name}", block.LayerNormEps);
        string Attend(string value) => SelfAttention(g, P + ".self_attn", value, block.DModel, block.NumHeads, block.Causal);
        string Feed(string value) => FeedForward(g, P, value, block.Activation);
        if (block.NormFirst)
        {
            string s = g.Node("Add", P, [x, Attend(Norm(x, "norm1"))]);
            return g.Node("Add", P, [s, Feed(Norm(s, "norm2"))]);
        }
        string first = Norm(g.Node("Add", P, [x, Attend(x)]), "norm1");
        return Norm(g.Node("Add", P, [first, Feed(first)]), "norm2");
    }

    /// <summary>nn.LayerNorm over the features: parameters <c>{module}.weight</c> and <c>{module}.bias</c>.</summary>
    internal static string LayerNorm(GraphBuilder g, string P, string x, string module, double eps) =>
        g.Node("LayerNormalization", P, [x, g.Parameter(g.Parameter(module + ".weight")), g.Parameter(g.Parameter(module + ".bias"))], Int("axis", -1), Float("epsilon", (float)eps));

    /// <summary>A transformer layer's feed-forward, linear2(activation(linear1(x))), parameters under <paramref name="P"/>.</summary>
    internal static string FeedForward(GraphBuilder g, string P, string x, ActivationFunction activation) =>
        Affine(g, P, Activation(g, P, new ActivationAttribute(activation), Affine(g, P, x, P + ".linear1.weight", P + ".linear1.bias")), P + ".linear2.weight", P + ".linear2.bias");

    /// <summary>Gate blocks of <paramref name="hidden"/> rows (each <paramref name="width"/> wide) in ONNX's order.</summary>
    internal static float[] Reorder(ReadOnlySpan<float> values, int[] order, int hidden, int width)
    {
        var result = new float[values.Length];
        int block = hidden * width;
        for (int k = 0; k < order.Length; k++) values.Slice(order[k] * block, block).CopyTo(result.AsSpan(k * block, block));
        return result;
    }

    /// <summary>The transpose of a row-major <c>[rows, columns]</c> matrix.</summary>
    internal static float[] Transpose(ReadOnlySpan<float> values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++) result[j * rows + i] = values[i * columns + j];
        }
        return result;
    }
}
