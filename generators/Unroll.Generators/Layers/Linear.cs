using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[Linear(inFeatures, outFeatures, Bias)]</c> as written.</summary>
internal sealed record LinearSpec(int InFeatures, int OutFeatures, bool Bias) : LayerSpec
{
    public override string Kind => "Linear";
}

/// <summary>A linear layer's plan: whether it adds a bias.</summary>
internal sealed record LinearPlan(bool Bias) : LayerPlan
{
    public override string Kind => "Linear";
}

/// <summary><c>[Linear(inFeatures, outFeatures)]</c> as <c>nn.Linear</c>: <c>y = x·Wᵀ + b</c> on every row.</summary>
internal sealed class LinearHandler : LayerHandler<LinearSpec, LinearPlan>
{
    public override string Kind => "Linear";

    protected override LinearSpec? ReadSpec(LayerArguments arguments) =>
        arguments.Ints(2) is { } sizes ? new LinearSpec(sizes[0], sizes[1], arguments.Named("Bias", true)) : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(LinearSpec layer) => new[] { ("inFeatures", layer.InFeatures), ("outFeatures", layer.OutFeatures) };

    protected override int? InputWidth(LinearSpec layer) => layer.InFeatures;

    protected override int OutputWidth(LinearSpec layer, int inputWidth) => layer.OutFeatures;

    protected override void AddParameters(LinearSpec layer, int inputWidth, ParameterAdder add)
    {
        double bound = 1 / Math.Sqrt(layer.InFeatures);
        add("weight", new[] { layer.OutFeatures, layer.InFeatures }, InitKind.Uniform, bound);
        if (layer.Bias) add("bias", new[] { layer.OutFeatures }, InitKind.Uniform, bound);
    }

    protected override LinearPlan Plan(LinearSpec layer) => new(layer.Bias);

    protected override string Describe(LinearPlan layer) => $"Linear({layer.In} → {layer.Out}{(layer.Bias ? "" : ", no bias")})";

    protected override string ViewArguments(ModelPlan plan, LinearPlan layer, int index) =>
        ParameterView(plan, index, $"{layer.In}, {layer.Out}, {(layer.Bias ? "true" : "false")}");

    protected override void WriteForward(LayerPass pass, LinearPlan layer)
    {
        var (w, _, _, buffers) = pass;
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

    protected override void WriteBackward(LayerPass pass, LinearPlan layer)
    {
        var (w, _, _, buffers) = pass;
        string input = pass.Input, rows = pass.Rows, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        if (!layer.Trainable)
        {
            w.Line($"// {layer.Property}: frozen (Trainable = false), no weight gradient");
        }
        else
        {
            w.Line($"// {layer.Property}: ∂W += ∂yᵀ·x{(layer.Bias ? ", ∂b += Σ ∂y" : "")}, over every row at once");
            w.Line($"{Blas}.MultiplyTransposedAAdd(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, a.Slice(Layout.{input}), {layer.In}, g.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, {rows}, {layer.Out}, {layer.In});");
        }
        if (layer.Bias && layer.Trainable) w.Line($"{Blas}.SumRowsAdd(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, {rows}, {layer.Out}, g.Slice(Layout.{layer.ParameterNames[1]}, {layer.Out}));");
        if (inputGradient is not null)
        {
            w.Line($"// ∂x = ∂y·W   ([{rows} x {layer.Out}] · [{layer.Out} x {layer.In}])");
            w.Line($"{guard}{Blas}.Multiply(a.Slice(Layout.{buffers.OutputGradient}), {layer.Out}, p.Slice(Layout.{layer.ParameterNames[0]}), {layer.In}, a.Slice(Layout.{inputGradient}), {layer.In}, {rows}, {layer.In}, {layer.Out}, accumulate: false);");
        }
    }
}
