using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unroll.Generators.Layers;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Emitting;

/// <summary>What the generated class says about itself: its remarks (the layers, the arena, how it streams) and <c>Summary()</c>.</summary>
internal static partial class Emitter
{
    internal static void WriteRemarks(SourceWriter w, ModelPlan plan)
    {
        string input = plan.Vocabulary > 0 ? $"tokens [{plan.BatchSize}, ≤{plan.SequenceLength}] (ids below {plan.Vocabulary})" : $"input  [{plan.BatchSize}, ≤{plan.SequenceLength}, {plan.InputSize}]";
        string output = plan.SequenceOutput ? $"output [{plan.BatchSize}, ≤{plan.Layers[plan.Layers.Count - 1].OutputSteps}, {plan.OutputSize}]" : $"output [{plan.BatchSize}, {plan.OutputSize}]";
        w.Line("/// <remarks>");
        w.Line("/// <para>Compiled by Unroll: batch-first data, PyTorch's equations, parameter names and shapes.</para>");
        if (plan.TrainedModel is not null)
        {
            w.Line($"/// <para>The layers of <see cref=\"{plan.TrainedModel}\"/> ([InferenceModel]): the same parameters in the same layout, so its");
            w.Line("/// Parameters copy here as they are and its safetensors files load here.</para>");
        }
        w.Line("/// <code>");
        w.Line("/// " + input);
        int width = plan.Layers.Max(l => l.Property.Length);
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            w.Line($"/// {layer.Property.PadRight(width)}  {Describe(layer),-44} {N(layer.ParameterCount),12} parameters");
            var (lines, layerOutput) = LayerHandler.For(layer.Kind).Remarks(plan, i);
            foreach (string line in lines) w.Line("/// " + line);
            output = layerOutput ?? output;
        }
        w.Line("/// " + output);
        w.Line("/// </code>");
        long frozen = plan.Parameters.Where(p => p.Frozen).Sum(p => (long)p.Length);
        w.Line($"/// <para>{N(plan.ParameterCount)} parameters{(frozen > 0 ? $" trained, and {N(frozen)} frozen (Trainable = false: outside Parameters and Gradients)" : "")}. One arena of {N(plan.ArenaLength)} floats ({N(4L * plan.ArenaLength)} bytes), allocated by the constructor, holds");
        if (plan.InferenceOnly)
        {
            w.Line("/// the parameters, the states, the activations of the longest sequence and the streaming buffers; compiled for inference");
            w.Line(plan.CanStep
                ? "/// only (no Backward, no gradients). Forward and Step allocate nothing.</para>"
                : "/// only (no Backward, no gradients). Forward allocates nothing. A bidirectional or non-causal attention layer needs the whole sequence, so this model has no Step.</para>");
        }
        else
        {
            w.Line("/// the parameters, their gradients, the states, the activations BPTT needs for the longest sequence and the streaming buffers;");
            w.Line(plan.CanStep || EntryPointOwner(plan) >= 0
                ? "/// Forward, Backward and Step allocate nothing.</para>"
                : "/// Forward and Backward allocate nothing. A bidirectional or non-causal attention layer needs the whole sequence, so this model has no Step.</para>");
        }
        w.Line($"/// <para>Every buffer of the arena starts on a 64-byte boundary: the array is pinned, {Planner.SpareFloats} floats longer, and the arena starts at its first aligned float.</para>");
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            foreach (string note in LayerHandler.For(plan.Layers[i].Kind).StepNotes(plan, i)) w.Line("/// " + note);
        }
        if (plan.WeightPrecision != StepPrecision.Float32)
        {
            w.Line($"/// <para>Step reads its LSTM and GRU weights as {plan.WeightPrecision}{(plan.WeightPrecision == StepPrecision.Int8 ? " with a float32 scale per row" : "")} (rounded when packed, summed in float32);");
            w.Line("/// Forward and Parameters keep float32, so a run of steps equals Forward within that rounding.</para>");
        }
        w.Line("/// </remarks>");
    }

    /// <summary>
    /// <c>Summary()</c>, as Keras' <c>model.summary()</c>: a table of the layers (name, what it is, output shape for a full
    /// batch of the longest sequence, parameters), then the totals and the arena's size, written at compile time.
    /// </summary>
    internal static void WriteSummary(SourceWriter w, ModelPlan plan)
    {
        string Shape(LayerPlan layer) => layer is IDecoderPlan
            ? $"[{plan.BatchSize}, {plan.TargetLength}, {layer.Out}]"
            : layer.SequenceOutput ? $"[{plan.BatchSize}, {layer.OutputSteps}, {layer.Out}]" : $"[{plan.BatchSize}, {layer.Out}]";
        var rows = plan.Layers.Select(l => (l.Property, Describe(l), Shape(l), N(l.ParameterCount))).ToList();
        rows.Insert(0, ("Layer", "Kind", "Output shape", "Parameters"));
        int name = rows.Max(r => r.Item1.Length), kind = rows.Max(r => r.Item2.Length), shape = rows.Max(r => r.Item3.Length), count = rows.Max(r => r.Item4.Length);
        long buffers = plan.Parameters.Where(p => !p.Trainable && !p.Frozen).Sum(p => (long)p.Length);
        long frozen = plan.Parameters.Where(p => p.Frozen).Sum(p => (long)p.Length);
        w.Line("/// <summary>The model as a table, as Keras' <c>model.summary()</c>: each layer with its output shape (a full batch of the longest sequence) and parameters, then the totals and the arena.</summary>");
        w.Line("public static string Summary() => \"\"\"");
        w.Line($"{plan.TypeName}: batch of up to {plan.BatchSize}, sequences of up to {plan.SequenceLength} steps{(plan.InferenceOnly ? ", inference only" : "")}");
        foreach (var (a, b, c, d) in rows) w.Line($"{a.PadRight(name)}  {b.PadRight(kind)}  {c.PadRight(shape)}  {d.PadLeft(count)}");
        w.Line($"Parameters: {N(plan.ParameterCount)}{(frozen > 0 ? $" trained, {N(frozen)} frozen" : "")}{(buffers > 0 ? $", and {N(buffers)} values of state-dict buffers" : "")}");
        w.Line($"Arena: {N(plan.ArenaLength)} floats ({N(4L * plan.ArenaLength)} bytes), allocated once by the constructor");
        w.Line("\"\"\";");
        w.Line();
    }
}
