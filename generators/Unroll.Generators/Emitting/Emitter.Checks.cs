using System.Linq;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Emitting;

internal static partial class Emitter
{
    /// <summary>
    /// <c>FindNonFinite()</c>: the first NaN or infinity in what the last <c>Forward</c> computed, layer by layer in
    /// declaration order (each stacked recurrent layer's states, then the layer's output) and step by step within a layer,
    /// so the report names the layer and step where it first appeared; then in the parameters and the gradients.
    /// </summary>
    internal static void WriteFindNonFinite(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>");
        w.Line("/// Finds the first NaN or infinity: in what the last <c>Forward</c> computed, layer by layer in declaration order and step by");
        w.Line($"/// step within a layer (so the layer and step where it first appeared), then in the parameters{(plan.InferenceOnly ? "" : ", then in the gradients")}.");
        w.Line($"/// An optional check for a run that diverges: it only reads, and allocates nothing{(plan.InferenceOnly ? "" : " but the name of a gradient it reports")}.");
        w.Line("/// </summary>");
        w.Line("/// <returns>Where the value is and what it is, or <see langword=\"null\"/> when every value is finite.</returns>");
        w.Open("public global::Unroll.NonFiniteValue? FindNonFinite()");
        w.Line("global::System.ReadOnlySpan<float> a = Arena;");
        w.Line("global::Unroll.NonFiniteValue found;");
        for (int i = 0; i < plan.Layers.Count; i++) LayerHandler.For(plan.Layers[i].Kind).WriteNonFiniteScans(w, plan, i);
        w.Line("if (global::Unroll.NonFinite.InTensors(NamedParameters, gradients: false, out found)) return found;");
        if (!plan.InferenceOnly) w.Line("if (global::Unroll.NonFinite.InTensors(NamedParameters, gradients: true, out found)) return found;");
        w.Line("return null;");
        w.Close();
        w.Line();
    }

    internal static void Scan(SourceWriter w, string buffer, string steps, int width, string label, int batch) =>
        w.Line($"if (global::Unroll.NonFinite.InSteps(a.Slice(Layout.{buffer}), {steps}, {batch}, {width}, \"{label}\", out found)) return found;");

    internal static int Length(ModelPlan plan, string buffer) => plan.Buffers.First(b => b.Name == buffer).Length;
}
