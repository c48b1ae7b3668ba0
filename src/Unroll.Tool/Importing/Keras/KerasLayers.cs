using System.Globalization;
using System.Text;

namespace Unroll.Tool.Importing.Keras;

/// <summary>
/// Builds an <see cref="ImportedModel"/>'s layers from weights in Keras' layouts (kernels [in, out], gates i, f, c, o and
/// z, r, h, convolution kernels [k, in, out]), converting each to Unroll's attribute and PyTorch's state-dict names and
/// layouts. The Keras and RTNeural importers share it (RTNeural's JSON holds Keras' layouts).
/// </summary>
internal sealed class KerasLayers(string modelName)
{
    private readonly List<ImportedLayer> layers = [];
    private readonly List<ImportedTensor> tensors = [];
    private readonly PropertyNames names = new(modelName);

    public IReadOnlyList<ImportedLayer> Layers => layers;

    public IReadOnlyList<ImportedTensor> Tensors => tensors;

    public int Count => layers.Count;

    /// <summary>A property name from a layer's name: "time_distributed_1" → "TimeDistributed1", unique, not a generated member's.</summary>
    public string Property(string name, string fallback) => names.Unique(name, fallback);

    public void Embedding(string property, int count, int dim, float[] table, string origin)
    {
        layers.Add(new(property, $"Embedding({count}, {dim})", "EmbeddingLayer", origin));
        tensors.Add(new($"{property}.weight", [count, dim], table));
    }

    /// <summary>Dense: kernel [in, out] → weight [out, in] = kernelᵀ.</summary>
    public void Linear(string property, int inputs, int outputs, float[] kernel, float[]? bias, string origin)
    {
        layers.Add(new(property, $"Linear({inputs}, {outputs}{(bias is null ? ", Bias = false" : "")})", "LinearLayer", origin));
        tensors.Add(new($"{property}.weight", [outputs, inputs], Transposed(kernel, inputs, outputs)));
        if (bias is not null) tensors.Add(new($"{property}.bias", [outputs], bias));
    }

    /// <summary>One direction of a Keras recurrent cell, in Keras' layouts.</summary>
    /// <param name="Kernel">[in, gates·H].</param>
    /// <param name="Recurrent">[H, gates·H].</param>
    /// <param name="InputBias">[gates·H] (Keras' bias, or a GRU's bias[0]); null for none.</param>
    /// <param name="RecurrentBias">[gates·H] (a reset-after GRU's bias[1]); null for none.</param>
    public sealed record Cell(float[] Kernel, float[] Recurrent, float[]? InputBias, float[]? RecurrentBias);

    /// <summary>
    /// A Keras LSTM, GRU (reset after) or SimpleRNN as Unroll's <c>[Lstm]</c>, <c>[Gru]</c>, <c>[Rnn]</c>: the kernels
    /// transposed, a GRU's gate blocks z, r, h reordered to PyTorch's r, z, n, Keras' one bias as bias_ih and bias_hh 0.
    /// </summary>
    /// <param name="kind">"Lstm", "Gru" or "Rnn".</param>
    public void Recurrent(string property, string kind, int inputs, int hidden, IReadOnlyList<Cell> directions, string? nonlinearity, bool returnSequences, string origin)
    {
        var options = new List<string>();
        if (nonlinearity is not null) options.Add($"Nonlinearity = Nonlinearity.{nonlinearity}");
        if (directions.Count == 2) options.Add("Bidirectional = true");
        if (!returnSequences) options.Add("ReturnSequences = false");
        layers.Add(new(property, $"{kind}({inputs}, {hidden}{string.Concat(options.Select(o => ", " + o))})", kind + "Layer", origin));
        int gates = kind switch { "Lstm" => 4, "Gru" => 3, _ => 1 };
        int gh = gates * hidden;
        int[] order = kind == "Gru" ? [1, 0, 2] : [.. Enumerable.Range(0, gates)];
        for (int d = 0; d < directions.Count; d++)
        {
            Cell c = directions[d];
            string suffix = d == 1 ? "_l0_reverse" : "_l0";
            tensors.Add(new($"{property}.weight_ih{suffix}", [gh, inputs], Blocks(Transposed(c.Kernel, inputs, gh), hidden * inputs, order)));
            tensors.Add(new($"{property}.weight_hh{suffix}", [gh, hidden], Blocks(Transposed(c.Recurrent, hidden, gh), hidden * hidden, order)));
            tensors.Add(new($"{property}.bias_ih{suffix}", [gh], Blocks(c.InputBias ?? new float[gh], hidden, order)));
            tensors.Add(new($"{property}.bias_hh{suffix}", [gh], Blocks(c.RecurrentBias ?? new float[gh], hidden, order)));
        }
    }

    /// <summary>Conv1D: kernel [k, in/groups, out] → weight [out, in/groups, k].</summary>
    public void Conv1d(string property, int inputs, int outputs, int size, int groups, IEnumerable<string> options, float[] kernel, float[]? bias, string origin)
    {
        var attribute = new List<string> { $"Conv1d({inputs}, {outputs}, {size}" };
        attribute.AddRange(options);
        if (groups != 1) attribute.Add($"Groups = {groups}");
        if (bias is null) attribute.Add("Bias = false");
        layers.Add(new(property, string.Join(", ", attribute) + ")", "Conv1dLayer", origin));
        int perGroup = inputs / groups;
        var weight = new float[outputs * perGroup * size];
        for (int j = 0; j < size; j++)
        {
            for (int c = 0; c < perGroup; c++)
            {
                for (int o = 0; o < outputs; o++) weight[(o * perGroup + c) * size + j] = kernel[(j * perGroup + c) * outputs + o];
            }
        }
        tensors.Add(new($"{property}.weight", [outputs, perGroup, size], weight));
        if (bias is not null) tensors.Add(new($"{property}.bias", [outputs], bias));
    }

    /// <summary>BatchNormalization: gamma, beta (null when not affine), moving mean and variance; num_batches_tracked 0.</summary>
    public void BatchNorm(string property, int features, double eps, decimal momentum, float[]? gamma, float[]? beta, float[] mean, float[] variance, string origin)
    {
        var attribute = new StringBuilder($"BatchNorm({features}");
        if (Math.Abs(eps - 1e-5) > 1e-12) attribute.Append(", Eps = ").Append(Number(eps));
        if (momentum != 0.1m) attribute.Append(", Momentum = ").Append(momentum.ToString(CultureInfo.InvariantCulture));
        bool affine = gamma is not null || beta is not null;
        if (!affine) attribute.Append(", Affine = false");
        layers.Add(new(property, attribute + ")", "BatchNormLayer", origin));
        if (affine)
        {
            tensors.Add(new($"{property}.weight", [features], gamma ?? Enumerable.Repeat(1f, features).ToArray()));
            tensors.Add(new($"{property}.bias", [features], beta ?? new float[features]));
        }
        tensors.Add(new($"{property}.running_mean", [features], mean));
        tensors.Add(new($"{property}.running_var", [features], variance));
        // Keras keeps no count of training batches; PyTorch's state dict has one (a scalar), which eval() ignores.
        tensors.Add(new($"{property}.num_batches_tracked", [], [0f]));
    }

    public void Dropout(string property, double rate, string origin) => layers.Add(new(property, $"Dropout({Number(rate)})", "DropoutLayer", origin));

    /// <summary>An activation: <paramref name="function"/> as written after <c>Activation(</c>, e.g. "ActivationFunction.Relu".</summary>
    public void Activation(string property, string function, string origin) => layers.Add(new(property, $"Activation({function})", "ActivationLayer", origin));

    /// <summary>A double as C# source: shortest round-trip form, invariant culture.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static float[] Transposed(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++) result[c * rows + r] = matrix[r * columns + c];
        }
        return result;
    }

    /// <summary>Gate blocks of <paramref name="blockSize"/> values reordered: block k of the result is block order[k] of the source.</summary>
    private static float[] Blocks(float[] source, int blockSize, int[] order)
    {
        var result = new float[source.Length];
        for (int k = 0; k < order.Length; k++) source.AsSpan(order[k] * blockSize, blockSize).CopyTo(result.AsSpan(k * blockSize));
        return result;
    }
}
