using System.Text;
using Unroll;
using Unroll.Tests.Reference;
using Xunit;

namespace Unroll.Tests;

/// <summary>Central finite differences of a double-precision function of an array, element by element.</summary>
public static class FiniteDifference
{
    public const double Epsilon = 1e-6;

    /// <summary>∂loss/∂x[i] for every i, by (loss(x + ε e_i) − loss(x − ε e_i)) / 2ε; <paramref name="x"/> is perturbed in place and restored.</summary>
    public static double[] Gradient(double[] x, Func<double> loss, double epsilon = Epsilon)
    {
        double[] gradient = new double[x.Length];
        for (int i = 0; i < x.Length; i++) gradient[i] = Central(x, i, loss, epsilon);
        return gradient;
    }

    /// <summary>
    /// The same for the array <paramref name="key"/> of a point made of named arrays, spread over the cores:
    /// each worker perturbs its own copy of the whole point.
    /// </summary>
    public static double[] Gradient(
        IReadOnlyDictionary<string, double[]> point, string key, Func<IReadOnlyDictionary<string, double[]>, double> loss, double epsilon = Epsilon)
    {
        int n = point[key].Length;
        double[] gradient = new double[n];
        int workers = Math.Clamp(n / 32, 1, Environment.ProcessorCount);
        Parallel.For(0, workers, w =>
        {
            var local = point.ToDictionary(kv => kv.Key, kv => (double[])kv.Value.Clone());
            double[] x = local[key];
            for (int i = w; i < n; i += workers) gradient[i] = Central(x, i, () => loss(local), epsilon);
        });
        return gradient;
    }

    private static double Central(double[] x, int i, Func<double> loss, double epsilon)
    {
        double saved = x[i];
        x[i] = saved + epsilon;
        double plus = loss();
        x[i] = saved - epsilon;
        double minus = loss();
        x[i] = saved;
        return (plus - minus) / (2 * epsilon);
    }
}

/// <summary>
/// Every generated model at odd sizes (FiniteDifferenceModels.cs) against the double-precision
/// <see cref="TorchReference"/>: its Forward output and final states match the reference, and the
/// gradients its Backward writes (every parameter, every input element, every h_0/c_0 element)
/// match central finite differences of the reference for the loss
/// <c>L = Σ w ⊙ output + Σ v ⊙ h_n + Σ u ⊙ c_n</c> with fixed random w, v, u.
/// </summary>
public class FiniteDifferenceTests
{
    // ---------------------------------------------------------------- the models, behind one shape

    private delegate Span<float> View();

    /// <summary>The state views of one recurrent property (the cell views are null except for an LSTM).</summary>
    private sealed record States(string Name, View H0, View Hn, View DH0, View DHn, View? C0, View? Cn, View? DC0, View? DCn)
    {
        public static States Of(string name, IRecurrentLayer l) => l is LstmLayer lstm
            ? new(name, () => l.InitialHidden, () => l.FinalHidden, () => l.InitialHiddenGradient, () => l.FinalHiddenGradient,
                () => lstm.InitialCell, () => lstm.FinalCell, () => lstm.InitialCellGradient, () => lstm.FinalCellGradient)
            : new(name, () => l.InitialHidden, () => l.FinalHidden, () => l.InitialHiddenGradient, () => l.FinalHiddenGradient, null, null, null, null);
    }

    /// <summary>A generated model seen through delegates, with the layer list the reference runs.</summary>
    private sealed class Subject
    {
        public required LayerSpec[] Layers { get; init; }
        public required int BatchSize { get; init; }
        public required int SequenceLength { get; init; }
        public required int InputSize { get; init; }
        public required int OutputSize { get; init; }
        public required Func<NamedParameterCollection> Parameters { get; init; }
        public required Action ZeroGradients { get; init; }
        public Action<float[], float[], int>? Forward { get; init; }
        public Action<int[], float[], int>? ForwardTokens { get; init; }
        /// <summary>Backward(outputGradient, inputGradient); inputGradient is null for token models.</summary>
        public required Action<float[], float[]?> Backward { get; init; }
        public States[] States { get; init; } = [];

        public bool TakesTokens => Layers[0].Kind == LayerKind.Embedding;

        /// <summary>Output rows per sequence: every step, or one after a layer with ReturnSequences = false.</summary>
        public int OutputSteps(int length) => Layers.Any(l => l.IsRecurrent && !l.ReturnSequences) ? 1 : length;
    }

    private static Subject Create(string name, int seed)
    {
        switch (name)
        {
            case nameof(FdRnnTanhModel):
                var tanh = new FdRnnTanhModel(seed);
                return Make(tanh, [new("Rnn", LayerKind.RnnTanh, 7, 11)], States.Of("Rnn", tanh.Rnn));
            case nameof(FdRnnReluModel):
                var relu = new FdRnnReluModel(seed);
                return Make(relu, [new("Rnn", LayerKind.RnnRelu, 7, 33)], States.Of("Rnn", relu.Rnn));
            case nameof(FdLstmModel):
                var lstm = new FdLstmModel(seed);
                return Make(lstm, [new("Rnn", LayerKind.Lstm, 7, 17)], States.Of("Rnn", lstm.Rnn));
            case nameof(FdGruModel):
                var gru = new FdGruModel(seed);
                return Make(gru, [new("Rnn", LayerKind.Gru, 7, 17)], States.Of("Rnn", gru.Rnn));
            case nameof(FdLstmBidirectional2LayerModel):
                var deep = new FdLstmBidirectional2LayerModel(seed);
                return Make(deep, [new("Rnn", LayerKind.Lstm, 7, 9, NumLayers: 2, Bidirectional: true)], States.Of("Rnn", deep.Rnn));
            case nameof(FdGruBidirectionalLastModel):
                var last = new FdGruBidirectionalLastModel(seed);
                return Make(last, [new("Rnn", LayerKind.Gru, 7, 11, Bidirectional: true, ReturnSequences: false), new("Head", LayerKind.Linear, 22, 5)], States.Of("Rnn", last.Rnn));
            case nameof(FdEmbeddingGruModel):
                var tokens = new FdEmbeddingGruModel(seed);
                return Make(tokens, [new("Embed", LayerKind.Embedding, 13, 7), new("Rnn", LayerKind.Gru, 7, 11), new("Head", LayerKind.Linear, 11, 4)], States.Of("Rnn", tokens.Rnn));
            case nameof(FdLinearModel):
                return Make(new FdLinearModel(seed), [new("Head", LayerKind.Linear, 7, 3)]);
            case nameof(FdLstmLinearNoBiasModel):
                var noBias = new FdLstmLinearNoBiasModel(seed);
                return Make(noBias, [new("Rnn", LayerKind.Lstm, 7, 11), new("Head", LayerKind.Linear, 11, 6, Bias: false)], States.Of("Rnn", noBias.Rnn));
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }
    }

    /// <summary>Any compiled model, with the layer list the reference runs and its recurrent states.</summary>
    private static Subject Make(ISequenceModel model, LayerSpec[] layers, params States[] states) => new()
    {
        Layers = layers,
        BatchSize = model.BatchSize, SequenceLength = model.SequenceLength, InputSize = model.InputSize, OutputSize = model.OutputSize,
        Parameters = () => model.NamedParameters, ZeroGradients = model.ZeroGradients,
        Forward = model is IFeatureInputModel features ? (x, y, n) => features.Forward(x, y, n) : null,
        ForwardTokens = model is ISequenceModel<int> ids ? (x, y, n) => ids.Forward(x, y, n) : null,
        Backward = model is IFeatureInputModel differentiable ? (dy, dx) => differentiable.Backward(dy, dx) : (dy, _) => model.Backward(dy),
        States = states,
    };

    // ---------------------------------------------------------------- the tests

    public static TheoryData<string> AllModels => new()
    {
        nameof(FdRnnTanhModel), nameof(FdRnnReluModel), nameof(FdLstmModel), nameof(FdGruModel),
        nameof(FdLstmBidirectional2LayerModel), nameof(FdGruBidirectionalLastModel), nameof(FdEmbeddingGruModel),
        nameof(FdLinearModel), nameof(FdLstmLinearNoBiasModel),
    };

    [Theory]
    [MemberData(nameof(AllModels))]
    public void FullLength_ForwardMatchesReference_GradientsMatchFiniteDifferences(string model)
    {
        Subject s = Create(model, seed: 11);
        Check(s, s.SequenceLength, seed: 101);
    }

    /// <summary>Forward with length &lt; SequenceLength is the reference on the truncated input; so are the gradients.</summary>
    [Theory]
    [InlineData(nameof(FdLstmModel), 5)]
    [InlineData(nameof(FdLstmModel), 1)]
    [InlineData(nameof(FdGruModel), 4)]
    [InlineData(nameof(FdLstmBidirectional2LayerModel), 4)]
    [InlineData(nameof(FdGruBidirectionalLastModel), 6)]
    [InlineData(nameof(FdGruBidirectionalLastModel), 2)]
    [InlineData(nameof(FdEmbeddingGruModel), 3)]
    public void TruncatedLength_ForwardMatchesReference_GradientsMatchFiniteDifferences(string model, int length)
    {
        Subject s = Create(model, seed: 23);
        Assert.InRange(length, 1, s.SequenceLength - 1);
        Check(s, length, seed: 202 + length);
    }

    /// <summary>A long Forward, then a short one: the short one (and its Backward) must not see the long one's leftovers.</summary>
    [Theory]
    [InlineData(nameof(FdLstmBidirectional2LayerModel), 2)]
    [InlineData(nameof(FdGruBidirectionalLastModel), 4)]
    public void TruncatedLength_AfterFullLengthRun(string model, int length)
    {
        Subject s = Create(model, seed: 31);
        var random = new SeededRandom(7);
        float[] x = Normal(random, s.BatchSize * s.SequenceLength * s.InputSize, 1f);
        float[] y = new float[s.BatchSize * s.OutputSteps(s.SequenceLength) * s.OutputSize];
        s.Forward!(x, y, s.SequenceLength);
        s.Backward(Normal(random, y.Length, 1f), new float[x.Length]);
        s.ZeroGradients();
        Check(s, length, seed: 303);
    }

    // ---------------------------------------------------------------- the check

    private const double ForwardAbs = 1e-5, ForwardRel = 1e-4;
    private const double GradientAbs = 1e-4, GradientRel = 1e-3;

    private static float[] Normal(SeededRandom random, int count, float scale)
    {
        float[] v = new float[count];
        random.FillNormal(v);
        for (int i = 0; i < count; i++) v[i] *= scale;
        return v;
    }

    private static double[] Wide(ReadOnlySpan<float> v)
    {
        double[] r = new double[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = v[i];
        return r;
    }

    private static double Dot(float[] w, double[] v)
    {
        Assert.Equal(w.Length, v.Length);
        double sum = 0;
        for (int i = 0; i < v.Length; i++) sum += w[i] * v[i];
        return sum;
    }

    private static void Check(Subject s, int length, int seed)
    {
        var random = new SeededRandom((ulong)seed);
        int batch = s.BatchSize;
        var failures = new Failures();

        // The model's parameters are PyTorch's state dict, in order, with PyTorch's shapes.
        Assert.Equal(
            s.Layers.SelectMany(l => l.Parameters()).Select(p => $"{p.Name} [{string.Join(", ", p.Shape)}]"),
            s.Parameters().Select(p => $"{p.Name} [{string.Join(", ", p.Shape.ToArray())}]"));

        // Random input, initial states and loss weights, all float32 (the reference sees them widened).
        float[]? x = null;
        int[]? tokens = null;
        if (s.TakesTokens)
        {
            tokens = new int[batch * length];
            for (int i = 0; i < tokens.Length; i++) tokens[i] = (int)(random.NextUInt32() % (uint)s.Layers[0].InputSize);
        }
        else
        {
            x = Normal(random, batch * length * s.InputSize, 1f);
        }
        int outputCount = batch * s.OutputSteps(length) * s.OutputSize;
        float[] w = Normal(random, outputCount, 1f);
        var v = new Dictionary<string, float[]>();
        var u = new Dictionary<string, float[]>();
        foreach (States st in s.States)
        {
            Normal(random, st.H0().Length, 0.5f).CopyTo(st.H0());
            v[st.Name] = Normal(random, st.Hn().Length, 1f);
            v[st.Name].CopyTo(st.DHn());
            if (st.C0 is not null)
            {
                Normal(random, st.C0().Length, 0.5f).CopyTo(st.C0());
                u[st.Name] = Normal(random, st.Cn!().Length, 1f);
                u[st.Name].CopyTo(st.DCn!());
            }
        }

        // The model: Forward, then Backward with ∂L/∂output = w, ∂L/∂h_n = v, ∂L/∂c_n = u.
        float[] y = new float[outputCount];
        float[]? dx = x is null ? null : new float[x.Length];
        s.ZeroGradients();
        if (tokens is not null) s.ForwardTokens!(tokens, y, length);
        else s.Forward!(x!, y, length);
        var modelHn = s.States.ToDictionary(st => st.Name, st => st.Hn().ToArray());
        var modelCn = s.States.Where(st => st.Cn is not null).ToDictionary(st => st.Name, st => st.Cn!().ToArray());
        s.Backward(w, dx);

        // The reference at the model's (float32) point, in double: every array the loss depends on, by
        // label (parameters by state-dict name, "input", "Rnn h_0", "Rnn c_0").
        var point = new Dictionary<string, double[]>();
        foreach (NamedParameter p in s.Parameters()) point[p.Name] = Wide(p.Values);
        if (x is not null) point["input"] = Wide(x);
        foreach (States st in s.States)
        {
            point[$"{st.Name} h_0"] = Wide(st.H0());
            if (st.C0 is not null) point[$"{st.Name} c_0"] = Wide(st.C0());
        }
        ReferenceResult Run(IReadOnlyDictionary<string, double[]> at) => TorchReference.Run(
            s.Layers, at, at.GetValueOrDefault("input"), tokens, batch, length,
            s.States.ToDictionary(st => st.Name, st => at[$"{st.Name} h_0"]),
            s.States.Where(st => st.C0 is not null).ToDictionary(st => st.Name, st => at[$"{st.Name} c_0"]));

        // Forward: output and final states.
        ReferenceResult r = Run(point);
        failures.Compare("output", Wide(y), r.Output, ForwardAbs, ForwardRel);
        foreach (States st in s.States)
        {
            failures.Compare($"{st.Name} h_n", Wide(modelHn[st.Name]), r.FinalHidden[st.Name], ForwardAbs, ForwardRel);
            if (st.Cn is not null) failures.Compare($"{st.Name} c_n", Wide(modelCn[st.Name]), r.FinalCell[st.Name], ForwardAbs, ForwardRel);
        }

        // Backward: every gradient against central differences of the reference's loss.
        double Loss(IReadOnlyDictionary<string, double[]> at)
        {
            ReferenceResult rr = Run(at);
            double loss = Dot(w, rr.Output);
            foreach ((string name, float[] weights) in v) loss += Dot(weights, rr.FinalHidden[name]);
            foreach ((string name, float[] weights) in u) loss += Dot(weights, rr.FinalCell[name]);
            return loss;
        }

        foreach (NamedParameter p in s.Parameters())
            failures.Compare($"∂{p.Name}", Wide(p.Gradients), FiniteDifference.Gradient(point, p.Name, Loss), GradientAbs, GradientRel);
        if (x is not null)
            failures.Compare("∂input", Wide(dx!), FiniteDifference.Gradient(point, "input", Loss), GradientAbs, GradientRel);
        foreach (States st in s.States)
        {
            failures.Compare($"∂{st.Name} h_0", Wide(st.DH0()), FiniteDifference.Gradient(point, $"{st.Name} h_0", Loss), GradientAbs, GradientRel);
            if (st.C0 is not null)
                failures.Compare($"∂{st.Name} c_0", Wide(st.DC0!()), FiniteDifference.Gradient(point, $"{st.Name} c_0", Loss), GradientAbs, GradientRel);
        }

        failures.AssertNone($"length {length}");
    }

    /// <summary>Collects every element out of tolerance, so a failure names all the tensors that differ and how.</summary>
    private sealed class Failures
    {
        private readonly StringBuilder _report = new();
        private int _tensors;

        public void Compare(string what, double[] actual, double[] expected, double abs, double rel)
        {
            Assert.True(actual.Length == expected.Length, $"{what}: {actual.Length} values, the reference has {expected.Length}");
            var bad = new List<int>();
            double worst = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                double diff = Math.Abs(actual[i] - expected[i]);
                if (!(diff <= abs + rel * Math.Abs(expected[i]))) bad.Add(i);
                if (!(diff <= worst)) worst = diff;
            }
            if (bad.Count == 0) return;
            _tensors++;
            _report.AppendLine($"{what}: {bad.Count} of {actual.Length} elements differ (max |diff| {worst:E3}); first:");
            foreach (int i in bad.Take(6))
                _report.AppendLine($"    [{i}] model {actual[i]:G9}, reference {expected[i]:G9}");
        }

        public void AssertNone(string context)
        {
            if (_tensors > 0) Assert.Fail($"{context}: {_tensors} tensor(s) differ from the reference\n{_report}");
        }
    }
}
