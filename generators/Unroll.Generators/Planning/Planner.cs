using System;
using System.Collections.Generic;
using System.Linq;
using Unroll.Generators.Diagnostics;
using Unroll.Generators.Layers;
using Unroll.Generators.Model;

namespace Unroll.Generators.Planning;

/// <summary>The planner's answer: a plan when the declaration is valid, and the diagnostics found.</summary>
internal sealed record PlanResult(ModelPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>Where <c>Weights = "..."</c> is written (kept out of the plan, so that moving it does not re-emit the model).</summary>
    public LocationInfo? WeightsLocation { get; init; }

    /// <summary>Without a plan (the declaration has errors): the members to emit all the same, if a part can be added.</summary>
    public ModelStub? Stub { get; init; }
}

/// <summary>
/// Turns a <see cref="ModelSpec"/> into a <see cref="ModelPlan"/>: checks that the sizes make a
/// network (positive, chaining from layer to layer), names the parameters as PyTorch does, and lays
/// out the arena. Pure: values in, values out.
/// </summary>
internal static class Planner
{
    /// <summary>The largest float array .NET allocates (<c>Array.MaxLength</c>).</summary>
    public const long MaxArenaLength = 0x7FFFFFC7;

    /// <summary>Every arena buffer starts on a 64-byte boundary: a multiple of 16 floats from the arena's origin (as the runtime's <c>Unroll.AlignedArena.AlignmentFloats</c>).</summary>
    public const int AlignmentFloats = 16;

    /// <summary>Floats the constructor allocates beyond <c>Layout.Length</c>, so that the arena can start on a 64-byte boundary (<c>Unroll.AlignedArena.SpareFloats</c>).</summary>
    public const int SpareFloats = AlignmentFloats - 1;

    /// <summary>The most recurrent passes (stacked layers × directions, over all layers) one model unrolls, which bounds the emitted code.</summary>
    public const int MaxRecurrentPasses = 64;

    public static PlanResult Plan(ParseResult parsed)
    {
        if (parsed.Spec is not { } spec) return new PlanResult(null, parsed.Diagnostics) { Stub = parsed.Stub };
        // The parser's errors and the planner's together: each independent error of the declaration in one build.
        var diagnostics = new List<DiagnosticInfo>(parsed.Diagnostics);
        Check(spec, diagnostics);
        if (diagnostics.Count > 0) return new PlanResult(null, diagnostics.ToEquatableArray()) { Stub = parsed.Stub };

        var arena = new ArenaBuilder();
        ModelPlan? plan = Build(spec, arena);
        if (plan is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ModelTooLarge, spec.Location, spec.TypeName, arena.Allocated, MaxArenaLength));
            return new PlanResult(null, diagnostics.ToEquatableArray()) { Stub = parsed.Stub };
        }
        if (plan is not null && spec.WeightPrecision != StepPrecision.Float32 && !plan.Layers.Select((_, i) => i).Any(i => LayerHandler.For(plan.Layers[i].Kind).UsesWeightPrecision(plan, i)))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.WeightPrecisionUnused, spec.WeightPrecisionLocation ?? spec.Location, spec.WeightPrecision, spec.TypeName));
        }
        return new PlanResult(plan, diagnostics.ToEquatableArray()) { WeightsLocation = spec.WeightsLocation };
    }

    private static void Check(ModelSpec spec, List<DiagnosticInfo> diagnostics)
    {
        if (spec.SequenceLength is not > 0)
        {
            string detail = spec.SequenceLength is { } n ? $", but it is {n}" : ", but it is not set";
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidSequenceLength, spec.Location, spec.TypeName, detail));
        }
        if (spec.BatchSize <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidBatchSize, spec.Location, spec.TypeName, spec.BatchSize));
        }
        // A layer the parser could not read is missing from the chain: the checks between layers would blame it on the others.
        bool chain = spec.LayersComplete;
        if (spec.Layers.Count == 0)
        {
            if (chain) diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoLayers, spec.Location, spec.TypeName));
            return;
        }
        LayerSpec? targetLayer = spec.Layers.FirstOrDefault(l => LayerHandler.For(l.Kind).UsesTargetLength);
        if (targetLayer is not null && spec.TargetLength is not > 0)
        {
            string detail = spec.TargetLength is { } td ? $"is {td}" : "is not set";
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidTargetLength, spec.Location, spec.TypeName,
                $"must be positive: the {targetLayer.Kind} layer '{targetLayer.Property}' runs up to TargetLength steps, but it {detail}"));
        }
        else if (targetLayer is null && spec.TargetLength is not null && chain)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidTargetLength, spec.Location, spec.TypeName,
                "is set, but the model has no decoder layer (AttentionDecoder or TransformerDecoderLayer): only encoder–decoder models have a target"));
        }

        if (spec.WeightPrecision is < StepPrecision.Float32 or > StepPrecision.Int8)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidWeightPrecision, spec.WeightPrecisionLocation ?? spec.Location, (int)spec.WeightPrecision, spec.TypeName,
                "is not a WeightPrecision value (Float32, BFloat16, Float16 or Int8)"));
        }
        else if (spec.WeightPrecision != StepPrecision.Float32 && !spec.InferenceOnly)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidWeightPrecision, spec.WeightPrecisionLocation ?? spec.Location, spec.WeightPrecision, spec.TypeName,
                "needs InferenceOnly = true: a model that trains keeps its weights in float32"));
        }

        long passes = spec.Layers.Sum(l => LayerHandler.For(l.Kind).RecurrentPasses(l));
        if (passes > MaxRecurrentPasses)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooManyPasses, spec.Location, spec.TypeName, passes, MaxRecurrentPasses));
        }

        LayerSpec? previous = null;
        LayerSpec? lastStepOnly = null;
        int previousWidth = 0; // features the previous layer passes on (a dropout layer passes on its input's)
        for (int index = 0; index < spec.Layers.Count; index++)
        {
            LayerSpec layer = spec.Layers[index];
            LayerHandler handler = LayerHandler.For(layer.Kind);
            bool positive = true;
            foreach (var (name, value) in handler.Sizes(layer))
            {
                if (value > 0) continue;
                positive = false;
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.NonPositiveSize, layer.Location, name, layer.Property, value));
            }

            handler.CheckOptions(layer, positive, diagnostics);
            if (chain && previous is not null && LayerHandler.For(previous.Kind).MustBeLast)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.DecoderNotLast, previous.Location, previous.Property, layer.Property));
            }

            if (chain && handler.TakesTokens && previous is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.EmbeddingNotFirst, layer.Location, layer.Property, previous.Property));
            }
            else if (chain && handler.PassesWidthOn && previous is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.FirstLayerTakesWidth, layer.Location, layer.Property, layer.Kind));
            }
            else if (chain && previous is not null && !LayerHandler.For(previous.Kind).MustBeLast && positive && handler.InputWidth(layer) is { } stated
                && stated != previousWidth && previousWidth > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.SizesDoNotChain, layer.Location, layer.Property, stated, previous.Property, previousWidth));
            }
            if (chain && positive && lastStepOnly is null) handler.CheckPlace(spec, index, previousWidth, diagnostics);
            previousWidth = handler.OutputWidth(layer, previousWidth);
            if (chain && handler.NeedsTimeAxis is { } noun && lastStepOnly is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.RecurrentAfterLastStep, layer.Location, noun, layer.Property, lastStepOnly.Property,
                    LayerHandler.For(lastStepOnly.Kind).DropsTimeAxis));
            }
            if (!handler.KeepsTimeAxis(layer)) lastStepOnly ??= layer;
            previous = layer;
        }
    }

    private static ModelPlan? Build(ModelSpec spec, ArenaBuilder arena)
    {
        int T = spec.SequenceLength!.Value, B = spec.BatchSize;
        bool tokens = LayerHandler.For(spec.Layers[0].Kind).TakesTokens;
        int inputWidth = tokens ? 1 : LayerHandler.For(spec.Layers[0].Kind).InputWidth(spec.Layers[0]) ?? 1;

        // Parameters, in state-dict order, then their gradients in the same layout. What no optimizer may reach is counted
        // apart, in a block of its own after the parameters: state-dict buffers (statistics a layer keeps) and the parameters
        // of a layer declared Trainable = false.
        var parameters = new List<ParameterPlan>();
        var layers = new List<LayerPlan>();
        long parameterCount = 0, bufferCount = 0, frozenCount = 0;
        bool sequence = true;
        int width = inputWidth, steps = T;
        string runLength = "length", rowLengths = "_rowLengths"; // the run's steps as the passes name them
        foreach (LayerSpec declared in spec.Layers)
        {
            LayerHandler handler = LayerHandler.For(declared.Kind);
            LayerSpec layer = handler.InModel(declared, spec);
            var names = new List<string>();
            long before = parameterCount + frozenCount;
            void Add(string name, int[] shape, InitKind init, double bound, bool trainable, bool integer)
            {
                bool frozen = trainable && !layer.Trainable;
                trainable &= layer.Trainable;
                long length = shape.Aggregate(1L, (a, d) => a * d);
                string constant = (layer.Property + "_" + name).Replace('.', '_');
                long offset = trainable ? parameterCount : bufferCount; // a buffer's is made absolute below
                parameters.Add(new ParameterPlan(layer.Property + "." + name, constant, shape.ToEquatableArray(), (int)Math.Min(offset, int.MaxValue), (int)Math.Min(length, int.MaxValue), init, bound)
                {
                    Trainable = trainable,
                    Frozen = frozen,
                    Integer = integer,
                });
                names.Add(constant);
                if (trainable) parameterCount += length;
                else bufferCount += length;
                if (frozen) frozenCount += length;
            }

            handler.AddParameters(layer, width, Add);
            int outputSteps = handler.OutputSteps(layer, steps);
            bool sequenceOutput = sequence && handler.KeepsTimeAxis(layer);
            layers.Add(handler.Plan(layer) with
            {
                Property = layer.Property,
                Modifiers = layer.Modifiers,
                In = width,
                Out = handler.OutputWidth(layer, width),
                SequenceInput = sequence,
                SequenceOutput = sequenceOutput,
                InputSteps = steps,
                OutputSteps = outputSteps,
                Length = runLength,
                RowLengths = rowLengths,
                ParameterNames = names.ToEquatableArray(),
                ParameterCount = (int)Math.Min(parameterCount + frozenCount - before, int.MaxValue), // PyTorch's count, frozen or not
                Trainable = layer.Trainable,
            });
            width = handler.OutputWidth(layer, width);
            (sequence, steps) = (sequenceOutput, outputSteps);
            if (handler.MapsLength(layers[layers.Count - 1], runLength) is not null)
            {
                // After a layer that maps the time axis, the passes run over its output's steps (Emitter.WriteLengthMaps).
                (runLength, rowLengths) = ("lengthAfter" + layer.Property, "_rowLengthsAfter" + layer.Property);
            }
        }
        if (parameterCount * 2 + bufferCount > MaxArenaLength)
        {
            arena.Reserve(parameterCount); // the parameters, their buffers and gradients, at least
            arena.Reserve(bufferCount);
            arena.Reserve(parameterCount);
            return null;
        }
        // The parameters come first (offset 0), one block: the tensors inside it are not padded, so that Parameters,
        // NamedParameters and the gradients (same layout) keep PyTorch's state-dict order without gaps. The state-dict
        // buffers and frozen parameters follow, outside Parameters and Gradients, so that no optimizer or clipping reaches them.
        arena.Add("Parameters", (int)parameterCount, $"every {(frozenCount > 0 ? "trained " : "")}parameter, in state-dict order (offsets below are relative to it)");
        if (bufferCount > 0)
        {
            arena.Add("Untrained", (int)bufferCount, frozenCount == bufferCount ? "the frozen parameters (Trainable = false), in state-dict order"
                : frozenCount > 0 ? "the state-dict buffers (statistics) and frozen parameters (Trainable = false), never trained, in state-dict order"
                : "the state-dict buffers (statistics, never trained), in state-dict order");
            int start = arena.Buffers[arena.Buffers.Count - 1].Offset;
            for (int i = 0; i < parameters.Count; i++)
            {
                if (!parameters[i].Trainable) parameters[i] = parameters[i] with { Offset = start + parameters[i].Offset };
            }
        }
        bool training = !spec.InferenceOnly;
        if (training) arena.Add("Gradients", (int)parameterCount, "the gradients, same layout as Parameters");

        // The layers' own regions that outlive a pass (a recurrent layer's initial and final states and their gradients).
        for (int i = 0; i < layers.Count; i++) layers[i] = LayerHandler.For(layers[i].Kind).AddStates(layers[i], arena, B);

        ModeBuffers sequenceBuffers = LayOut(spec, layers, arena, "", T, B, tokens, gradients: training, streaming: false);

        // Scratch shared by all layers: each region as large as the largest layer needs, in the order first named.
        var scratch = new List<(string Name, long Length, string Comment)>();
        foreach (LayerPlan layer in layers)
        {
            foreach (var (name, length, comment) in LayerHandler.For(layer.Kind).Scratch(layer, T, B, training))
            {
                int at = scratch.FindIndex(s => s.Name == name);
                if (at < 0) scratch.Add((name, length, comment));
                else scratch[at] = (name, Math.Max(scratch[at].Length, length), comment);
            }
        }
        foreach (var (name, length, comment) in scratch) arena.Add(name, length, comment);

        // Streaming buffers, one step deep (and a cache of past keys and values for causal attention). A
        // bidirectional or non-causal attention layer needs the whole sequence, so such models do not stream.
        // An encoder–decoder model streams through its decoder, and its encoder runs whole sequences.
        bool canStep = layers.All(l => LayerHandler.For(l.Kind).CanStream(l));
        ModeBuffers? stepBuffers = canStep ? LayOut(spec, layers, arena, "Step_", 1, B, tokens, gradients: false, streaming: true) : null;
        bool packs = canStep && layers.Any(l => LayerHandler.For(l.Kind).PacksStepWeights);
        if (packs) arena.Add("Step_WeightsStale", 1, "1 when the parameters may have changed since the step weights were packed");
        sequenceBuffers = LayOutOwnPasses(spec, layers, sequenceBuffers, arena, T, B, training);
        if (arena.Allocated > MaxArenaLength) return null;

        LayerPlan last = layers[layers.Count - 1];
        return new ModelPlan(
            spec.Namespace, spec.ContainingTypes, spec.TypeName, T, B,
            inputWidth, last.Out, sequence, tokens ? ((EmbeddingPlan)layers[0]).Vocabulary : 0,
            canStep,
            (int)parameterCount, (int)arena.Length,
            parameters.ToEquatableArray(), arena.Buffers.ToEquatableArray(), layers.ToEquatableArray(),
            sequenceBuffers, stepBuffers)
        {
            TargetLength = layers.Any(l => LayerHandler.For(l.Kind).UsesTargetLength) ? spec.TargetLength!.Value : 0,
            PacksStepWeights = packs,
            StepSkips = canStep && layers.Any(l => LayerHandler.For(l.Kind).MapsLength(l, "length") is not null),
            MinimumLength = MinimumLength(spec),
            InferenceOnly = !training,
            TrainedModel = spec.TrainedModel,
            Weights = spec.Weights,
            WeightPrecision = spec.WeightPrecision,
        };
    }

    /// <summary>
    /// Places the activations of one pass over <paramref name="steps"/> steps: a sequence pass (with its gradients unless the
    /// model is for inference only), or the <paramref name="streaming"/> step.
    /// </summary>
    /// <summary>The fewest input steps from which every layer gets at least one (1 without a layer that maps the time axis).</summary>
    private static int MinimumLength(ModelSpec spec)
    {
        int T = spec.SequenceLength!.Value;
        for (int length = 1; length < T; length++)
        {
            int steps = length;
            foreach (LayerSpec layer in spec.Layers) steps = steps > 0 ? LayerHandler.For(layer.Kind).OutputSteps(layer, steps) : 0;
            if (steps > 0) return length;
        }
        return T;
    }

    private static ModeBuffers LayOut(ModelSpec spec, List<LayerPlan> layers, ArenaBuilder arena, string prefix, int steps, int B, bool tokens, bool gradients, bool streaming)
    {
        var buffers = new BufferContext(spec, arena, prefix, steps, B, gradients, streaming);
        string what = steps == 1 ? "one step" : $"{steps} steps";
        int inputWidth = tokens ? 1 : LayerHandler.For(spec.Layers[0].Kind).InputWidth(spec.Layers[0]) ?? 1;
        string input = arena.Add(prefix + (tokens ? "Tokens" : "Input"), (long)steps * B * inputWidth,
            tokens ? $"token ids of {what}, {(streaming ? "[batch]" : "[batch, time]")} (int bits)" : $"input of {what}, {buffers.Rows(inputWidth)}");
        string? inputGradient = gradients && !tokens
            ? arena.Add(prefix + "InputGradient", (long)steps * B * inputWidth, $"∂input, {buffers.Rows(inputWidth)}")
            : null;

        // A layer with passes of its own (a decoder) runs after the others: its regions come last (see LayOutOwnPasses).
        var result = new List<LayerBuffers>();
        foreach (LayerPlan layer in layers)
        {
            LayerHandler handler = LayerHandler.For(layer.Kind);
            result.Add(handler.RunsOwnPasses ? Deferred : handler.AddBuffers(layer, buffers));
        }
        return new ModeBuffers(input, inputGradient, result.ToEquatableArray());
    }

    /// <summary>Stands for the regions of a layer with passes of its own until <see cref="LayOutOwnPasses"/> places them.</summary>
    private static readonly LayerBuffers Deferred = new("", null);

    /// <summary>The sequence regions of the layers with passes of their own, after every other region of the arena.</summary>
    private static ModeBuffers LayOutOwnPasses(ModelSpec spec, List<LayerPlan> layers, ModeBuffers sequence, ArenaBuilder arena, int steps, int B, bool gradients)
    {
        var buffers = new BufferContext(spec, arena, "", steps, B, gradients, streaming: false);
        var result = sequence.Layers.ToList();
        for (int i = 0; i < layers.Count; i++)
        {
            if (ReferenceEquals(result[i], Deferred)) result[i] = LayerHandler.For(layers[i].Kind).AddBuffers(layers[i], buffers);
        }
        return sequence with { Layers = result.ToEquatableArray() };
    }

    /// <summary>
    /// Hands out arena regions in order, each starting on a 64-byte boundary (a multiple of <see cref="AlignmentFloats"/>
    /// floats from the arena's origin, which the runtime's <c>Unroll.AlignedArena</c> aligns), counting in <c>long</c> so
    /// that an oversized model is reported rather than wrapped.
    /// </summary>
    internal sealed class ArenaBuilder
    {
        public readonly List<BufferPlan> Buffers = new();

        /// <summary>The end of the last region: <c>Layout.Length</c>.</summary>
        public long Length { get; private set; }

        /// <summary>Floats the constructor allocates: the arena and the spare floats that let it start on a 64-byte boundary.</summary>
        public long Allocated => Length + SpareFloats;

        public void Reserve(long length) => Length = Aligned(Length) + length;

        public string Add(string name, long length, string comment)
        {
            long offset = Aligned(Length);
            Buffers.Add(new BufferPlan(name, (int)Math.Min(offset, int.MaxValue), (int)Math.Min(length, int.MaxValue), comment));
            Length = offset + length;
            return name;
        }

        private static long Aligned(long offset) => (offset + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
    }
}
