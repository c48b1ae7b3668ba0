using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[Linear(inFeatures, outFeatures)]</c> as <c>nn.Linear</c>: <c>y = x·Wᵀ + b</c> on every row.</summary>
internal sealed class LinearHandler : LayerHandler
{
    public override LayerKind Kind => LayerKind.Linear;

    public override IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer) => new[] { ("inFeatures", layer.In), ("outFeatures", layer.Out) };

    public override void AddParameters(LayerSpec layer, ParameterAdder add)
    {
        double bound = 1 / Math.Sqrt(layer.In);
        add("weight", new[] { layer.Out, layer.In }, InitKind.Uniform, bound);
        if (layer.Bias) add("bias", new[] { layer.Out }, InitKind.Uniform, bound);
    }

    public override LayerPlan Plan(LayerSpec layer, int inputWidth, bool sequenceInput, EquatableArray<string> parameters, int parameterCount) =>
        base.Plan(layer, inputWidth, sequenceInput, parameters, parameterCount) with { Hidden = 0 };

    public override string Describe(LayerPlan layer) => $"Linear({layer.In} → {layer.Out}{(layer.Bias ? "" : ", no bias")})";

    public override string ViewArguments(ModelPlan plan, int index)
    {
        LayerPlan layer = plan.Layers[index];
        return ParameterView(plan, index, $"{layer.In}, {layer.Out}, {(layer.Bias ? "true" : "false")}");
    }

    public override void WriteForward(LayerPass pass)
    {
        var (w, _, layer, buffers) = pass;
        string input = pass.Input, rows = pass.Rows;
        bool streaming = pass.Streaming;
        int B = pass.Plan.BatchSize;
        if (streaming && layer.Bias && B < 16)
        {
            w.Line($"// {layer.Property}: y = x·Wᵀ + b   ([{rows} x {layer.In}] · [{layer.In} x {layer.Out}]), inlined with its sizes as literals");
            w.Line($"{Blas}.Linear(a.Slice(Layout.{input}, {B * layer.In}), p.Slice(Layout.{layer.ParameterNames[0]}, {layer.Out * layer.In}), p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}), a.Slice(Layout.{buffers.Output}, {B * layer.Out}), {B}, {layer.Out}, {layer.In});");
            return;
        }
        w.Line($"// {layer.Property}: y = x·Wᵀ{(layer.Bias ? " + b" : "")} for every row   ([{rows} x {layer.In}] · [{layer.In} x {layer.Out}])");
        w.Line($"{Blas}.MultiplyTransposed(a.Slice(Layout.{input}), {layer.In}, p.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, a.Slice(Layout.{buffers.Output}), {layer.Out}, {rows}, {layer.Out}, {layer.In}, accumulate: false);");
        if (layer.Bias) w.Line($"{Blas}.AddRowVector(a.Slice(Layout.{buffers.Output}), {layer.Out}, {rows}, {layer.Out}, p.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}));");
    }

    public override void WriteBackward(LayerPass pass)
    {
        var (w, _, layer, buffers) = pass;
        string input = pass.Input, rows = pass.Rows, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        w.Line($"// {layer.Property}: ∂W += ∂yᵀ·x{(layer.Bias ? ", ∂b += Σ ∂y" : "")}, over every row at once");
        w.Line($"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, a.Slice(Layout.{input}), {layer.In}, g.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, {rows}, {layer.Out}, {layer.In});");
        if (layer.Bias) w.Line($"{Blas}.SumRowsAdd(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, {rows}, {layer.Out}, g.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}));");
        if (inputGradient is not null)
        {
            w.Line($"// ∂x = ∂y·W   ([{rows} x {layer.Out}] · [{layer.Out} x {layer.In}])");
            w.Line($"{guard}{Blas}.Multiply(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, p.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, a.Slice(Layout.{inputGradient}), {layer.In}, {rows}, {layer.In}, {layer.Out}, accumulate: false);");
        }
    }
}
