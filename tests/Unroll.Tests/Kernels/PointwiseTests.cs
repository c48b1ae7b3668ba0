using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// The <see cref="ActivationAttribute"/> layer's kernels (<see cref="Pointwise"/>) against PyTorch (Kernels/Fixtures/pointwise.json,
/// written by make_pointwise_fixtures.py: nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU both forms, nn.SiLU and nn.LeakyReLU,
/// forward and autograd, in float32 and float64), against double-precision formulas at every length 0 to 257 (every
/// vector tail of every width, guard values after the end, in place), against finite differences, with NaN and
/// infinities, erf on its own at every width, argument checks and allocations. CI runs the class again with AVX-512,
/// AVX2, all intrinsics, and SSE4.2 with AVX switched off (its name matches the <c>KernelSweep</c> filter).
/// </summary>
/// <remarks>
/// Tolerances: ReLU and LeakyReLU are compared bit for bit. The others, against an exact reference r (double formulas
/// or PyTorch's float64), within <see cref="Absolute"/> + <see cref="Relative"/>·|r| forward and, backward, where the
/// error scales with the upstream gradient, within <see cref="Absolute"/>·|∂y| + <see cref="Relative"/>·|r|; tanh's backward
/// from the kernel's own forward output within <see cref="TanhOwnOutput"/>·|∂y| instead (1 − y² inherits the
/// 2·10⁻⁷ absolute error of y twice). Against PyTorch's float32 results the same bound plus PyTorch's own error there,
/// its distance from its float64 result (its vectorised GELU is up to 3.5·10⁻⁷ from the exact value on [−4, 4], its
/// erf being a coarser approximation; its 1 + tanh and 1 − tanh² cancel in the tails, up to 10⁻⁶ in the tanh-GELU
/// gradient near x = −5).
/// </remarks>
public class PointwiseKernelSweepTests
{
    /// <summary>Float32 results of functions within a few ulp or 2·10⁻⁷ absolute (tanh, 1 + erf near −1) of the exact value.</summary>
    private const double Absolute = 2e-7, Relative = 2e-6;

    /// <summary>tanh' = 1 − y² from the kernel's y, which is within 2·10⁻⁷ of tanh(x): up to 2·|y|·2·10⁻⁷ + rounding.</summary>
    private const double TanhOwnOutput = 5e-7;

    /// <summary>The activations under test, named as the fixture's cases.</summary>
    public sealed record Activation(string Name, ActivationFunction Function, GeluApproximation Approximate, float Slope)
    {
        /// <summary>ReLU and LeakyReLU: selects and one float multiply, so PyTorch's bits.</summary>
        public bool Exact => Function is ActivationFunction.Relu or ActivationFunction.LeakyRelu;

        public void Forward(ReadOnlySpan<float> x, Span<float> y) => Pointwise.Activate(x, y, Function, Approximate, Slope);

        public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            Pointwise.ActivateBackward(x, y, dy, dx, Function, Approximate, Slope);

        public override string ToString() => Name;
    }

    private static readonly Activation[] All =
    [
        new("relu", ActivationFunction.Relu, GeluApproximation.None, 0f),
        new("tanh", ActivationFunction.Tanh, GeluApproximation.None, 0f),
        new("sigmoid", ActivationFunction.Sigmoid, GeluApproximation.None, 0f),
        new("gelu", ActivationFunction.Gelu, GeluApproximation.None, 0f),
        new("gelu_tanh", ActivationFunction.Gelu, GeluApproximation.Tanh, 0f),
        new("silu", ActivationFunction.Silu, GeluApproximation.None, 0f),
        new("leaky_relu_0.01", ActivationFunction.LeakyRelu, GeluApproximation.None, 0.01f),
        new("leaky_relu_0.2", ActivationFunction.LeakyRelu, GeluApproximation.None, 0.2f),
    ];

    private static Activation Named(string name) => All.Single(a => a.Name == name);

    public static TheoryData<string> Names => new(All.Select(a => a.Name));

    /// <summary>Every length 0 to 257: each tail of the 16-, 8- and 4-wide vectors, several times over.</summary>
    public static TheoryData<int> Lengths => new(Enumerable.Range(0, 258));

    // ---- PyTorch -------------------------------------------------------------------------------------------------------

    private static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Kernels", "Fixtures", "pointwise.json");
        using var stream = File.OpenRead(path);
        return JsonDocument.Parse(stream).RootElement.Clone();
    });

    private static JsonElement Case(string name) =>
        Fixture.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>A value of the fixture: a number, or "NaN", "Infinity" or "-Infinity".</summary>
    private static double Number(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble();

    private static float[] Floats(JsonElement e, string property) => e.GetProperty(property).EnumerateArray().Select(v => (float)Number(v)).ToArray();

    private static double[] Doubles(JsonElement e, string property) => e.GetProperty(property).EnumerateArray().Select(Number).ToArray();

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_matches_pytorch(string name)
    {
        Activation a = Named(name);
        JsonElement c = Case(name);
        float[] x = Floats(Fixture.Value, "x"), expected = Floats(c, "y");
        double[] precise = Doubles(c, "y_double");
        var y = new float[x.Length];
        a.Forward(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            if (a.Exact)
            {
                Same(expected[i], y[i], $"{name}({x[i]:R})");
                continue;
            }
            double torchError = Math.Abs(expected[i] - precise[i]);
            Near(expected[i], y[i], Absolute + torchError, Relative, $"{name}({x[i]:R}) against PyTorch's float32");
            Near(precise[i], y[i], Absolute, Relative, $"{name}({x[i]:R}) against PyTorch's float64");
            // The double formulas the sweeps below use agree with PyTorch's float64 (whose 1 + erf and 1 + tanh cancel in the far tails).
            Near(precise[i], Reference.Forward(a, x[i]), 1e-12, 1e-9, $"reference {name}({x[i]:R})");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_matches_pytorch_autograd(string name)
    {
        Activation a = Named(name);
        JsonElement c = Case(name);
        float[] x = Floats(Fixture.Value, "x"), dy = Floats(Fixture.Value, "dy"), torchY = Floats(c, "y"), expected = Floats(c, "dx");
        double[] precise = Doubles(c, "dx_double");
        var own = new float[x.Length];
        a.Forward(x, own);
        // From PyTorch's forward output (what its backward reads), then from the kernel's own.
        float[] fromTorch = new float[x.Length], fromOwn = new float[x.Length];
        a.Backward(x, torchY, dy, fromTorch);
        a.Backward(x, own, dy, fromOwn);
        for (int i = 0; i < x.Length; i++)
        {
            string what = $"{name}'({x[i]:R})·{dy[i]:R}";
            if (a.Exact)
            {
                Same(expected[i], fromTorch[i], what);
                Same(expected[i], fromOwn[i], what);
                continue;
            }
            double g = Math.Abs(dy[i]), ownAbsolute = a.Function == ActivationFunction.Tanh ? TanhOwnOutput : Absolute;
            // PyTorch's float32 tanh-GELU gradient is NaN once x² overflows (|x| > 1.8·10¹⁹: 0·∞); the kernel's is ∂y, as float64's.
            if (!(float.IsNaN(expected[i]) && float.IsFinite(x[i])))
                Near(expected[i], fromTorch[i], Absolute * g + Math.Abs(expected[i] - precise[i]), Relative, $"{what} against PyTorch's float32");
            Near(precise[i], fromTorch[i], Absolute * g, Relative, $"{what} (PyTorch's y) against PyTorch's float64");
            Near(precise[i], fromOwn[i], ownAbsolute * g, Relative, $"{what} (own y) against PyTorch's float64");
            Near(precise[i], dy[i] * Reference.Derivative(a, x[i]), 1e-12, 1e-9, $"reference {what}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NaN_and_infinities_give_pytorchs_values_in_every_lane(string name)
    {
        // PyTorch's results for NaN, +∞ and −∞ (sigmoid(−∞) = 0, GELU(−∞) = NaN, SiLU(+∞) = +∞, NaN gradients where ∞·0 …),
        // each placed in turn at every position of 37 values (every lane of each width and the tail) among finite ones.
        Activation a = Named(name);
        JsonElement c = Case(name);
        float[] special = Floats(Fixture.Value, "special_x"), specialDy = Floats(Fixture.Value, "special_dy");
        float[] specialY = Floats(c, "special_y"), specialDx = Floats(c, "special_dx");
        Assert.True(float.IsNaN(specialY[0]), "PyTorch's f(NaN) is NaN");
        const int N = 37;
        float[] background = Uniform(N, 4f, 71);
        for (int k = 0; k < special.Length; k++)
        {
            for (int at = 0; at < N; at++)
            {
                float[] x = (float[])background.Clone(), dy = Uniform(N, 1f, 72), y = new float[N], dx = new float[N];
                x[at] = special[k];
                dy[at] = specialDy[k];
                a.Forward(x, y);
                a.Backward(x, y, dy, dx);
                Same(specialY[k], y[at], $"{name}({special[k]}) at {at} of {N}");
                Same(specialDx[k], dx[at], $"{name}'({special[k]})·{specialDy[k]} at {at} of {N}");
                for (int i = 0; i < N; i++)
                {
                    if (i != at) Assert.False(float.IsNaN(y[i]) || float.IsNaN(dx[i]), $"{name}: a NaN at {i} from {special[k]} at {at}");
                }
            }
        }
    }

    // ---- Every length against double precision -----------------------------------------------------------------------

    /// <summary>Guard values after the end, which must be left as they are.</summary>
    private const int Guard = 5;

    private const float Sentinel = -12345.678f;

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Forward_matches_double_precision_at_every_length(int n)
    {
        foreach (Activation a in All)
        {
            // Inputs in [−8, 8] (both tails of GELU and σ), read from one float in (x[0] is not the start of the array).
            float[] source = Uniform(n + 1, 8f, (ulong)(1000 + n));
            ReadOnlySpan<float> x = source.AsSpan(1, n);
            float[] y = Filled(n + Guard, Sentinel);
            a.Forward(x, y);
            for (int i = 0; i < n; i++)
            {
                if (a.Exact) Same(Reference.ExactForward(a, x[i]), y[i], $"{a}({x[i]:R}) at {i} of {n}");
                else Near(Reference.Forward(a, x[i]), y[i], Absolute, Relative, $"{a}({x[i]:R}) at {i} of {n}");
            }
            for (int i = n; i < n + Guard; i++) Assert.Equal(Sentinel, y[i]);

            // In place: y = x, the same bits.
            float[] inPlace = Filled(n + Guard, Sentinel);
            x.CopyTo(inPlace);
            a.Forward(inPlace.AsSpan(0, n), inPlace);
            Assert.Equal(y, inPlace);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Backward_matches_double_precision_at_every_length(int n)
    {
        foreach (Activation a in All)
        {
            float[] x = Uniform(n, 8f, (ulong)(2000 + n)), dy = Uniform(n, 1f, (ulong)(3000 + n));
            // y as the exact forward rounded to float: the backward kernel's own error only.
            float[] y = x.Select(v => a.Exact ? Reference.ExactForward(a, v) : (float)Reference.Forward(a, v)).ToArray();
            float[] dx = Filled(n + Guard, Sentinel);
            a.Backward(x, y, dy, dx);
            for (int i = 0; i < n; i++)
            {
                string what = $"{a}'({x[i]:R})·{dy[i]:R} at {i} of {n}";
                if (a.Exact) Same(Reference.ExactBackward(a, x[i], y[i], dy[i]), dx[i], what);
                else Near(dy[i] * Reference.Derivative(a, x[i]), dx[i], Absolute * Math.Abs(dy[i]), Relative, what);
            }
            for (int i = n; i < n + Guard; i++) Assert.Equal(Sentinel, dx[i]);

            // In place: the input gradient written over the output gradient, the same bits.
            float[] inPlace = Filled(n + Guard, Sentinel);
            dy.CopyTo(inPlace, 0);
            a.Backward(x, y, inPlace.AsSpan(0, n), inPlace);
            Assert.Equal(dx, inPlace);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_matches_finite_differences_of_the_forward(string name)
    {
        // f'(x) by a five-point stencil on the double-precision forward (its error ~h⁴, far below float's), at points
        // over [−9, 9] away from ReLU's and LeakyReLU's kink; y from the kernel's own forward, as in training.
        Activation a = Named(name);
        float[] x = Uniform(500, 9f, 404).Where(v => !a.Exact || Math.Abs(v) > 1e-2).ToArray();
        float[] y = new float[x.Length], dy = Filled(x.Length, 1f), dx = new float[x.Length];
        a.Forward(x, y);
        a.Backward(x, y, dy, dx);
        for (int i = 0; i < x.Length; i++)
        {
            double h = 1e-3 * Math.Max(1, Math.Abs(x[i]));
            double f(double v) => Reference.Forward(a, v);
            double central = (f(x[i] - 2 * h) - 8 * f(x[i] - h) + 8 * f(x[i] + h) - f(x[i] + 2 * h)) / (12 * h);
            double absolute = a.Function == ActivationFunction.Tanh ? TanhOwnOutput : Absolute;
            Near(central, dx[i], absolute, Relative, $"{name}'({x[i]:R}) against finite differences");
        }
    }

    // ---- erf -----------------------------------------------------------------------------------------------------------

    [Fact]
    public void Erf_is_within_1_1_ulp_at_every_width()
    {
        // Every multiple of 2⁻¹⁴ in [−6, 6] and ±10^−k down to denormals, against the double erf below. Measured: 0.99 ulp
        // where multiply-adds fuse, 1.11 ulp on x86-64 without FMA (two roundings); 6.6·10⁻⁸ absolute.
        float[] inputs = Enumerable.Range(-6 << 14, (12 << 14) + 1).Select(i => i / 16384f)
            .Concat(Enumerable.Range(1, 44).SelectMany(k => new[] { MathF.Pow(10, -k), -MathF.Pow(10, -k), 3.3f * MathF.Pow(10, -k) }))
            .Concat([0f, -0f, 3.92f, 3.93f, 4f, 4.01f, 10f, 1e30f, float.MaxValue, -float.MaxValue])
            .ToArray();
        foreach (var (width, values) in ErfAtEveryWidth(inputs))
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                double exact = Reference.Erf(inputs[i]);
                double ulp = Math.Max(double.Epsilon, Math.Abs(MathF.BitIncrement((float)Math.Abs(exact)) - (float)Math.Abs(exact)));
                Assert.True(Math.Abs(values[i] - exact) <= 1.12 * ulp, $"erf({inputs[i]:R}) = {values[i]:R} at width {width}, expected {exact:R}");
            }
        }
        foreach (var (width, values) in ErfAtEveryWidth([float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3.93f, -3.93f, 0f, -0f]))
        {
            Assert.True(float.IsNaN(values[0]), width);
            Assert.Equal(new[] { 1f, -1f, 1f, -1f }, values[1..5]);
            Assert.Equal(BitConverter.SingleToInt32Bits(0f), BitConverter.SingleToInt32Bits(values[5]));
            Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(values[6]));
        }
    }

    private static IEnumerable<(string Width, float[] Values)> ErfAtEveryWidth(float[] inputs)
    {
        if (Vector512.IsHardwareAccelerated) yield return ("512", Apply<Vector512<float>, W512>(inputs));
        if (Vector256.IsHardwareAccelerated) yield return ("256", Apply<Vector256<float>, W256>(inputs));
        if (Vector128.IsHardwareAccelerated) yield return ("128", Apply<Vector128<float>, W128>(inputs));
        yield return ("1", Apply<float, W1>(inputs));
    }

    private static float[] Apply<TVector, TWidth>(float[] inputs) where TVector : struct where TWidth : IWidth<TVector>
    {
        int W = TWidth.Count;
        var padded = new float[(inputs.Length + W - 1) / W * W];
        inputs.CopyTo(padded, 0);
        var result = new float[padded.Length];
        for (int i = 0; i < padded.Length; i += W)
            TWidth.Store(Pointwise.Erf<TVector, TWidth>(TWidth.Load(ref padded[i], 0)), ref result[i], 0);
        return result.AsSpan(0, inputs.Length).ToArray();
    }

    // ---- Arguments and allocations -------------------------------------------------------------------------------------

    [Fact]
    public void Short_spans_and_unknown_functions_are_rejected()
    {
        float[] four = new float[4], three = new float[3];
        const ActivationFunction Tanh = ActivationFunction.Tanh;
        const GeluApproximation None = GeluApproximation.None;
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Pointwise.Activate(four, three, ActivationFunction.Relu, None, 0f)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Pointwise.ActivateBackward(three, four, four, four, Tanh, None, 0f)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Pointwise.ActivateBackward(four, three, four, four, Tanh, None, 0f)).ParamName);
        Assert.Equal("inputGradient", Assert.Throws<ArgumentException>(() => Pointwise.ActivateBackward(four, four, four, three, Tanh, None, 0f)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pointwise.Activate(four, four, (ActivationFunction)99, None, 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pointwise.Activate(four, four, ActivationFunction.Gelu, (GeluApproximation)7, 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pointwise.ActivateBackward(four, four, four, four, (ActivationFunction)99, None, 0f));
        // Longer spans are fine: only the first x.Length (forward) or outputGradient.Length (backward) values are touched.
        Pointwise.Activate(three, four, ActivationFunction.Sigmoid, (GeluApproximation)7, 0f); // approximate is read by GELU only
        Pointwise.ActivateBackward(four, four, three, four, ActivationFunction.Silu, None, 0f);
    }

    [Fact]
    public void The_kernels_allocate_nothing()
    {
        float[] x = Uniform(1000, 5f, 9), y = new float[1000], dy = Uniform(1000, 1f, 10), dx = new float[1000];
        foreach (Activation a in All)
        {
            a.Forward(x, y);
            a.Backward(x, y, dy, dx);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (Activation a in All)
        {
            a.Forward(x, y);
            a.Backward(x, y, dy, dx);
            a.Backward(x, y, dx, dx);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------------

    private static float[] Uniform(int n, float scale, ulong seed)
    {
        var values = new float[n];
        if (n > 0) new SeededRandom(seed).FillUniform(values, -scale, scale);
        return values;
    }

    private static float[] Filled(int n, float value)
    {
        var values = new float[n];
        Array.Fill(values, value);
        return values;
    }

    /// <summary>|actual − expected| ≤ absolute + relative·|expected|, both NaN, or both the same infinity.</summary>
    private static void Near(double expected, double actual, double absolute, double relative, string what)
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.True(expected.Equals(actual), $"{what} = {actual:R}, expected {expected:R}");
            return;
        }
        double difference = Math.Abs(actual - expected);
        Assert.True(difference <= absolute + relative * Math.Abs(expected), $"{what} = {actual:R}, expected {expected:R} (|difference| {difference:E2})");
    }

    /// <summary>The same bits (any NaN for a NaN).</summary>
    private static void Same(float expected, float actual, string what) =>
        Assert.True(float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
            $"{what} = {actual:R}, expected {expected:R}");

    /// <summary>The activations and their derivatives in double precision, and ReLU's and LeakyReLU's exact float results.</summary>
    private static class Reference
    {
        private const double Beta = 0.79788456080286535588, Kappa = 0.044715;

        /// <summary>ReLU (−0 kept, as torch.relu) and LeakyReLU (x > 0 ? x : x·slope in float), PyTorch's bits.</summary>
        public static float ExactForward(Activation a, float x) =>
            a.Function == ActivationFunction.Relu ? (x < 0 ? 0f : x) : (x > 0 ? x : x * a.Slope);

        /// <summary>ReLU's threshold_backward from y, LeakyReLU's x > 0 ? ∂y : ∂y·slope.</summary>
        public static float ExactBackward(Activation a, float x, float y, float dy) =>
            a.Function == ActivationFunction.Relu ? (y <= 0 ? 0f : dy) : (x > 0 ? dy : dy * a.Slope);

        private static double Logistic(double z) => 1 / (1 + Math.Exp(-z));

        public static double Forward(Activation a, double x) => a.Function switch
        {
            ActivationFunction.Relu or ActivationFunction.LeakyRelu => x > 0 ? x : x * (a.Function == ActivationFunction.Relu ? 0 : a.Slope),
            ActivationFunction.Tanh => Math.Tanh(x),
            ActivationFunction.Sigmoid => Logistic(x),
            ActivationFunction.Gelu when a.Approximate == GeluApproximation.None => 0.5 * x * Erfc(-x / Math.Sqrt(2)),
            ActivationFunction.Gelu => x * Logistic(2 * Beta * (x + Kappa * x * x * x)), // x/2·(1 + tanh(u)) = x·σ(2u)
            ActivationFunction.Silu => x * Logistic(x),
            _ => throw new ArgumentOutOfRangeException(nameof(a)),
        };

        public static double Derivative(Activation a, double x)
        {
            switch (a.Function)
            {
                case ActivationFunction.Relu: return x > 0 ? 1 : 0;
                case ActivationFunction.LeakyRelu: return x > 0 ? 1 : a.Slope;
                case ActivationFunction.Tanh: { double t = Math.Tanh(x); return 1 - t * t; }
                case ActivationFunction.Sigmoid: return Logistic(x) * Logistic(-x);
                case ActivationFunction.Gelu when a.Approximate == GeluApproximation.None:
                    return 0.5 * Erfc(-x / Math.Sqrt(2)) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
                case ActivationFunction.Gelu:
                    {
                        // ½(1 + tanh u) + ½x(1 − tanh² u)·β(1 + 3κx²), with ½(1 + tanh u) = σ(2u) and 1 − tanh² u = 4σ(2u)σ(−2u).
                        double u = 2 * Beta * (x + Kappa * x * x * x), s = Logistic(u);
                        return s + 2 * x * s * Logistic(-u) * Beta * (1 + 3 * Kappa * x * x);
                    }
                case ActivationFunction.Silu: { double s = Logistic(x); return s * (1 + x * Logistic(-x)); }
                default: throw new ArgumentOutOfRangeException(nameof(a));
            }
        }

        /// <summary>
        /// erf in double: below 3 the series 2/√π·e^(−x²)·Σ (2x²)ⁿ·x/(1·3·…·(2n+1)), whose terms are all positive;
        /// above it 1 − erfc. Within a few units of 10⁻¹⁶ (checked against mpmath).
        /// </summary>
        public static double Erf(double x)
        {
            if (double.IsNaN(x)) return x;
            if (Math.Abs(x) >= 3) return Math.CopySign(1 - ErfcContinuedFraction(Math.Abs(x)), x);
            double twoSquare = 2 * x * x, term = x, sum = x;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-18 * Math.Abs(sum); n++)
            {
                term *= twoSquare / (2 * n + 1);
                sum += term;
            }
            return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
        }

        /// <summary>erfc in double, with its relative precision in the upper tail (the continued fraction from 3 on).</summary>
        public static double Erfc(double x) =>
            double.IsNaN(x) ? x : x >= 3 ? ErfcContinuedFraction(x) : x <= -3 ? 2 - ErfcContinuedFraction(-x) : 1 - Erf(x);

        /// <summary>erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))), x ≥ 3, evaluated from 120 terms back.</summary>
        private static double ErfcContinuedFraction(double x)
        {
            if (double.IsPositiveInfinity(x)) return 0;
            double f = x;
            for (int k = 120; k >= 1; k--) f = x + k / 2.0 / f;
            return Math.Exp(-x * x) / (Math.Sqrt(Math.PI) * f);
        }
    }
}
