using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[Dropout(p)]</c> as <c>nn.Dropout</c>: in training, each value is zeroed with probability p and the rest scaled by 1 / (1 − p).</summary>
internal sealed class DropoutHandler : LayerHandler
{
    public override LayerKind Kind => LayerKind.Dropout;

    /// <summary>One argument: the probability.</summary>
    public override bool ReadArguments(object?[] arguments, out LayerArguments read)
    {
        read = default;
        if (!(arguments.Length == 1 && arguments[0] is double p)) return false;
        read = new LayerArguments { Dropout = p };
        return true;
    }

    public override IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer) => Array.Empty<(string, int)>();

    public override void CheckOptions(LayerSpec layer, bool positive, List<DiagnosticInfo> diagnostics) => CheckProbability(layer, "p", diagnostics);

    public override int OutputWidth(LayerSpec layer, int inputWidth) => inputWidth;

    public override bool ChainsInputWidth => false;

    public override bool PassesWidthOn => true;

    /// <summary>No parameters: it passes on the width of the layer before it.</summary>
    public override LayerPlan Plan(LayerSpec layer, int inputWidth, bool sequenceInput, EquatableArray<string> parameters, int parameterCount) =>
        new(layer.Property, layer.Modifiers, layer.Kind, inputWidth, inputWidth, 0, 0, 0, true, Nonlinearity.Tanh, false, sequenceInput,
            EquatableArray<string>.Empty, null, 0, layer.Dropout);

    /// <summary>Training keeps the mask (0 or 1 / (1 − p)) that <c>Backward</c> multiplies by.</summary>
    public override LayerBuffers AddBuffers(LayerPlan layer, BufferContext c) => OutputBuffers(layer, c) with
    {
        Mask = c.Gradients ? c.Add(layer, "Mask", c.RowsOf(layer) * layer.Out, $"{layer.Property} dropout mask (0 or 1 / (1 − p)), {c.ShapeOf(layer)}") : null,
    };

    public override string Describe(LayerPlan layer) => $"Dropout(p = {layer.Dropout.ToString("R", CultureInfo.InvariantCulture)})";

    public override string ViewArguments(ModelPlan plan, int index) => $"{F(plan.Layers[index].Dropout)}, {plan.Layers[index].Out}";

    public override void WriteForward(LayerPass pass)
    {
        var (w, plan, layer, buffers) = pass;
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
            w.Line($"if (_forwardTraining) global::Unroll.Kernels.Dropout.Forward(a.Slice(Layout.{input}, {count}), a.Slice(Layout.{buffers.Mask}, {count}), a.Slice(Layout.{buffers.Output}, {count}), {F(layer.Dropout)}, DropoutGenerator);");
            w.Line($"else a.Slice(Layout.{input}, {count}).CopyTo(a.Slice(Layout.{buffers.Output}, {count}));");
        }
    }

    public override void WriteBackward(LayerPass pass)
    {
        var (w, _, layer, buffers) = pass;
        string rows = pass.Rows, guard = pass.Guard;
        string? inputGradient = pass.InputGradient;
        if (inputGradient is not null)
        {
            string count = $"{rows} * {layer.Out}";
            w.Line($"// {layer.Property}: ∂x = ∂y ⊙ mask (∂y when the Forward did not train)");
            w.Line($"{(guard.Length > 0 ? "if (inputGradient) " : "")}{{");
            w.Line($"    if (_forwardTraining) global::Unroll.Kernels.Dropout.Backward(a.Slice(Layout.{buffers.OutputGradient}, {count}), a.Slice(Layout.{buffers.Mask}, {count}), a.Slice(Layout.{inputGradient}, {count}));");
            w.Line($"    else a.Slice(Layout.{buffers.OutputGradient}, {count}).CopyTo(a.Slice(Layout.{inputGradient}, {count}));");
            w.Line("}");
        }
    }
}
