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
        switch (attribute)
        {
            case EmbeddingAttribute:
                return (g.Node("Gather", P, [g.Parameter(g.Parameter(P + ".weight")), x], Int("axis", 0)), timeAxis);
            case LinearAttribute linear:
                {
                    NamedParameter weight = g.Parameter(P + ".weight");
                    string y = g.Node("MatMul", P, [x, g.Floats(P + ".weight.T", [linear.InFeatures, linear.OutFeatures], Transpose(weight.Values, linear.OutFeatures, linear.InFeatures))]);
                    return (linear.Bias ? g.Node("Add", P, [y, g.Parameter(g.Parameter(P + ".bias"))]) : y, timeAxis);
                }
            case DropoutAttribute:
                return (x, timeAxis); // inference: the identity
            case ActivationAttribute activation:
                return (Activation(g, P, activation, x), timeAxis);
            case LayerNormAttribute:
                return (g.Node("LayerNormalization", P, [x, g.Parameter(g.Parameter(P + ".weight")), g.Parameter(g.Parameter(P + ".bias"))], Int("axis", -1), Float("epsilon", 1e-5f)), timeAxis);
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
            case Conv1dAttribute conv when !g.Step && conv.PaddingMode != PaddingMode.Circular:
                {
                    long left = conv.Causal ? (long)(conv.KernelSize - 1) * conv.Dilation : conv.Padding, right = conv.Causal ? 0 : conv.Padding;
                    string channels = g.Node("Transpose", P, [x], Ints("perm", 0, 2, 1)); // [batch, channels, time]
                    if (conv.PaddingMode != PaddingMode.Zeros && left + right > 0)
                    {
                        // reflect and replicate pad the row before the convolution (ONNX's Pad modes reflect and edge)
                        channels = g.Node("Pad", P, [channels, g.Longs(P + ".pads", 0, 0, left, 0, 0, right)], String("mode", conv.PaddingMode == PaddingMode.Reflect ? "reflect" : "edge"));
                        (left, right) = (0, 0);
                    }
                    var inputs = new List<string> { channels, g.Parameter(g.Parameter(P + ".weight")) };
                    if (conv.Bias) inputs.Add(g.Parameter(g.Parameter(P + ".bias")));
                    string y = g.Node("Conv", P, inputs, Ints("kernel_shape", conv.KernelSize), Ints("strides", conv.Stride), Ints("dilations", conv.Dilation),
                        Ints("pads", left, right), Int("group", conv.Groups));
                    return (g.Node("Transpose", P, [y], Ints("perm", 0, 2, 1)), true);
                }
            case MaxPool1dAttribute pool when !g.Step:
                return (Pool(g, P, x, "MaxPool", pool.KernelSize, pool.Stride, pool.Padding, Ints("dilations", pool.Dilation)), true);
            case AvgPool1dAttribute pool when !g.Step:
                return (Pool(g, P, x, "AveragePool", pool.KernelSize, pool.Stride, pool.Padding, Int("count_include_pad", pool.CountIncludePad ? 1 : 0)), true);
            case PoolingAttribute pooling when !g.Step:
                return (pooling.Kind switch
                {
                    PoolingKind.Mean => g.Node("ReduceMean", P, [x], Ints("axes", 1), Int("keepdims", 0)),
                    PoolingKind.Max => g.Node("ReduceMax", P, [x], Ints("axes", 1), Int("keepdims", 0)),
                    _ => g.Node("Squeeze", P, [g.Node("Slice", P, [x, g.Longs(P + ".last", -1), g.Longs(P + ".end", long.MaxValue), g.Longs(P + ".axis", 1)]), g.Longs(P + ".squeeze", 1)]),
                }, false);
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
        Conv1dAttribute c when c.PaddingMode != PaddingMode.Zeros => $" with PaddingMode.{c.PaddingMode}",
        _ => "",
    };

    private static string Activation(GraphBuilder g, string P, ActivationAttribute activation, string x) => activation.Function switch
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
        var (op, gates, order) = layer switch
        {
            LstmAttribute => ("LSTM", 4, new[] { 0, 3, 1, 2 }), // PyTorch i, f, g, o → ONNX i, o, f, c
            GruAttribute => ("GRU", 3, new[] { 1, 0, 2 }),      // PyTorch r, z, n → ONNX z, r, h
            _ => ("RNN", 1, new[] { 0 }),
        };
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
                w.AddRange(Reorder(g.Parameter($"{P}.weight_ih_l{l}{suffix}").Values, order, H, input));
                r.AddRange(Reorder(g.Parameter($"{P}.weight_hh_l{l}{suffix}").Values, order, H, H));
                b.AddRange(Reorder(g.Parameter($"{P}.bias_ih_l{l}{suffix}").Values, order, H, 1));
                b.AddRange(Reorder(g.Parameter($"{P}.bias_hh_l{l}{suffix}").Values, order, H, 1));
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
        if (layer.ReturnSequences) return (g.Node("Transpose", P, [sequence], Ints("perm", 1, 0, 2)), true);
        // The last layer's final states, [directions, batch, hidden] → [batch, directions · hidden]: the forward state after
        // the last step and the reverse state after the first, as the layer's last step.
        string last = finals[^1];
        return (g.Node("Reshape", P, [g.Node("Transpose", P, [last], Ints("perm", 1, 0, 2)), g.Longs(P + ".last", 0, -1)]), false);
    }

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

    /// <summary>The time steps of <c>[batch, time, …]</c> value <paramref name="x"/>, as a one-element int64 tensor.</summary>
    private static string Time(GraphBuilder g, string P, string x) => g.Node("Gather", P, [g.Node("Shape", P, [x]), g.Longs(P + ".time", 1)], Int("axis", 0));

    /// <summary>x·Wᵀ + b for parameters <c>{name}.weight</c> <c>[out, in]</c> and <c>{name}.bias</c> (or the packed in_proj's).</summary>
    private static string Affine(GraphBuilder g, string P, string x, string weight, string bias)
    {
        NamedParameter w = g.Parameter(weight);
        int rows = w.Shape[0], columns = w.Shape[1];
        string y = g.Node("MatMul", P, [x, g.Floats(weight + ".T", [columns, rows], Transpose(w.Values, rows, columns))]);
        return g.Node("Add", P, [y, g.Parameter(g.Parameter(bias))]);
    }

    /// <summary>
    /// nn.MultiheadAttention over x (query = key = value), <c>[batch, time, E]</c>: the packed projection, each head's
    /// softmax(q kᵀ/√d) v (a causal one with −∞ above the diagonal), the heads side by side, out_proj. Parameters
    /// <c>{P}.in_proj_weight</c>, <c>{P}.in_proj_bias</c>, <c>{P}.out_proj.*</c>.
    /// </summary>
    private static string SelfAttention(GraphBuilder g, string P, string x, int E, int heads, bool causal)
    {
        if (g.Step) return StepAttention(g, P, x, E, heads);
        string qkv = Affine(g, P, x, P + ".in_proj_weight", P + ".in_proj_bias");
        string[] parts = g.Nodes("Split", P, [qkv, g.Longs(P + ".split", E, E, E)], 3, Int("axis", 2));
        return Attend(g, P, parts[0], parts[1], parts[2], E, heads, causal ? Time(g, P, x) : null);
    }

    /// <summary>
    /// nn.MultiheadAttention's query from <paramref name="x"/> and keys and values from <paramref name="memory"/> (a
    /// decoder's cross-attention): rows 0 … E of the packed projection for the query, E … 3E for the keys and values.
    /// </summary>
    private static string CrossAttention(GraphBuilder g, string P, string x, string memory, int E, int heads)
    {
        NamedParameter weight = g.Parameter(P + ".in_proj_weight"), bias = g.Parameter(P + ".in_proj_bias");
        string Project(string input, int first, int rows, string name)
        {
            string w = g.Floats($"{P}.{name}.T", [E, rows], Transpose(weight.Values.Slice(first * E, rows * E), rows, E));
            return g.Node("Add", P, [g.Node("MatMul", P, [input, w]), g.Floats($"{P}.{name}.bias", [rows], bias.Values.Slice(first, rows))]);
        }
        string[] kv = g.Nodes("Split", P, [Project(memory, E, 2 * E, "kv"), g.Longs(P + ".split", E, E)], 2, Int("axis", 2));
        return Attend(g, P, Project(x, 0, E, "q"), kv[0], kv[1], E, heads, null);
    }

    /// <summary>
    /// Each head's softmax(q kᵀ/√d) v for projected q <c>[batch, queries, E]</c> and k, v <c>[batch, keys, E]</c> (a causal
    /// one, given the time, with −∞ above the diagonal), the heads side by side, out_proj.
    /// </summary>
    private static string Attend(GraphBuilder g, string P, string q, string k, string v, int E, int heads, string? causalTime)
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
        string context = g.Node("MatMul", P, [g.Node("Softmax", P, [scores], Int("axis", -1)), Heads(v, 0, 2, 1, 3)]); // [B, h, Tq, d]
        string merged = g.Node("Reshape", P, [g.Node("Transpose", P, [context], Ints("perm", 0, 2, 1, 3)), g.Longs(P + ".merge", 0, 0, E)]);
        return Affine(g, P, merged, P + ".out_proj.weight", P + ".out_proj.bias");
    }

    /// <summary>
    /// A <c>[TransformerDecoderLayer]</c> teacher-forced over target <paramref name="target"/> (ids or features) against
    /// <paramref name="memory"/>: the embedding and positions, each nn.TransformerDecoderLayer (causal self-attention,
    /// cross-attention, feed-forward, each with its residual path and norm), the final norm (norm first), out.
    /// </summary>
    public static string TransformerDecoder(GraphBuilder g, string P, TransformerDecoderLayerAttribute decoder, string target, string memory, int targetLength)
    {
        int e = decoder.DModel;
        string x = decoder.Vocabulary > 0 ? g.Node("Gather", P, [g.Parameter(g.Parameter(P + ".embedding.weight")), target], Int("axis", 0)) : target;
        string table;
        if (decoder.Positions == PositionalEncodingKind.Learned) table = g.Parameter(g.Parameter(P + ".positions.weight"));
        else
        {
            var values = new float[targetLength * e];
            Kernels.Positions.Sinusoidal(values, targetLength, e);
            table = g.Floats(P + ".positions.table", [targetLength, e], values);
        }
        x = g.Node("Add", P, [x, g.Node("Slice", P, [table, g.Longs(P + ".start", 0), Time(g, P, target), g.Longs(P + ".axis", 0)])]);
        for (int i = 0; i < decoder.NumLayers; i++)
        {
            string L = $"{P}.layers.{i}";
            string Norm(string value, string name) =>
                g.Node("LayerNormalization", L, [value, g.Parameter(g.Parameter($"{L}.{name}.weight")), g.Parameter(g.Parameter($"{L}.{name}.bias"))], Int("axis", -1), Float("epsilon", (float)decoder.LayerNormEps));
            string Self(string value) => SelfAttention(g, L + ".self_attn", value, e, decoder.NumHeads, causal: true);
            string Cross(string value) => CrossAttention(g, L + ".multihead_attn", value, memory, e, decoder.NumHeads);
            string Feed(string value) =>
                Affine(g, L, Activation(g, L, new ActivationAttribute(decoder.Activation), Affine(g, L, value, L + ".linear1.weight", L + ".linear1.bias")), L + ".linear2.weight", L + ".linear2.bias");
            if (decoder.NormFirst)
            {
                x = g.Node("Add", L, [x, Self(Norm(x, "norm1"))]);
                x = g.Node("Add", L, [x, Cross(Norm(x, "norm2"))]);
                x = g.Node("Add", L, [x, Feed(Norm(x, "norm3"))]);
            }
            else
            {
                x = Norm(g.Node("Add", L, [x, Self(x)]), "norm1");
                x = Norm(g.Node("Add", L, [x, Cross(x)]), "norm2");
                x = Norm(g.Node("Add", L, [x, Feed(x)]), "norm3");
            }
        }
        if (decoder.NormFirst)
            x = g.Node("LayerNormalization", P, [x, g.Parameter(g.Parameter(P + ".norm.weight")), g.Parameter(g.Parameter(P + ".norm.bias"))], Int("axis", -1), Float("epsilon", (float)decoder.LayerNormEps));
        return Affine(g, P, x, P + ".out.weight", P + ".out.bias");
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
        string Norm(string value, string name) =>
            g.Node("LayerNormalization", P, [value, g.Parameter(g.Parameter($"{P}.{name}.weight")), g.Parameter(g.Parameter($"{P}.{name}.bias"))], Int("axis", -1), Float("epsilon", (float)block.LayerNormEps));
        string Attend(string value) => SelfAttention(g, P + ".self_attn", value, block.DModel, block.NumHeads, block.Causal);
        string Feed(string value) =>
            Affine(g, P, Activation(g, P, new ActivationAttribute(block.Activation), Affine(g, P, value, P + ".linear1.weight", P + ".linear1.bias")), P + ".linear2.weight", P + ".linear2.bias");
        if (block.NormFirst)
        {
            string s = g.Node("Add", P, [x, Attend(Norm(x, "norm1"))]);
            return g.Node("Add", P, [s, Feed(Norm(s, "norm2"))]);
        }
        string first = Norm(g.Node("Add", P, [x, Attend(x)]), "norm1");
        return Norm(g.Node("Add", P, [first, Feed(first)]), "norm2");
    }

    /// <summary>Gate blocks of <paramref name="hidden"/> rows (each <paramref name="width"/> wide) in ONNX's order.</summary>
    private static float[] Reorder(ReadOnlySpan<float> values, int[] order, int hidden, int width)
    {
        var result = new float[values.Length];
        int block = hidden * width;
        for (int k = 0; k < order.Length; k++) values.Slice(order[k] * block, block).CopyTo(result.AsSpan(k * block, block));
        return result;
    }

    /// <summary>The transpose of a row-major <c>[rows, columns]</c> matrix.</summary>
    private static float[] Transpose(ReadOnlySpan<float> values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++) result[j * rows + i] = values[i * columns + j];
        }
        return result;
    }
}
