using static Unroll.GraphBuilder;
using static Unroll.LayerExport;

namespace Unroll;

/// <summary>
/// The decoders of encoder–decoder models as ONNX nodes, in the three graphs: teacher-forced over a target
/// (<see cref="OnnxGraph.Sequence"/>), the encoder's part that the steps read (<see cref="OnnxGraph.Encode"/>), and one
/// decoding step from the previous target token (<see cref="OnnxGraph.Step"/>). <c>Encode</c>'s outputs are the step
/// graph's inputs of the same names.
/// </summary>
internal static class DecoderExport
{
    /// <summary>
    /// The <c>[AttentionDecoder]</c> over the encoder's output <paramref name="memory"/>: teacher-forced over
    /// <paramref name="target"/> <c>[batch, target time(, features)]</c> (an ONNX Scan whose body is the step below, the
    /// state starting from the encoder's last recurrent layer), or one step from <paramref name="target"/> <c>[batch(, features)]</c>.
    /// </summary>
    public static string Attention(GraphBuilder g, string P, AttentionDecoderAttribute d, string target, string memory, string s, string? c)
    {
        bool lstm = d.Cell == DecoderCell.Lstm;
        string x = d.Vocabulary > 0 ? g.Node("Gather", P, [g.Parameter(g.Parameter(P + ".embedding.weight")), target], Int("axis", 0)) : target;
        string? keys = d.Attention switch
        {
            AttentionScore.Additive => Affine(g, P, memory, P + ".W_h.weight", P + ".W_h.bias"), // W_h·h_j + b_h, once for every step
            AttentionScore.General => Project(g, P, memory, P + ".W_a.weight"),                    // W_a·h_j
            _ => null,
        };
        // Each source row's later steps get no weight: −∞ added to their scores, [batch, source time, 1].
        string? bias = g.Lengths is null ? null : g.Node("Unsqueeze", P, [KeyBias(g, P, memory), g.Longs(P + ".bias", 2)]);
        if (g.Step)
        {
            var (y, sNext, cNext) = AttentionStep(g, P, d, x, memory, keys, bias, s, c);
            g.StateOutput(sNext, P + ".h_n", 1, d.HiddenSize);
            if (lstm) g.StateOutput(cNext!, P + ".c_n", 1, d.HiddenSize);
            return y;
        }
        // Teacher-forced: a Scan over the target steps (time-major), carrying s (and c), each step's output scanned out.
        string[] inputs = lstm ? [P + ".s", P + ".c", P + ".x"] : [P + ".s", P + ".x"];
        var body = g.Subgraph(P + ".step", inputs, () =>
        {
            var (y, sNext, cNext) = AttentionStep(g, P, d, inputs[^1], memory, keys, bias, inputs[0], lstm ? inputs[1] : null);
            return lstm ? [sNext, cNext!, y] : [sNext, y];
        });
        string steps = g.Node("Transpose", P, [x], Ints("perm", 1, 0, 2));
        string[] outputs = g.Nodes("Scan", P, lstm ? [s, c!, steps] : [s, steps], inputs.Length, Graph("body", body), Int("num_scan_inputs", 1));
        return g.Node("Transpose", P, [outputs[^1]], Ints("perm", 1, 0, 2));
    }

    /// <summary>
    /// The attention decoder's initial state <c>[1, batch, hidden]</c> (LSTM: and cell state): the final states of the
    /// encoder's last recurrent layer, both directions side by side; c_0 is 0 when that layer keeps no cell state.
    /// </summary>
    public static (string S, string? C) AttentionStart(GraphBuilder g, string P, AttentionDecoderAttribute d)
    {
        var (h, c) = g.FinalStates ?? throw new NotSupportedException($"Layer '{P}' ([AttentionDecoder]) has no recurrent layer before it to start from.");
        string Start(string states) => g.Node("Unsqueeze", P, [SideBySide(g, P, states), g.Longs(P + ".start", 0)]);
        string s = Start(h);
        if (d.Cell != DecoderCell.Lstm) return (s, null);
        return (s, c is null ? g.Node("ConstantOfShape", P, [g.Node("Shape", P, [s])]) : Start(c)); // ConstantOfShape's default: float 0
    }

    /// <summary>
    /// One step: attention weights a = softmax(score(s, h_j)) over the memory, ctx = Σ a_j h_j, the cell on [x ; ctx]
    /// (ONNX's LSTM or GRU over one step), y = out·[s' ; ctx] + b. <paramref name="x"/> <c>[batch, input]</c>, states
    /// <c>[1, batch, hidden]</c>; returns y <c>[batch, outputs]</c> and the new states.
    /// </summary>
    private static (string Y, string S, string? C) AttentionStep(GraphBuilder g, string P, AttentionDecoderAttribute d, string x, string memory, string? keys, string? bias, string s, string? c)
    {
        int H = d.HiddenSize;
        string query = g.Node("Squeeze", P, [s, g.Longs(P + ".state", 0)]); // [batch, hidden]
        string Column(string value) => g.Node("Unsqueeze", P, [value, g.Longs(P + ".column", 2)]);
        string scores = d.Attention switch // [batch, source time, 1]
        {
            AttentionScore.Additive => Project(g, P,
                g.Node("Tanh", P, [g.Node("Add", P, [keys!, g.Node("Unsqueeze", P, [Project(g, P, query, P + ".W_s.weight"), g.Longs(P + ".row", 1)])])]), P + ".v.weight"),
            AttentionScore.General => g.Node("MatMul", P, [keys!, Column(query)]),
            _ => g.Node("MatMul", P, [memory, Column(query)]),
        };
        if (bias is not null) scores = g.Node("Add", P, [scores, bias]);
        string weights = g.Node("Softmax", P, [scores], Int("axis", 1));
        string context = g.Node("Squeeze", P, [g.Node("MatMul", P, [g.Node("Transpose", P, [weights], Ints("perm", 0, 2, 1)), memory]), g.Longs(P + ".context", 1)]); // [batch, E]
        bool lstm = d.Cell == DecoderCell.Lstm;
        var (op, gates, order) = Cell(lstm, gru: !lstm);
        int input = g.Parameter(P + ".cell.weight_ih").Shape[1];
        var (w, r, b) = CellWeights(g, order, H, input, P + ".cell.weight_ih", P + ".cell.weight_hh", P + ".cell.bias_ih", P + ".cell.bias_hh");
        var cell = new List<string>
        {
            g.Node("Unsqueeze", P, [g.Node("Concat", P, [x, context], Int("axis", 1)), g.Longs(P + ".cell_input", 0)]), // [1, batch, input + E]
            g.Floats(P + ".cell.W", [1, gates * H, input], w), g.Floats(P + ".cell.R", [1, gates * H, H], r), g.Floats(P + ".cell.B", [1, 2 * gates * H], b),
            "", s,
        };
        if (lstm) cell.Add(c!);
        var attributes = new List<Onnx.AttributeProto> { Int("hidden_size", H) };
        if (!lstm) attributes.Add(Int("linear_before_reset", 1));
        string[] states = g.Nodes(op, P, cell, lstm ? 3 : 2, [.. attributes]);
        string sNext = states[1];
        string y = Affine(g, P, g.Node("Concat", P, [g.Node("Squeeze", P, [sNext, g.Longs(P + ".next", 0)]), context], Int("axis", 1)), P + ".out.weight", P + ".out.bias");
        return (y, sNext, lstm ? states[2] : null);
    }

    /// <summary>
    /// A <c>[TransformerDecoderLayer]</c> over target <paramref name="target"/> (ids or features; teacher-forced
    /// <c>[batch, target time(, features)]</c>, or one step's <c>[batch(, features)]</c> at input <c>position</c>): the
    /// embedding and positions, each nn.TransformerDecoderLayer (causal self-attention — one step: over its caches —,
    /// cross-attention over layer i's keys and values <paramref name="cross"/>, feed-forward, each with its residual path
    /// and norm), the final norm (norm first), out.
    /// </summary>
    public static string Transformer(GraphBuilder g, string P, TransformerDecoderLayerAttribute decoder, string target, Func<int, (string K, string V)> cross, int targetLength)
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
        string rows = g.Step
            ? g.Node("Gather", P, [table, g.Position()], Int("axis", 0))
            : g.Node("Slice", P, [table, g.Longs(P + ".start", 0), Time(g, P, target), g.Longs(P + ".axis", 0)]);
        x = g.Node("Add", P, [x, rows]);
        // The memory's keys and values per layer, and what the source rows' lengths add to their scores; the target's
        // own steps are all real (only causally masked).
        var memory = Enumerable.Range(0, decoder.NumLayers).Select(cross).ToList();
        string? keyBias = g.Lengths is null ? null : KeyBias(g, P, memory[0].K);
        string? lengths = g.Lengths;
        g.Lengths = null;
        for (int i = 0; i < decoder.NumLayers; i++)
        {
            string L = $"{P}.layers.{i}";
            var (k, v) = memory[i];
            string Norm(string value, string name) => LayerNorm(g, L, value, $"{L}.{name}", decoder.LayerNormEps);
            string Self(string value) => SelfAttention(g, L + ".self_attn", value, e, decoder.NumHeads, causal: true);
            string Cross(string value) => CrossAttention(g, L + ".multihead_attn", value, k, v, e, decoder.NumHeads, keyBias);
            string Feed(string value) => FeedForward(g, L, value, decoder.Activation);
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
        g.Lengths = lengths;
        if (decoder.NormFirst)
            x = LayerNorm(g, P, x, P + ".norm", decoder.LayerNormEps);
        return Affine(g, P, x, P + ".out.weight", P + ".out.bias");
    }

    /// <summary>The names of layer <paramref name="i"/>'s cross-attention keys and values: <c>Encode</c>'s outputs, the step graph's inputs.</summary>
    public static (string K, string V) CrossNames(string P, int i) => ($"{P}.layers.{i}.multihead_attn.keys", $"{P}.layers.{i}.multihead_attn.values");
}
