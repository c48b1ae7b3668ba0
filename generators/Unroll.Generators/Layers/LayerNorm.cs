using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[LayerNorm(normalizedShape)]</c> as written.</summary>
internal sealed record LayerNormSpec(int NormalizedShape) : LayerSpec
{
    public override string Kind => "LayerNorm";
}

/// <summary>A layer normalisation's plan: its width is <see cref="LayerPlan.Out"/>.</summary>
/// <summary>What a layer normalisation keeps for backward: the normalised rows, each row's 1/σ, and a row of scratch (sequence pass).</summary>
internal sealed record NormalizationBuffers(string Normalized, string InverseDeviation, string? Scratch) : LayerRegions;

internal sealed record LayerNormPlan : LayerPlan
{
    public override string Kind => "LayerNorm";
}

/// <summary><c>[LayerNorm(normalizedShape)]</c> as <c>nn.LayerNorm</c> over the features of every row (eps 1e-5).</summary>
internal sealed class LayerNormHandler : LayerHandler<LayerNormSpec, LayerNormPlan>
{
    public override string Kind => "LayerNorm";

    /// <summary>One width: the input's, which is also the output's.</summary>
    protected override LayerNormSpec? ReadSpec(LayerArguments arguments) => arguments.Ints(1) is { } sizes ? new LayerNormSpec(sizes[0]) : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(LayerNormSpec layer) => new[] { ("normalizedShape", layer.NormalizedShape) };

    protected override int? InputWidth(LayerNormSpec layer) => layer.NormalizedShape;

    protected override int OutputWidth(LayerNormSpec layer, int inputWidth) => layer.NormalizedShape;

    protected override void AddParameters(LayerNormSpec layer, int inputWidth, ParameterAdder add)
    {
        add("weight", new[] { layer.NormalizedShape }, InitKind.One, 0);
        add("bias", new[] { layer.NormalizedShape }, InitKind.Zero, 0);
    }

    protected override LayerNormPlan Plan(LayerNormSpec layer) => new();

    /// <summary>The normalised rows and each row's 1/σ, which <c>Backward</c> reads.</summary>
    protected override LayerBuffers AddBuffers(LayerNormPlan layer, BufferContext c)
    {
        LayerBuffers buffers = OutputBuffers(layer, c);
        long rows = c.RowsOf(layer);
        return buffers with
        {
            Regions = new NormalizationBuffers(
                c.Add(layer, "Normalized", rows * layer.Out, $"{layer.Property} normalised rows x̂, {c.ShapeOf(layer)}"),
                c.Add(layer, "InverseDeviation", rows, $"{layer.Property} 1/√(var + eps) of each row"),
                c.Gradients ? c.Add(layer, "Scratch", layer.Out, "one row") : null),
        };
    }

    protected override string Describe(LayerNormPlan layer) => $"LayerNorm({layer.Out})";

    protected override string ViewArguments(ModelPlan plan, LayerNormPlan layer, int index) => ParameterView(plan, index, $"{layer.Out}");

    protected override void WriteForward(LayerPass pass, LayerNormPlan layer)
    {
        var (w, _, _, buffers) = pass;
        string input = pass.Input, rows = pass.Rows;
        w.Line($"// {layer.Property}: {Describe(layer)}: y = (x − mean) / √(var + 1e-5) ⊙ weight + bias, every row");
        w.Line($"global::Unroll.Kernels.Normalization.LayerNormForward(a.Slice(Layout.{input}, {rows} * {layer.Out}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}), p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}), a.Slice(Layout.{buffers.Output}, {rows} * {layer.Out}),");
        w.Line($"    a.Slice(Layout.{Regions<NormalizationBuffers>(buffers).Normalized}, {rows} * {layer.Out}), a.Slice(Layout.{Regions<NormalizationBuffers>(buffers).InverseDeviation}, {rows}), {rows}, {layer.Out}, 1e-5f);");
    }

    protected override void WriteBackward(LayerPass pass, LayerNormPlan layer)
    {
        var (w, _, _, buffers) = pass;
        string rows = pass.Rows, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        string normGradient = inputGradient is null ? "default" : $"a.Slice(Layout.{inputGradient}, {rows} * {layer.Out})";
        if (inputGradient is not null && guard.Length > 0) normGradient = $"inputGradient ? {normGradient} : default";
        string weightGradients = layer.Trainable ? $"g.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}), g.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out})" : "default, default";
        w.Line(layer.Trainable ? $"// {layer.Property}: ∂weight += Σ ∂y ⊙ x̂, ∂bias += Σ ∂y, ∂x through the normalisation" : $"// {layer.Property}: frozen (Trainable = false), ∂x through the normalisation");
        w.Line($"global::Unroll.Kernels.Normalization.LayerNormBackward(a.Slice(Layout.{buffers.OutputGradient}, {rows} * {layer.Out}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}),");
        w.Line($"    a.Slice(Layout.{Regions<NormalizationBuffers>(buffers).Normalized}, {rows} * {layer.Out}), a.Slice(Layout.{Regions<NormalizationBuffers>(buffers).InverseDeviation}, {rows}), {weightGradients},");
        w.Line($"    {normGradient}, a.Slice(Layout.{Regions<NormalizationBuffers>(buffers).Scratch}, {layer.Out}), {rows}, {layer.Out});");
    }
}
