using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[LayerNorm(normalizedShape)]</c> as <c>nn.LayerNorm</c> over the features of every row (eps 1e-5).</summary>
internal sealed class LayerNormHandler : LayerHandler
{
    public override LayerKind Kind => LayerKind.LayerNorm;

    /// <summary>One width: the input's, which is also the output's.</summary>
    public override bool ReadArguments(object?[] arguments, out LayerArguments read)
    {
        read = default;
        if (!(arguments.Length == 1 && arguments[0] is int width)) return false;
        read = new LayerArguments { In = width, Out = width };
        return true;
    }

    public override IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer) => new[] { ("normalizedShape", layer.In) };

    public override void AddParameters(LayerSpec layer, ParameterAdder add)
    {
        add("weight", new[] { layer.In }, InitKind.One, 0);
        add("bias", new[] { layer.In }, InitKind.Zero, 0);
    }

    /// <summary>The normalised rows and each row's 1/σ, which <c>Backward</c> reads.</summary>
    public override LayerBuffers AddBuffers(LayerPlan layer, BufferContext c)
    {
        LayerBuffers buffers = OutputBuffers(layer, c);
        long rows = c.RowsOf(layer);
        return buffers with
        {
            Normalization = new NormalizationBuffers(
                c.Add(layer, "Normalized", rows * layer.Out, $"{layer.Property} normalised rows x̂, {c.ShapeOf(layer)}"),
                c.Add(layer, "InverseDeviation", rows, $"{layer.Property} 1/√(var + eps) of each row"),
                c.Gradients ? c.Add(layer, "Scratch", layer.Out, "one row") : null),
        };
    }

    public override string Describe(LayerPlan layer) => $"LayerNorm({layer.Out})";

    public override string ViewArguments(ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        return ParameterView(plan, index, $"{layer.Out}");
    }

    public override void WriteForward(LayerPass pass)
    {
        var (w, _, layer, buffers) = pass;
        string input = pass.Input, rows = pass.Rows;
        w.Line($"// {layer.Property}: {Describe(layer)}: y = (x − mean) / √(var + 1e-5) ⊙ weight + bias, every row");
        w.Line($"global::Unroll.Kernels.Normalization.LayerNormForward(a.Slice(Layout.{input}, {rows} * {layer.Out}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}), p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}), a.Slice(Layout.{buffers.Output}, {rows} * {layer.Out}),");
        w.Line($"    a.Slice(Layout.{buffers.Normalization!.Normalized}, {rows} * {layer.Out}), a.Slice(Layout.{buffers.Normalization.InverseDeviation}, {rows}), {rows}, {layer.Out}, 1e-5f);");
    }

    public override void WriteBackward(LayerPass pass)
    {
        var (w, _, layer, buffers) = pass;
        string rows = pass.Rows, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        string normGradient = inputGradient is null ? "default" : $"a.Slice(Layout.{inputGradient}, {rows} * {layer.Out})";
        if (inputGradient is not null && guard.Length > 0) normGradient = $"inputGradient ? {normGradient} : default";
        w.Line($"// {layer.Property}: ∂weight += Σ ∂y ⊙ x̂, ∂bias += Σ ∂y, ∂x through the normalisation");
        w.Line($"global::Unroll.Kernels.Normalization.LayerNormBackward(a.Slice(Layout.{buffers.OutputGradient}, {rows} * {layer.Out}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}),");
        w.Line($"    a.Slice(Layout.{buffers.Normalization!.Normalized}, {rows} * {layer.Out}), a.Slice(Layout.{buffers.Normalization.InverseDeviation}, {rows}), g.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out}), g.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}),");
        w.Line($"    {normGradient}, a.Slice(Layout.{buffers.Normalization.Scratch}, {layer.Out}), {rows}, {layer.Out});");
    }
}
