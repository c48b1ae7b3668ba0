using Onnx;

namespace Unroll.Tool.Importing.Onnx;

/// <summary>
/// nn.MultiheadAttention(E, heads) called as self-attention (query = key = value), as torch.onnx.export writes it on a
/// time-major input: the input projection (MatMul by in_proj_weightᵀ, Add in_proj_bias), three Slices of the result
/// into q, k and v (bounds computed from its shape), each reshaped to [time, batch·heads, E/heads] and transposed, q
/// divided by √(E/heads), MatMul(q, kᵀ) (with a causal attn_mask: Mul by 1 and Add of the −∞ mask), Softmax, MatMul by
/// v, transposed and reshaped back to [time·batch, E], the output projection (Gemm, transB) and a Reshape to
/// [time, batch, E]. Every step is checked; the first that differs is an error naming its node.
/// </summary>
internal sealed partial class OnnxGraphReader
{
    /// <summary>Whether node <paramref name="i"/>'s module holds a Softmax (so its MatMul may start an attention subgraph).</summary>
    private bool InAttentionModule(int i)
    {
        string module = Module(nodes[i].Name);
        return module.Length > 0 && nodes.Any(n => n.OpType == "Softmax" && Module(n.Name) == module);
    }

    private void Attention(int i)
    {
        NodeProto n = nodes[i];
        int e = width;
        if (layout != "TBF" || n.Input[0] != current || !initializers.TryGetValue(n.Input[1], out TensorProto? inProjection)
            || !inProjection.Dims.SequenceEqual(new long[] { e, 3 * e }))
        {
            throw NotAttention(i, $"it is not nn.MultiheadAttention's input projection of the time-major sequence by a [{e}, {3 * e}] matrix");
        }
        float[] inWeight = Transposed(Weight(i, n.Input[1], "in_proj_weight", [e, 3 * e]), e, 3 * e);
        int add = Single(n.Output[0], "Add", i);
        string biasName = nodes[add].Input[0] == n.Output[0] ? nodes[add].Input[1] : nodes[add].Input[0];
        float[] inBias = Weight(add, biasName, "in_proj_bias", [3 * e]);
        string qkv = nodes[add].Output[0];
        var path = new List<int> { i, add };

        // The three Slices, told apart by their bounds along the features: q [0, E), k [E, 2E), v [2E, 3E).
        int[] slices = DataUsers(qkv);
        if (slices.Length != 3 || slices.Any(s => nodes[s].OpType != "Slice"))
        {
            throw NotAttention(add, "its output does not go into the three Slices of q, k and v");
        }
        var parts = new int[3];
        foreach (int s in slices)
        {
            NodeProto slice = nodes[s];
            long[]? starts = Evaluate(slice.Input[1], qkv, e), ends = Evaluate(slice.Input[2], qkv, e);
            long[]? axes = slice.Input.Count > 3 ? Evaluate(slice.Input[3], qkv, e) : [0];
            long[]? steps = slice.Input.Count > 4 && slice.Input[4].Length > 0 ? Evaluate(slice.Input[4], qkv, e) : [1];
            if (starts is not [long start] || ends is not [long end] || axes is not ([2] or [-1]) || steps is not [1] || start % e != 0 || end != start + e || start < 0 || start > 2 * e)
            {
                throw NotAttention(s, $"it does not cut one of q, k and v ([0, {e}), [{e}, {2 * e}), [{2 * e}, {3 * e})) out of the projection");
            }
            parts[start / e] = s;
            for (int k = 1; k < slice.Input.Count; k++) MarkEvaluated(slice.Input[k]);
            path.Add(s);
        }

        // Each of q, k and v reshaped to [time, batch·heads, E/heads]: the heads.
        int headSize = 0;
        var reshaped = new string[3];
        for (int p = 0; p < 3; p++)
        {
            int reshape = Single(nodes[parts[p]].Output[0], "Reshape", parts[p]);
            long[] shape = Integers(nodes[reshape].Input[1], reshape);
            if (shape.Length != 3 || shape[2] <= 0 || e % shape[2] != 0 || (headSize != 0 && shape[2] != headSize))
            {
                throw NotAttention(reshape, $"it does not split the {e} features into heads ([time, batch·heads, {e}/heads])");
            }
            headSize = (int)shape[2];
            MarkPlumbing(nodes[reshape].Input[1]);
            reshaped[p] = nodes[reshape].Output[0];
            path.Add(reshape);
        }
        int heads = e / headSize;

        // q: Transpose [1, 0, 2], Div by √(E/heads); k: Transpose [1, 2, 0]; v: Transpose [1, 0, 2].
        int qTranspose = Transposes(reshaped[0], [1, 0, 2]), kTranspose = Transposes(reshaped[1], [1, 2, 0]), vTranspose = Transposes(reshaped[2], [1, 0, 2]);
        int scale = Single(nodes[qTranspose].Output[0], "Div", qTranspose);
        if (nodes[scale].Input[0] != nodes[qTranspose].Output[0] || !IsScalar(nodes[scale].Input[1], MathF.Sqrt(headSize)))
        {
            throw NotAttention(scale, $"it does not scale q by 1/√{headSize}");
        }
        MarkPlumbing(nodes[scale].Input[1]);
        int scores = Single(nodes[scale].Output[0], "MatMul", scale);
        if (nodes[scores].Input[0] != nodes[scale].Output[0] || nodes[scores].Input[1] != nodes[kTranspose].Output[0])
        {
            throw NotAttention(scores, "it does not multiply q by kᵀ");
        }
        path.AddRange([qTranspose, kTranspose, vTranspose, scale, scores]);

        // A causal attn_mask: scores · 1 + mask (0 on and below the diagonal, −∞ above), before the Softmax.
        bool causal = false;
        string logits = nodes[scores].Output[0];
        int next = Single(logits, null, scores);
        if (nodes[next].OpType == "Mul")
        {
            if (!HasScalar(next, logits, 1)) throw NotAttention(next, "it scales the attention scores");
            foreach (string input in nodes[next].Input) if (input != logits) MarkPlumbing(input);
            path.Add(next);
            logits = nodes[next].Output[0];
            next = Single(logits, "Add", next);
        }
        if (nodes[next].OpType == "Add")
        {
            string mask = nodes[next].Input[0] == logits ? nodes[next].Input[1] : nodes[next].Input[0];
            if (!IsCausalMask(mask, next)) throw NotAttention(next, $"its attn_mask '{mask}' is not causal (0 on and below the diagonal, −∞ above), the only mask Unroll's [SelfAttention] takes");
            MarkPlumbing(mask);
            causal = true;
            path.Add(next);
            logits = nodes[next].Output[0];
            next = Single(logits, "Softmax", next);
        }
        if (nodes[next].OpType != "Softmax" || IntAttribute(nodes[next], "axis", -1) is not (-1 or 2))
        {
            throw NotAttention(next, "it is not the Softmax of the attention scores over the keys");
        }
        int weighted = Single(nodes[next].Output[0], "MatMul", next);
        if (nodes[weighted].Input[0] != nodes[next].Output[0] || nodes[weighted].Input[1] != nodes[vTranspose].Output[0])
        {
            throw NotAttention(weighted, "it does not weight v by the attention");
        }
        path.AddRange([next, weighted]);

        // The heads joined: Transpose [1, 0, 2], Reshape [time·batch, E], Gemm (out_proj, transB), Reshape [time, batch, E].
        int joined = Transposes(nodes[weighted].Output[0], [1, 0, 2]);
        int flatten = Single(nodes[joined].Output[0], "Reshape", joined);
        if (Integers(nodes[flatten].Input[1], flatten) is not [_, long flat] || flat != e) throw NotAttention(flatten, $"it does not join the heads into [time·batch, {e}]");
        MarkPlumbing(nodes[flatten].Input[1]);
        int gemm = Single(nodes[flatten].Output[0], "Gemm", flatten);
        NodeProto g = nodes[gemm];
        if (IntAttribute(g, "transB", 0) != 1 || IntAttribute(g, "transA", 0) != 0 || FloatAttribute(g, "alpha", 1) != 1 || FloatAttribute(g, "beta", 1) != 1 || g.Input.Count < 3)
        {
            throw NotAttention(gemm, "it is not the output projection (x · out_proj.weightᵀ + out_proj.bias)");
        }
        float[] outWeight = Weight(gemm, g.Input[1], "out_proj.weight", [e, e]);
        float[] outBias = Weight(gemm, g.Input[2], "out_proj.bias", [e]);
        int unflatten = Single(g.Output[0], "Reshape", gemm);
        if (Integers(nodes[unflatten].Input[1], unflatten) is not [_, _, long last] || last != e) throw NotAttention(unflatten, $"it does not reshape the output to [time, batch, {e}]");
        MarkPlumbing(nodes[unflatten].Input[1]);
        path.AddRange([joined, flatten, gemm]);

        foreach (int k in path) consumed[k] = true;
        string property = Property(i);
        var attribute = $"SelfAttention({e}{(heads != 1 ? $", NumHeads = {heads}" : "")}{(causal ? ", Causal = true" : "")})";
        AddLayer(property, attribute, "SelfAttentionLayer",
            $"ONNX nodes '{nodes[i].Name}' to '{nodes[unflatten].Name}' (nn.MultiheadAttention's self-attention; nodes {i + 1} to {unflatten + 1} of {nodes.Count})");
        tensors.Add(new($"{property}.in_proj_weight", [3 * e, e], inWeight));
        tensors.Add(new($"{property}.in_proj_bias", [3 * e], inBias));
        tensors.Add(new($"{property}.out_proj.weight", [e, e], outWeight));
        tensors.Add(new($"{property}.out_proj.bias", [e], outBias));
        Advance(unflatten, "TBF");
    }

    private ImportException NotAttention(int i, string why) =>
        new($"'{file}': {Where(i)}: {why}; Unroll imports an attention subgraph only as torch.onnx.export writes nn.MultiheadAttention's self-attention (query = key = value, at most a causal attn_mask, no residual inside the module)");

    /// <summary>The one node reading <paramref name="tensor"/> (of <paramref name="op"/> when given), else an error at <paramref name="from"/>.</summary>
    private int Single(string tensor, string? op, int from)
    {
        int[] users = DataUsers(tensor);
        if (users is not [int only] || (op is not null && nodes[only].OpType != op))
        {
            throw NotAttention(users.Length == 1 ? users[0] : from, $"'{tensor}' goes into {(users.Length == 0 ? "nothing" : string.Join(", ", users.Select(u => nodes[u].OpType)))}{(op is null ? "" : $", not one {op}")}");
        }
        return only;
    }

    /// <summary>The one Transpose reading <paramref name="tensor"/>, with the permutation <paramref name="perm"/>.</summary>
    private int Transposes(string tensor, long[] perm)
    {
        int t = Single(tensor, "Transpose", producers[tensor]);
        if (!(IntsAttribute(nodes[t], "perm") ?? []).SequenceEqual(perm)) throw NotAttention(t, $"its permutation is not [{string.Join(", ", perm)}]");
        return t;
    }

    private bool IsCausalMask(string tensor, int node)
    {
        if (Constant(tensor) is not { } t || t.Dims.Count is < 2 or > 3 || t.Dims[^1] != t.Dims[^2] || (t.Dims.Count == 3 && t.Dims[0] != 1)) return false;
        float[] values = Values(t, node, tensor);
        int size = (int)t.Dims[^1];
        for (int r = 0; r < size; r++)
        {
            for (int c = 0; c < size; c++)
            {
                float v = values[r * size + c];
                if (c <= r ? v != 0 : !float.IsNegativeInfinity(v)) return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The value of a small integer computation on the projection's shape ([?, ?, 3E]: time and batch unknown), as the
    /// exporter computes the Slice bounds of q, k and v; null when it depends on an unknown or on anything else.
    /// </summary>
    private long[]? Evaluate(string tensor, string shaped, int e)
    {
        const long Unknown = long.MinValue;
        if (tensor.Length == 0) return null;
        if (Constant(tensor) is { } constant) return Integers(constant, -1);
        if (!producers.TryGetValue(tensor, out int p)) return null;
        NodeProto n = nodes[p];
        long[]? Input(int k) => k < n.Input.Count ? Evaluate(n.Input[k], shaped, e) : null;
        switch (n.OpType)
        {
            case "Shape":
                return n.Input[0] == shaped ? [Unknown, Unknown, 3L * e] : null;
            case "Gather":
                if (Input(0) is not { } data || Input(1) is not { } indices || IntAttribute(n, "axis", 0) != 0) return null;
                var picked = new long[indices.Length];
                for (int k = 0; k < indices.Length; k++)
                {
                    long index = indices[k] < 0 ? indices[k] + data.Length : indices[k];
                    if (index < 0 || index >= data.Length) return null;
                    picked[k] = data[index];
                }
                return picked.Contains(Unknown) ? null : picked;
            case "Add" or "Sub" or "Mul" or "Div":
                if (Input(0) is not { } a || Input(1) is not { } b || (a.Length != b.Length && a.Length != 1 && b.Length != 1)) return null;
                var result = new long[Math.Max(a.Length, b.Length)];
                for (int k = 0; k < result.Length; k++)
                {
                    long x = a[a.Length == 1 ? 0 : k], y = b[b.Length == 1 ? 0 : k];
                    if (n.OpType == "Div" && y == 0) return null;
                    result[k] = n.OpType switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, _ => (long)Math.Floor((double)x / y) };
                }
                return result;
            case "Unsqueeze" or "Squeeze" or "Cast" or "Identity":
                return Input(0);
            case "Concat":
                var all = new List<long>();
                for (int k = 0; k < n.Input.Count; k++)
                {
                    if (Input(k) is not { } piece) return null;
                    all.AddRange(piece);
                }
                return all.ToArray();
            default:
                return null;
        }
    }

    /// <summary>Accepts the nodes of a computation <see cref="Evaluate"/> followed (integer arithmetic on a shape).</summary>
    private void MarkEvaluated(string tensor)
    {
        if (tensor.Length == 0 || !producers.TryGetValue(tensor, out int p) || consumed[p]) return;
        consumed[p] = true;
        if (nodes[p].OpType == "Shape") return;
        foreach (string input in nodes[p].Input) MarkEvaluated(input);
    }
}
