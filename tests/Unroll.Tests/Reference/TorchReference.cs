namespace Unroll.Tests.Reference;

/// <summary>The layer kinds the reference knows, as PyTorch modules.</summary>
public enum LayerKind
{
    /// <summary><c>nn.Embedding(InputSize = numEmbeddings, OutputSize = embeddingDim)</c>.</summary>
    Embedding,

    /// <summary><c>nn.Linear(InputSize, OutputSize, bias: Bias)</c>, applied to every step.</summary>
    Linear,

    /// <summary><c>nn.RNN(InputSize, OutputSize = hidden, nonlinearity='tanh')</c>.</summary>
    RnnTanh,

    /// <summary><c>nn.RNN(InputSize, OutputSize = hidden, nonlinearity='relu')</c>.</summary>
    RnnRelu,

    /// <summary><c>nn.LSTM(InputSize, OutputSize = hidden)</c>, gates i, f, g, o.</summary>
    Lstm,

    /// <summary><c>nn.GRU(InputSize, OutputSize = hidden)</c>, gates r, z, n, reset after the product.</summary>
    Gru,
}

/// <summary>
/// One property of a model: its name (the state-dict prefix) and PyTorch's constructor arguments.
/// For a recurrent layer <see cref="OutputSize"/> is the hidden size per direction.
/// </summary>
public sealed record LayerSpec(
    string Name,
    LayerKind Kind,
    int InputSize,
    int OutputSize,
    int NumLayers = 1,
    bool Bidirectional = false,
    bool ReturnSequences = true,
    bool Bias = true)
{
    public bool IsRecurrent => Kind is LayerKind.RnnTanh or LayerKind.RnnRelu or LayerKind.Lstm or LayerKind.Gru;

    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Features per step leaving the layer (both directions of a recurrent layer).</summary>
    public int Width => IsRecurrent ? Directions * OutputSize : OutputSize;

    /// <summary>The state-dict entries of this layer, in PyTorch's order, with their shapes.</summary>
    public IEnumerable<(string Name, int[] Shape)> Parameters()
    {
        switch (Kind)
        {
            case LayerKind.Embedding:
                yield return ($"{Name}.weight", new[] { InputSize, OutputSize });
                break;
            case LayerKind.Linear:
                yield return ($"{Name}.weight", new[] { OutputSize, InputSize });
                if (Bias) yield return ($"{Name}.bias", new[] { OutputSize });
                break;
            default:
                int gates = Kind switch { LayerKind.Lstm => 4, LayerKind.Gru => 3, _ => 1 };
                int h = OutputSize;
                for (int l = 0; l < NumLayers; l++)
                {
                    int input = l == 0 ? InputSize : Directions * h;
                    for (int d = 0; d < Directions; d++)
                    {
                        string s = $"_l{l}" + (d == 1 ? "_reverse" : "");
                        yield return ($"{Name}.weight_ih{s}", new[] { gates * h, input });
                        yield return ($"{Name}.weight_hh{s}", new[] { gates * h, h });
                        yield return ($"{Name}.bias_ih{s}", new[] { gates * h });
                        yield return ($"{Name}.bias_hh{s}", new[] { gates * h });
                    }
                }
                break;
        }
    }
}

/// <summary>What <see cref="TorchReference.Run"/> returns.</summary>
public sealed class ReferenceResult
{
    /// <summary><c>[batch, length, features]</c>, or <c>[batch, features]</c> after a recurrent layer with ReturnSequences = false.</summary>
    public required double[] Output { get; init; }

    /// <summary>h_n per recurrent layer name, <c>[NumLayers * Directions, batch, hidden]</c>.</summary>
    public required Dictionary<string, double[]> FinalHidden { get; init; }

    /// <summary>c_n per LSTM layer name, <c>[NumLayers * Directions, batch, hidden]</c>.</summary>
    public required Dictionary<string, double[]> FinalCell { get; init; }
}

/// <summary>
/// The oracle: PyTorch's equations for a stack of layers, written out plainly in double precision,
/// one sequence, one step and one scalar at a time. No cleverness, no vectors, no caching.
/// </summary>
public static class TorchReference
{
    /// <summary>Runs the layers over a batch of sequences.</summary>
    /// <param name="layers">The model's properties, in declaration order.</param>
    /// <param name="parameters">Every parameter by state-dict name (e.g. <c>Rnn.weight_ih_l0</c>), row-major.</param>
    /// <param name="input"><c>[batch, length, features]</c> batch-first (null for a model that starts with an embedding).</param>
    /// <param name="tokens"><c>[batch, length]</c> token ids (only for a model that starts with an embedding).</param>
    /// <param name="h0">h_0 per recurrent layer name, <c>[NumLayers * Directions, batch, hidden]</c>; zeros when missing.</param>
    /// <param name="c0">c_0 per LSTM layer name; zeros when missing.</param>
    public static ReferenceResult Run(
        IReadOnlyList<LayerSpec> layers,
        IReadOnlyDictionary<string, double[]> parameters,
        double[]? input,
        int[]? tokens,
        int batch,
        int length,
        IReadOnlyDictionary<string, double[]>? h0 = null,
        IReadOnlyDictionary<string, double[]>? c0 = null)
    {
        // x[b][t] = the features of sequence b at step t
        double[][][] x = new double[batch][][];
        for (int b = 0; b < batch; b++)
        {
            x[b] = new double[length][];
            if (layers[0].Kind == LayerKind.Embedding) continue;
            int f = layers[0].InputSize;
            for (int t = 0; t < length; t++)
                x[b][t] = input!.AsSpan((b * length + t) * f, f).ToArray();
        }

        var finalHidden = new Dictionary<string, double[]>();
        var finalCell = new Dictionary<string, double[]>();
        foreach (LayerSpec layer in layers)
        {
            switch (layer.Kind)
            {
                case LayerKind.Embedding:
                    double[] table = parameters[$"{layer.Name}.weight"];
                    for (int b = 0; b < batch; b++)
                        for (int t = 0; t < length; t++)
                            x[b][t] = table.AsSpan(tokens![b * length + t] * layer.OutputSize, layer.OutputSize).ToArray();
                    break;
                case LayerKind.Linear:
                    double[] w = parameters[$"{layer.Name}.weight"];
                    double[]? bias = layer.Bias ? parameters[$"{layer.Name}.bias"] : null;
                    for (int b = 0; b < batch; b++)
                        for (int t = 0; t < x[b].Length; t++)
                            x[b][t] = Affine(w, bias, x[b][t], layer.OutputSize);
                    break;
                default:
                    x = Recurrent(layer, parameters, x, h0?.GetValueOrDefault(layer.Name), c0?.GetValueOrDefault(layer.Name),
                        finalHidden, finalCell);
                    break;
            }
        }

        var output = new List<double>();
        foreach (double[][] sequence in x)
            foreach (double[] step in sequence)
                output.AddRange(step);
        return new ReferenceResult { Output = output.ToArray(), FinalHidden = finalHidden, FinalCell = finalCell };
    }

    private static double[][][] Recurrent(
        LayerSpec layer,
        IReadOnlyDictionary<string, double[]> p,
        double[][][] x,
        double[]? h0,
        double[]? c0,
        Dictionary<string, double[]> finalHidden,
        Dictionary<string, double[]> finalCell)
    {
        int batch = x.Length, length = x[0].Length, hidden = layer.OutputSize, directions = layer.Directions;
        double[] hn = new double[layer.NumLayers * directions * batch * hidden];
        double[] cn = new double[hn.Length];
        for (int l = 0; l < layer.NumLayers; l++)
        {
            // y[b][t] = [forward state after x_t ; reverse state after x_t]
            double[][][] y = new double[batch][][];
            for (int b = 0; b < batch; b++)
            {
                y[b] = new double[length][];
                for (int t = 0; t < length; t++) y[b][t] = new double[directions * hidden];
            }

            for (int d = 0; d < directions; d++)
            {
                string s = $"_l{l}" + (d == 1 ? "_reverse" : "");
                double[] wih = p[$"{layer.Name}.weight_ih{s}"], whh = p[$"{layer.Name}.weight_hh{s}"];
                double[] bih = p[$"{layer.Name}.bias_ih{s}"], bhh = p[$"{layer.Name}.bias_hh{s}"];
                int k = l * directions + d; // state index
                for (int b = 0; b < batch; b++)
                {
                    int at = (k * batch + b) * hidden;
                    double[] h = h0 is null ? new double[hidden] : h0.AsSpan(at, hidden).ToArray();
                    double[] c = c0 is null ? new double[hidden] : c0.AsSpan(at, hidden).ToArray();
                    for (int step = 0; step < length; step++)
                    {
                        int t = d == 0 ? step : length - 1 - step;
                        (h, c) = Cell(layer.Kind, x[b][t], h, c, wih, whh, bih, bhh, hidden);
                        h.CopyTo(y[b][t], d * hidden);
                    }
                    h.CopyTo(hn, at);
                    c.CopyTo(cn, at);
                }
            }
            x = y;
        }

        finalHidden[layer.Name] = hn;
        if (layer.Kind == LayerKind.Lstm) finalCell[layer.Name] = cn;
        if (layer.ReturnSequences) return x;

        // Only the last step: the forward state after x_{T-1}, the reverse state after x_0.
        double[][][] last = new double[batch][][];
        for (int b = 0; b < batch; b++)
        {
            double[] v = new double[directions * hidden];
            Array.Copy(x[b][length - 1], 0, v, 0, hidden);
            if (directions == 2) Array.Copy(x[b][0], hidden, v, hidden, hidden);
            last[b] = new[] { v };
        }
        return last;
    }

    /// <summary>One step of one cell: the new (h, c); c is unused except by the LSTM.</summary>
    private static (double[] H, double[] C) Cell(
        LayerKind kind, double[] x, double[] h, double[] c, double[] wih, double[] whh, double[] bih, double[] bhh, int hidden)
    {
        int gates = kind switch { LayerKind.Lstm => 4, LayerKind.Gru => 3, _ => 1 };
        double[] gi = Affine(wih, bih, x, gates * hidden); // W_ih x + b_ih
        double[] gh = Affine(whh, bhh, h, gates * hidden); // W_hh h + b_hh
        double[] hNew = new double[hidden], cNew = new double[hidden];
        for (int j = 0; j < hidden; j++)
        {
            switch (kind)
            {
                case LayerKind.RnnTanh:
                    hNew[j] = Math.Tanh(gi[j] + gh[j]);
                    break;
                case LayerKind.RnnRelu:
                    hNew[j] = Math.Max(0.0, gi[j] + gh[j]);
                    break;
                case LayerKind.Lstm:
                    double i = Sigmoid(gi[j] + gh[j]);
                    double f = Sigmoid(gi[hidden + j] + gh[hidden + j]);
                    double g = Math.Tanh(gi[2 * hidden + j] + gh[2 * hidden + j]);
                    double o = Sigmoid(gi[3 * hidden + j] + gh[3 * hidden + j]);
                    cNew[j] = f * c[j] + i * g;
                    hNew[j] = o * Math.Tanh(cNew[j]);
                    break;
                case LayerKind.Gru:
                    double r = Sigmoid(gi[j] + gh[j]);
                    double z = Sigmoid(gi[hidden + j] + gh[hidden + j]);
                    double n = Math.Tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
                    hNew[j] = (1 - z) * n + z * h[j];
                    break;
            }
        }
        return (hNew, cNew);
    }

    /// <summary><c>W x + b</c> with <c>W</c> of shape <c>[rows, x.Length]</c>, row-major; <c>b</c> may be null.</summary>
    private static double[] Affine(double[] w, double[]? b, double[] x, int rows)
    {
        int n = x.Length;
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = b is null ? 0.0 : b[r];
            for (int k = 0; k < n; k++) sum += w[r * n + k] * x[k];
            y[r] = sum;
        }
        return y;
    }

    private static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));
}
