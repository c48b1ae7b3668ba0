using System.Collections.Generic;
using System.Linq;
using Unroll.Generators.Layers;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Emitting;

/// <summary>
/// The passes. Activations are time-major (<c>[time, batch, features]</c>), so one step of the whole
/// batch is a contiguous block and a whole sequence is one matrix. Recurrent layers write their
/// states into a <c>[time, batch, directions·H]</c> buffer, each direction in its own columns.
/// </summary>
internal static partial class Emitter
{
    /// <summary><c>expr * stride</c>, folded when the expression is the literal 0.</summary>
    internal static string Times(string expression, int stride) => expression == "0" ? "0" : $"{expression} * {stride}";

    internal static string SliceAt(string span, string index, int stride) => index == "0" ? span : $"{span}.Slice({Times(index, stride)})";

    internal static string Rows(ModelPlan plan, LayerPlan layer, bool streaming) =>
        layer.SequenceInput && !streaming ? $"{layer.Length} * {plan.BatchSize}" : plan.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// After each layer that maps the time axis, the steps the layers after it run over: the run's (and, for
    /// <c>ForwardCore</c>, every row's, kept for <c>BackwardCore</c>), by its length formula.
    /// </summary>
    internal static void WriteLengthMaps(SourceWriter w, ModelPlan plan, bool rows)
    {
        foreach (var (layer, next) in LengthMaps(plan))
        {
            w.Line($"int {next.Length} = {LayerHandler.For(layer.Kind).MapsLength(layer, layer.Length)}; // the steps after {layer.Property}");
            if (rows) w.Line($"for (int b = 0; b < {plan.BatchSize}; b++) {next.RowLengths}[b] = {LayerHandler.For(layer.Kind).MapsLength(layer, $"{layer.RowLengths}[b]")};");
        }
    }

    /// <summary>The layers that map the time axis, each with the layer after it (whose <c>Length</c> and <c>RowLengths</c> name the mapped steps).</summary>
    internal static IEnumerable<(LayerPlan Layer, LayerPlan Next)> LengthMaps(ModelPlan plan)
    {
        for (int i = 0; i + 1 < plan.Layers.Count; i++)
        {
            if (plan.Layers[i + 1].Length != plan.Layers[i].Length) yield return (plan.Layers[i], plan.Layers[i + 1]);
        }
    }

    /// <summary>
    /// The steps of the input of layer <paramref name="upTo"/> (of the model's output, past the last layer) for
    /// <paramref name="length"/> steps of the model's input, as C#: the length formulas of the layers before it that map
    /// the time axis, in order, parenthesised; <paramref name="length"/> itself when none does.
    /// </summary>
    internal static string LengthAt(ModelPlan plan, int upTo, string length)
    {
        for (int i = 0; i < upTo; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (LayerHandler.For(layer.Kind).MapsLength(layer, length) is { } mapped) length = $"({mapped})"; // whole, inside any expression
        }
        return length;
    }

    internal static void WriteForwardCore(SourceWriter w, ModelPlan plan, bool streaming)
    {
        bool skips = streaming && plan.StepSkips;
        w.Line(!streaming
            ? "/// <summary>Every layer over <paramref name=\"length\"/> steps, from the initial states; the caches stay for <c>BackwardCore</c>.</summary>"
            : skips
                ? "/// <summary>One step of every layer, from and into the running states; false when a strided layer yields no output this step (the layers after it wait).</summary>"
                : "/// <summary>One step of every layer, from and into the running states.</summary>");
        w.Open(!streaming ? "private void ForwardCore(int length)" : skips ? "private bool StepCore()" : "private void StepCore()");
        if (!streaming) WriteLengthMaps(w, plan, rows: true);
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        if (!streaming && plan.PacksStepWeights) w.Line("if (!PackedWeightsCurrent()) PackSequenceWeights(); // the recurrent products read the packed W_hhᵀ");
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            if (LayerHandler.For(plan.Layers[i].Kind).RunsOwnPasses) continue;
            w.Line();
            LayerHandler.For(plan.Layers[i].Kind).WriteForward(new LayerPass(w, plan, i, streaming));
        }
        if (skips) w.Line("return true;");
        w.Close();
        w.Line();
        if (streaming) WriteModelMembers(w, plan, ModelPart.StepPasses);
    }

    internal static void WriteBackwardCore(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>Every layer backwards over the steps of the last <c>Forward</c>; parameter gradients accumulate.</summary>");
        w.Open("private void BackwardCore(int length, bool inputGradient)");
        WriteLengthMaps(w, plan, rows: false);
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        w.Line($"{Span} g = a.Slice(Layout.Gradients, ParameterCount);");
        for (int i = plan.Layers.Count - 1; i >= 0; i--)
        {
            if (LayerHandler.For(plan.Layers[i].Kind).RunsOwnPasses) continue;
            w.Line();
            var pass = new LayerPass(w, plan, i, streaming: false);
            if (pass.HasGradients) LayerHandler.For(plan.Layers[i].Kind).WriteBackward(pass);
            else w.Line($"// {plan.Layers[i].Property}: nothing to write{(plan.Layers[i].ParameterCount > 0 ? " (frozen)" : "")}, and no layer before it wants a gradient");
        }
        w.Close();
        w.Line();
    }
}
