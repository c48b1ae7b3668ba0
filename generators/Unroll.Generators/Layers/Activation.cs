using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>An activation layer's function (the values of <c>Unroll.ActivationFunction</c>; an attribute may hold another int, which the handler reports).</summary>
internal enum ActivationFunction
{
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
    Silu,
    LeakyRelu,
}

/// <summary>GELU's form (the values of <c>Unroll.GeluApproximation</c>).</summary>
internal enum GeluApproximation
{
    None,
    Tanh,
}

/// <summary><c>[Activation(function, NegativeSlope, Approximate)]</c> as written (<see cref="NegativeSlope"/> null when not written).</summary>
internal sealed record ActivationSpec(ActivationFunction Function, GeluApproximation Approximate, double? NegativeSlope) : LayerSpec
{
    public override string Kind => "Activation";
}

/// <summary>An activation layer's plan: the function, GELU's form and LeakyReLU's slope (its width is <see cref="LayerPlan.Out"/>).</summary>
internal sealed record ActivationPlan(ActivationFunction Function, GeluApproximation Approximate, double NegativeSlope) : LayerPlan
{
    public override string Kind => "Activation";
}

/// <summary>
/// <c>[Activation(ActivationFunction.Relu | Tanh | Sigmoid | Gelu | Silu | LeakyRelu)]</c> as <c>nn.ReLU</c>, <c>nn.Tanh</c>,
/// <c>nn.Sigmoid</c>, <c>nn.GELU</c>, <c>nn.SiLU</c>, <c>nn.LeakyReLU</c>: every value of every step through the function
/// (<c>Unroll.Kernels.Pointwise</c>), no parameters, the width of the layer before it. It streams as it runs a sequence.
/// </summary>
internal sealed class ActivationHandler : LayerHandler<ActivationSpec, ActivationPlan>
{
    /// <summary>PyTorch's <c>negative_slope</c> default.</summary>
    private const double DefaultSlope = 0.01;

    public override string Kind => "Activation";

    public override bool PassesWidthOn => true;

    /// <summary>One argument, the function; <c>NegativeSlope</c> and <c>Approximate</c> named.</summary>
    protected override ActivationSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Single<int>() is { } function
            ? new ActivationSpec((ActivationFunction)function, (GeluApproximation)arguments.Named("Approximate", 0), arguments.Named<double?>("NegativeSlope", null))
            : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(ActivationSpec layer) => Array.Empty<(string, int)>();

    protected override int? InputWidth(ActivationSpec layer) => null;

    protected override int OutputWidth(ActivationSpec layer, int inputWidth) => inputWidth;

    /// <summary>The enums' values, and each option only with the function it belongs to.</summary>
    protected override void CheckOptions(ActivationSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (layer.Function is < ActivationFunction.Relu or > ActivationFunction.LeakyRelu)
            Invalid(layer, "function", (int)layer.Function, "an ActivationFunction value (Relu, Tanh, Sigmoid, Gelu, Silu or LeakyRelu)", diagnostics);
        if (layer.Approximate is not (GeluApproximation.None or GeluApproximation.Tanh))
            Invalid(layer, "Approximate", (int)layer.Approximate, "GeluApproximation.None or GeluApproximation.Tanh", diagnostics);
        else if (layer.Approximate != GeluApproximation.None && layer.Function != ActivationFunction.Gelu)
            Invalid(layer, "Approximate", $"GeluApproximation.{layer.Approximate}", "GeluApproximation.None: it applies only to ActivationFunction.Gelu", diagnostics);
        if (layer.NegativeSlope is { } slope && layer.Function != ActivationFunction.LeakyRelu)
            Invalid(layer, "NegativeSlope", F(slope), "not set: it applies only to ActivationFunction.LeakyRelu", diagnostics);
        else if (layer.NegativeSlope is { } finite && (double.IsNaN(finite) || double.IsInfinity(finite) || Math.Abs(finite) > float.MaxValue))
            Invalid(layer, "NegativeSlope", finite.ToString("R", CultureInfo.InvariantCulture), "a finite float", diagnostics);
    }

    protected override ActivationPlan Plan(ActivationSpec layer) => new(layer.Function, layer.Approximate, layer.NegativeSlope ?? DefaultSlope);

    protected override string Describe(ActivationPlan layer) => layer.Function switch
    {
        ActivationFunction.Relu => "ReLU",
        ActivationFunction.Tanh => "Tanh",
        ActivationFunction.Sigmoid => "Sigmoid",
        ActivationFunction.Gelu => layer.Approximate == GeluApproximation.Tanh ? "GELU(approximate = tanh)" : "GELU",
        ActivationFunction.Silu => "SiLU",
        ActivationFunction.LeakyRelu => $"LeakyReLU({layer.NegativeSlope.ToString("R", CultureInfo.InvariantCulture)})",
        _ => throw new ArgumentOutOfRangeException(nameof(layer), layer.Function, "Not an activation function."),
    };

    protected override string ViewArguments(ModelPlan plan, ActivationPlan layer, int index) => $"{Arguments(layer)}, {layer.Out}";

    protected override void WriteForward(LayerPass pass, ActivationPlan layer)
    {
        var (w, _, _, buffers) = pass;
        string count = $"{pass.Rows} * {layer.Out}";
        w.Line($"// {layer.Property}: {Describe(layer)} of every value");
        w.Line($"global::Unroll.Kernels.Pointwise.Activate(a.Slice(Layout.{pass.Input}, {count}), a.Slice(Layout.{buffers.Output}, {count}), {Arguments(layer)});");
    }

    protected override void WriteBackward(LayerPass pass, ActivationPlan layer)
    {
        var (w, _, _, buffers) = pass;
        if (pass.InputGradient is not { } inputGradient) return;
        string count = $"{pass.Rows} * {layer.Out}";
        w.Line($"// {layer.Property}: ∂x = ∂y ⊙ {Describe(layer)}′(x)");
        w.Line($"{pass.Guard}global::Unroll.Kernels.Pointwise.ActivateBackward(a.Slice(Layout.{pass.Input}, {count}), a.Slice(Layout.{buffers.Output}, {count}), "
             + $"a.Slice(Layout.{buffers.OutputGradient}, {count}), a.Slice(Layout.{inputGradient}, {count}), {Arguments(layer)});");
    }

    /// <summary>The function, GELU's form and the slope, as the kernels and the view take them.</summary>
    private static string Arguments(ActivationPlan layer) =>
        $"global::Unroll.ActivationFunction.{layer.Function}, global::Unroll.GeluApproximation.{layer.Approximate}, {F(layer.NegativeSlope)}";
}
