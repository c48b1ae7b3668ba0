using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[Dropout(p)]</c> as written.</summary>
internal sealed record DropoutSpec(double P) : LayerSpec
{
    public override string Kind => "Dropout";
}

/// <summary>A dropout layer's plan: its probability.</summary>
/// <summary>A dropout layer's mask (0 or 1 / (1 − p)), kept in training for <c>Backward</c>.</summary>
internal sealed record DropoutBuffers(string? Mask) : LayerRegions;

internal sealed record DropoutPlan(double P) : LayerPlan
{
    public override string Kind => "Dropout";
}

/// <summary><c>[Dropout(p)]</c> as <c>nn.Dropout</c>: in training, each value is zeroed with probability p and the rest scaled by 1 / (1 − p).</summary>
internal sealed class DropoutHandler : LayerHandler<DropoutSpec, DropoutPlan>
{
    public override string Kind => "Dropout";

    public override bool PassesWidthOn => true;

    /// <summary>One argument: the probability.</summary>
    protected override DropoutSpec? ReadSpec(LayerArguments arguments) => arguments.Single<double>() is { } p ? new DropoutSpec(p) : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(DropoutSpec layer) => Array.Empty<(string, int)>();

    protected override void CheckOptions(DropoutSpec layer, bool positive, List<DiagnosticInfo> diagnostics) => CheckProbability(layer, "p", layer.P, diagnostics);

    protected override int? InputWidth(DropoutSpec layer) => null;

    /// <summary>No parameters: it passes on the width of the layer before it.</summary>
    protected override int OutputWidth(DropoutSpec layer, int inputWidth) => inputWidth;

    protected override DropoutPlan Plan(DropoutSpec layer) => new(layer.P);

    /// <summary>Training keeps the mask (0 or 1 / (1 − p)) that <c>Backward</c> multiplies by.</summary>
    protected override LayerBuffers AddBuffers(DropoutPlan layer, BufferContext c) => OutputBuffers(layer, c) with
    {
        Regions = new DropoutBuffers(c.Gradients ? c.Add(layer, "Mask", c.RowsOf(layer) * layer.Out, $"{layer.Property} dropout mask (0 or 1 / (1 − p)), {c.ShapeOf(layer)}") : null),
    };

    protected override string Describe(DropoutPlan layer) => $"Dropout(p = {layer.P.ToString("R", CultureInfo.InvariantCulture)})";

    protected override string ViewArguments(ModelPlan plan, DropoutPlan layer, int index) => $"{F(layer.P)}, {layer.Out}";

    protected override void WriteForward(LayerPass pass, DropoutPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        string input = pass.Input, rows = pass.Rows;
        bool streaming = pass.Streaming;
        string count = $"{rows} * {layer.Out}";
        if (streaming || plan.InferenceOnly)
        {
            w.Line($"// {layer.Property}: {Describe(layer)} passes values through in {(streaming ? "streaming " : "")}inference");
            w.Line($"a.Slice(Layout.{input}, {count}).CopyTo(a.Slice(Layout.{buffers.Output}, {count}));");
        }
        else
        {
            w.Line($"// {layer.Property}: {Describe(layer)}: in training, y = x ⊙ mask with a fresh mask of 0 and 1 / (1 − p); otherwise y = x");
            w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Forward(a.Slice(Layout.{input}, {count}), a.Slice(Layout.{Regions<DropoutBuffers>(buffers).Mask}, {count}), a.Slice(Layout.{buffers.Output}, {count}), {F(layer.P)}, DropoutGenerator);");
            w.Line($"else a.Slice(Layout.{input}, {count}).CopyTo(a.Slice(Layout.{buffers.Output}, {count}));");
        }
    }

    protected override void WriteBackward(LayerPass pass, DropoutPlan layer)
    {
        var (w, _, _, buffers) = pass;
        string rows = pass.Rows, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        if (inputGradient is not null)
        {
            string count = $"{rows} * {layer.Out}";
            w.Line($"// {layer.Property}: ∂x = ∂y ⊙ mask (∂y when the Forward did not train)");
            w.Line($"{(guard.Length > 0 ? "if (inputGradient) " : "")}{{");
            w.Line($"    if (_forwardTraining) global::Unroll.Kernels.Dropout.Backward(a.Slice(Layout.{buffers.OutputGradient}, {count}), a.Slice(Layout.{Regions<DropoutBuffers>(buffers).Mask}, {count}), a.Slice(Layout.{inputGradient}, {count}));");
            w.Line($"    else a.Slice(Layout.{buffers.OutputGradient}, {count}).CopyTo(a.Slice(Layout.{inputGradient}, {count}));");
            w.Line("}");
        }
    }
}
