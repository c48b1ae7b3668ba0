using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>
/// The recurrent layers' packed weights (the fused steps' blocks and the products' column panels, repacked when the parameters
/// may have changed) and their unrolled streaming steps, each a method of the model.
/// </summary>
internal abstract partial class RecurrentHandler
{
    /// <summary>
    /// The float32 fused steps the generated code unrolls: under this many multiply-adds a step (rows × gates·H ×
    /// (input + H)). It is where <c>Unroll.Kernels.Workers</c> starts to split a step across the cores (twice its
    /// <c>MemoryBound</c>); below it the shared step runs whole on one core, and there the unrolled step measured faster at
    /// every width (LSTM 8 → 64, ns a step with AVX-512 / AVX2 / 128-bit vectors: 715 / 877 / 1,552 against 823 / 943 /
    /// 1,719; 8 → 16: 88 / 106 / 236 against 113 / 160 / 321), its fixed work (calls, an argument block, prefetches, the
    /// check for a split) being what there is to save. LSTM 8 → 64 is 18,432; 8 → 128, 69,632, splits.
    /// </summary>
    public const long UnrolledStepMultiplyAdds = 2 << 14;

    /// <summary>
    /// Floats of a fused step's packed weights, as <c>Unroll.Kernels.Cells.LstmStepSize</c> and <c>GruStepSize</c> count
    /// them: per block of 16 units, 64 biases (int8: then a scale and two sums of weights per output) and the rows, a
    /// 32-bit lane holding an output's weights of one float32 row, two 2-byte rows or four int8 rows of a side.
    /// </summary>
    public static long FusedStepSize(RecurrentCell cell, int input, int hidden, StepPrecision precision)
    {
        // Each vector width packs blocks of its own number of units (16, 8, 4 or 1); the buffer holds the largest.
        int gates = cell == RecurrentCell.Lstm ? 4 : 3, bytes = precision switch { StepPrecision.Float32 => 4, StepPrecision.Int8 => 1, _ => 2 };
        long size = 0;
        foreach (int units in new[] { 16, 8, 4, 1 })
        {
            // Biases, int8's scales and sums, then the rows (each side padded to whole 32-bit lanes).
            long block = 4 * units + (precision == StepPrecision.Int8 ? 3 * gates * units : 0)
                + (((long)input * bytes + 3) / 4 + ((long)hidden * bytes + 3) / 4) * gates * units;
            size = Math.Max(size, (hidden + units - 1) / units * block);
        }
        return size;
    }

    /// <summary>The <c>Layout</c> comment of a fused step's packed weights.</summary>
    internal static string FusedStepWhat(StepPrecision precision) => precision switch
    {
        StepPrecision.Float32 => "[W_ih W_hh]ᵀ and the biases in blocks of one vector of units (16, 8 or 4 by the CPU), for the fused step",
        StepPrecision.Int8 => "[W_ih W_hh]ᵀ as int8 with a scale and sums per row, and the biases, in blocks of one vector of units, for the fused step",
        _ => $"[W_ih W_hh]ᵀ as {precision}, and the biases, in blocks of one vector of units, for the fused step",
    };

    public static int Gates(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => 4,
        RecurrentCell.Gru => 3,
        _ => 1,
    };

    /// <summary>Packs <c>W_hhᵀ</c> into column panels and notes what was packed (the sequence passes compare it).</summary>
    private static void WritePackRecurrent(SourceWriter w, CellBuffers cell, string wHh, int H, int G)
    {
        w.Line($"{Blas}.PackPanels(p.Slice(Layout.{wHh}, {G * H}), {H}, a.Slice(Layout.{cell.PackedHh}, {H * G}), {G}, {H});");
        w.Line($"p.Slice(Layout.{wHh}, {G * H}).CopyTo(a.Slice(Layout.{cell.PackedFrom}, {G * H}));");
    }

    /// <summary>
    /// Its part of <c>PackStepWeights</c>: per stacked layer, an LSTM's or GRU's weights and biases in the blocks of its fused
    /// step (<see cref="Unroll.Kernels.Cells.PackLstmStep"/>, <see cref="Unroll.Kernels.Cells.PackGruStep"/>; batches under
    /// four rows), otherwise as transposed column panels (<see cref="Unroll.Kernels.Blas.PackPanels"/>) with the LSTM and
    /// RNN biases folded; of <c>PackSequenceWeights</c> and <c>PackedWeightsCurrent</c>: the <c>W_hhᵀ</c> panels of the
    /// sequence passes.
    /// </summary>
    public override void WritePacking(SourceWriter w, ModelPlan plan, int index, PackingMethod method)
    {
        foreach (var (layer, cell, inK, wIh, wHh, bIh, bHh) in PackedCells(plan, index))
        {
            int H = layer.Hidden, G = layer.Gates * H;
            if (method == PackingMethod.SequenceWeights)
            {
                w.Line($"// {layer.Property}, layer {cell.Layer}{(cell.Direction == 1 ? ", reverse" : "")}: W_hhᵀ [{H}, {G}]");
                WritePackRecurrent(w, cell, wHh, H, G);
                continue;
            }
            if (method == PackingMethod.WeightsCurrent)
            {
                // Compared as bytes: a NaN is a change, and so is −0 for 0.
                w.Line("if (!global::System.MemoryExtensions.SequenceEqual(");
                w.Line($"        global::System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.Slice(Layout.Parameters + Layout.{wHh}, {G * H})),");
                w.Line($"        global::System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.Slice(Layout.{cell.PackedFrom}, {G * H}))))");
                w.Line("    return false;");
                continue;
            }
            if (cell.Fused is not null)
            {
                string kind = layer.Cell == RecurrentCell.Lstm ? "Lstm" : "Gru";
                w.Line(plan.WeightPrecision == StepPrecision.Float32
                    ? $"// {layer.Property}, layer {cell.Layer}: [W_ih W_hh]ᵀ and the biases, in blocks of one vector of units"
                    : $"// {layer.Property}, layer {cell.Layer}: [W_ih W_hh]ᵀ rounded to {plan.WeightPrecision}{(plan.WeightPrecision == StepPrecision.Int8 ? " with a float32 scale per row" : "")}, and the biases (float32), in blocks of one vector of units");
                w.Line($"{Cells}.Pack{kind}Step(p.Slice(Layout.{wIh}, {G * inK}), p.Slice(Layout.{wHh}, {G * H}), p.Slice(Layout.{bIh}, {G}), p.Slice(Layout.{bHh}, {G}), a.Slice(Layout.{cell.Fused}, {FusedStepSize(layer.Cell, inK, H, plan.WeightPrecision)}), {inK}, {H}{PrecisionArgument(plan)});");
                continue;
            }
            w.Line($"// {layer.Property}, layer {cell.Layer}: W_ihᵀ [{inK}, {G}], W_hhᵀ [{H}, {G}]{(cell.PackedBias is null ? "" : ", b_ih + b_hh")}");
            w.Line($"{Blas}.PackPanels(p.Slice(Layout.{wIh}, {G * inK}), {inK}, a.Slice(Layout.{cell.PackedIh}, {inK * G}), {G}, {inK});");
            WritePackRecurrent(w, cell, wHh, H, G);
            if (cell.PackedBias is null) continue;
            w.Line($"p.Slice(Layout.{bIh}, {G}).CopyTo(a.Slice(Layout.{cell.PackedBias}, {G}));");
            w.Line($"{Blas}.AddRows(p.Slice(Layout.{bHh}, {G}), {G}, a.Slice(Layout.{cell.PackedBias}, {G}), {G}, 1, {G});");
        }
    }

    /// <summary>The layer's stacked layers and directions with packed weights: input width and parameter constants.</summary>
    private static IEnumerable<(RecurrentPlan Layer, CellBuffers Cell, int In, string WIh, string WHh, string BIh, string BHh)> PackedCells(ModelPlan plan, int index)
    {
        var layer = (RecurrentPlan)plan.Layers[index];
        foreach (CellBuffers cell in R(plan.Step!.Layers[index]).Cells)
        {
            int first = layer.FirstParameter(cell.Layer, cell.Direction);
            yield return (layer, cell, layer.InputOf(cell.Layer),
                layer.ParameterNames[first], layer.ParameterNames[first + 1], layer.ParameterNames[first + 2], layer.ParameterNames[first + 3]);
        }
    }

    /// <summary>After <c>StepCore</c>: the methods of the layer's unrolled steps, which <c>StepCore</c> calls.</summary>
    public override void WriteModelMembers(SourceWriter w, ModelPlan plan, int index, ModelPart part)
    {
        if (part != ModelPart.StepPasses) return;
        var layer = (RecurrentPlan)plan.Layers[index];
        LayerBuffers buffers = plan.Step!.Layers[index];
        string layerInput = index == 0 ? plan.Step.Input : plan.Step.Layers[index - 1].Output;
        for (int l = 0; l < layer.NumLayers; l++)
        {
            if (!R(buffers).Cells[l].Unrolled) continue; // unrolled steps have one direction
            string input = LayerInput(buffers, layerInput, l);
            w.Line($"/// <summary>");
            w.Line($"/// {layer.Property}, layer {l}: one unrolled step. A method of its own: the JIT inlines the whole step into it with its");
            w.Line("/// sizes as literals, and its budget for inlining is per method, so no other layer's step can use it up.");
            w.Line($"/// </summary>");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
            w.Open($"private void {UnrolledStepName(layer, l)}()");
            w.Line($"{Span} a = Arena;");
            WriteCellForward(w, plan, index, buffers, l, 0, input, streaming: true);
            w.Close();
            w.Line();
        }
    }

    /// <summary>The generated method that runs one unrolled step of stacked layer <paramref name="l"/>.</summary>
    private static string UnrolledStepName(RecurrentPlan layer, int l) => $"Step{layer.Property}Layer{l}";
}
