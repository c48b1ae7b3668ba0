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
    public static (string X, bool TimeAxis) Write(GraphBuilder g, string property, LayerAttribute attribute, string x, bool timeAxis)
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
            case Conv1dAttribute conv when !g.Step && conv.PaddingMode == PaddingMode.Zeros:
                {
                    long left = conv.Causal ? (long)(conv.KernelSize - 1) * conv.Dilation : conv.Padding, right = conv.Causal ? 0 : conv.Padding;
                    var inputs = new List<string> { g.Node("Transpose", P, [x], Ints("perm", 0, 2, 1)), g.Parameter(g.Parameter(P + ".weight")) };
                    if (conv.Bias) inputs.Add(g.Parameter(g.Parameter(P + ".bias")));
                    string y = g.Node("Conv", P, inputs, Ints("kernel_shape", conv.KernelSize), Ints("strides", conv.Stride), Ints("dilations", conv.Dilation),
                        Ints("pads", left, right), Int("group", conv.Groups));
                    return (g.Node("Transpose", P, [y], Ints("perm", 0, 2, 1)), true);
                }
            case PoolingAttribute pooling when !g.Step:
                return (pooling.Kind switch
                {
                    PoolingKind.Mean => g.Node("ReduceMean", P, [x], Ints("axes", 1), Int("keepdims", 0)),
                    PoolingKind.Max => g.Node("ReduceMax", P, [x], Ints("axes", 1), Int("keepdims", 0)),
                    _ => g.Node("Squeeze", P, [g.Node("Slice", P, [x, g.Longs(P + ".last", -1), g.Longs(P + ".end", long.MaxValue), g.Longs(P + ".axis", 1)]), g.Longs(P + ".squeeze", 1)]),
                }, false);
            case RecurrentAttribute recurrent:
                return Recurrent(g, P, recurrent, x);
            default:
                throw new NotSupportedException($"Layer '{property}' ([{attribute.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal)}]{Detail(attribute)}) has no ONNX export{(g.Step ? " in the one-step graph" : "")} yet.");
        }
    }

    private static string Detail(LayerAttribute attribute) => attribute switch
    {
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
