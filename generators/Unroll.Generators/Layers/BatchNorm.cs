using System.Globalization;
using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary><c>[BatchNorm(numFeatures, Momentum = 0.1, Eps = 1e-5, Affine = true)]</c> as written.</summary>
internal sealed record BatchNormSpec(int NumFeatures, double Momentum, double Eps, bool Affine) : LayerSpec
{
    public override string Kind => "BatchNorm";
}

/// <summary>
/// A batch normalisation's regions: the sequence pass keeps each feature's mean and 1/σ for <c>Backward</c> (the batch's in
/// training, the running ones otherwise) and the batch's biased variance (null in one step and without training); both
/// passes the affine map <c>y = x ⊙ scale + shift</c> it folds them into.
/// </summary>
internal sealed record BatchNormBuffers(string? Mean, string? Variance, string InverseDeviation, string Scale, string Shift) : LayerRegions;

/// <summary>A batch normalisation's plan: its options; its width is <see cref="LayerPlan.Out"/>.</summary>
internal sealed record BatchNormPlan(double Momentum, double Eps, bool Affine) : LayerPlan
{
    public override string Kind => "BatchNorm";
}

/// <summary>
/// <c>[BatchNorm(numFeatures)]</c> as <c>nn.BatchNorm1d</c> over the features, with the real steps of the caller's rows as
/// its batch: statistics of the batch in training (which update the running ones), the running statistics otherwise and in
/// <c>Step</c>. Padding steps and the rows past a smaller batch get 0.
/// </summary>
internal sealed class BatchNormHandler : LayerHandler<BatchNormSpec, BatchNormPlan>
{
    public override string Kind => "BatchNorm";

    /// <summary>Training statistics count the caller's rows only.</summary>
    public override bool ReadsBatchRows => true;

    protected override BatchNormSpec? ReadSpec(LayerArguments arguments) => arguments.Ints(1) is { } sizes
        ? new BatchNormSpec(sizes[0], arguments.Named("Momentum", 0.1), arguments.Named("Eps", 1e-5), arguments.Named("Affine", true))
        : null;

    protected override IEnumerable<(string Name, int Value)> Sizes(BatchNormSpec layer) => new[] { ("numFeatures", layer.NumFeatures) };

    protected override void CheckOptions(BatchNormSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
        if (!(layer.Eps > 0)) Invalid(layer, "Eps", D(layer.Eps), "above 0", diagnostics);
        if (!(layer.Momentum >= 0 && layer.Momentum <= 1)) Invalid(layer, "Momentum", D(layer.Momentum), "0 to 1", diagnostics);
    }

    protected override int? InputWidth(BatchNormSpec layer) => layer.NumFeatures;

    protected override int OutputWidth(BatchNormSpec layer, int inputWidth) => layer.NumFeatures;

    /// <summary>PyTorch's state dict: <c>weight</c>, <c>bias</c> (when affine), <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>.</summary>
    protected override void AddParameters(BatchNormSpec layer, int inputWidth, ParameterAdder add)
    {
        if (layer.Affine)
        {
            add("weight", new[] { layer.NumFeatures }, InitKind.One, 0);
            add("bias", new[] { layer.NumFeatures }, InitKind.Zero, 0);
        }
        add("running_mean", new[] { layer.NumFeatures }, InitKind.Zero, 0, trainable: false);
        add("running_var", new[] { layer.NumFeatures }, InitKind.One, 0, trainable: false);
        add("num_batches_tracked", Array.Empty<int>(), InitKind.Zero, 0, trainable: false, integer: true);
    }

    protected override BatchNormPlan Plan(BatchNormSpec layer) => new(layer.Momentum, layer.Eps, layer.Affine);

    protected override LayerBuffers AddBuffers(BatchNormPlan layer, BufferContext c)
    {
        LayerBuffers buffers = OutputBuffers(layer, c);
        int F = layer.Out;
        return buffers with
        {
            Regions = new BatchNormBuffers(
                c.Gradients ? c.Add(layer, "Mean", F, $"{layer.Property} mean of each feature (the batch's in training)") : null,
                c.Gradients ? c.Add(layer, "Variance", F, $"{layer.Property} the batch's biased variance of each feature") : null,
                c.Add(layer, "InverseDeviation", F, $"{layer.Property} 1/√(var + eps) of each feature"),
                c.Add(layer, "Scale", F, $"{layer.Property} weight/√(var + eps) of each feature"),
                c.Add(layer, "Shift", F, $"{layer.Property} bias − mean·scale of each feature")),
        };
    }

    protected override string Describe(BatchNormPlan layer) =>
        $"BatchNorm({layer.Out}{(layer.Momentum == 0.1 ? "" : ", momentum = " + D(layer.Momentum))}{(layer.Eps == 1e-5 ? "" : ", eps = " + D(layer.Eps))}{(layer.Affine ? "" : ", affine = false")})";

    protected override string ViewArguments(ModelPlan plan, BatchNormPlan layer, int index)
    {
        string weight = layer.Affine ? ArrayIndex("Layout." + layer.ParameterNames[0]) : "-1";
        string gradient = layer.Affine && layer.Trainable ? GradientOffset(plan, "Layout." + layer.ParameterNames[0]) : "-1";
        return $"_arena, {weight}, {gradient}, {ArrayIndex("Layout." + Buffer(layer, 0))}, {layer.Out}, {F(layer.Momentum)}, {F(layer.Eps)}";
    }

    protected override void WriteForward(LayerPass pass, BatchNormPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        var r = Regions<BatchNormBuffers>(buffers);
        int F = layer.Out;
        string K = "global::Unroll.Kernels.Normalization";
        string feature(string region) => $"a.Slice(Layout.{region}, {F})";
        string parameters = layer.Affine ? $"p.Slice(Layout.{layer.ParameterNames[0]}, {F}), p.Slice(Layout.{layer.ParameterNames[1]}, {F})" : "default, default";
        string map = $"{parameters}, {D(layer.Eps)}, {feature(r.InverseDeviation)}, {feature(r.Scale)}, {feature(r.Shift)}";
        string runningMean = feature(Buffer(layer, 0)), runningVar = feature(Buffer(layer, 1));
        string count = $"{pass.Rows} * {F}";
        if (pass.Streaming)
        {
            w.Line($"// {layer.Property}: {Describe(layer)} with the running statistics: y = x ⊙ scale + shift, " +
                (layer.Affine ? "scale = weight/√(running_var + eps), shift = bias − running_mean·scale" : "scale = 1/√(running_var + eps), shift = −running_mean·scale"));
            w.Line($"{K}.BatchNormScale({runningMean}, {runningVar}, {map});");
            w.Line($"{K}.BatchNormApply(a.Slice(Layout.{pass.Input}, {count}), {feature(r.Scale)}, {feature(r.Shift)}, a.Slice(Layout.{buffers.Output}, {count}), default, {plan.BatchSize}, {plan.BatchSize}, 1, {F});");
            return;
        }
        string rowLengths = layer.SequenceInput ? layer.RowLengths : "default", length = layer.SequenceInput ? layer.Length : "1";
        string apply = $"{K}.BatchNormApply(a.Slice(Layout.{pass.Input}, {count}), {feature(r.Scale)}, {feature(r.Shift)}, a.Slice(Layout.{buffers.Output}, {count}), {rowLengths}, _rows, {plan.BatchSize}, {length}, {F});";
        string over = layer.SequenceInput ? "the real steps of the batch's rows, 0 on the others" : "the batch's rows";
        w.Line($"// {layer.Property}: {Describe(layer)}: y = (x − mean) / √(var + eps){(layer.Affine ? " ⊙ weight + bias" : "")} per feature over {over}");
        if (plan.InferenceOnly)
        {
            w.Line("// with the running statistics");
            w.Line($"{K}.BatchNormScale({runningMean}, {runningVar}, {map});");
            w.Line(apply);
            return;
        }
        w.Open("if (_forwardTraining)");
        w.Line($"// the batch's mean and biased variance over its real values (at least 2: Forward checks), into the running statistics (momentum {D(layer.Momentum)}; running_var unbiased)");
        w.Line($"int count = {K}.BatchNormStatistics(a.Slice(Layout.{pass.Input}, {count}), {rowLengths}, _rows, {plan.BatchSize}, {length}, {F}, {feature(r.Mean!)}, {feature(r.Variance!)});");
        w.Line($"{K}.BatchNormUpdateRunningStatistics({feature(r.Mean!)}, {feature(r.Variance!)}, count, {D(layer.Momentum)}, {runningMean}, {runningVar});");
        w.Line($"a[Layout.{Buffer(layer, 2)}] += 1f; // num_batches_tracked");
        w.Line($"{K}.BatchNormScale({feature(r.Mean!)}, {feature(r.Variance!)}, {map});");
        w.Close();
        w.Open("else");
        w.Line("// the running statistics (the mean kept for Backward)");
        w.Line($"{runningMean}.CopyTo({feature(r.Mean!)});");
        w.Line($"{K}.BatchNormScale({feature(r.Mean!)}, {runningVar}, {map});");
        w.Close();
        w.Line(apply);
    }

    protected override void WriteBackward(LayerPass pass, BatchNormPlan layer)
    {
        var (w, plan, _, buffers) = pass;
        var r = Regions<BatchNormBuffers>(buffers);
        int F = layer.Out;
        string count = $"{pass.Rows} * {F}";
        string? inputGradient = pass.InputGradient;
        string dx = inputGradient is null ? "default" : $"a.Slice(Layout.{inputGradient}, {count})";
        if (inputGradient is not null && pass.Guard.Length > 0) dx = $"inputGradient ? {dx} : default";
        string parameters = !layer.Affine ? "default, default, default"
            : layer.Trainable ? $"p.Slice(Layout.{layer.ParameterNames[0]}, {F}), g.Slice(Layout.{layer.ParameterNames[0]}, {F}), g.Slice(Layout.{layer.ParameterNames[1]}, {F})"
            : $"p.Slice(Layout.{layer.ParameterNames[0]}, {F}), default, default"; // frozen: no weight or bias gradient
        string rowLengths = layer.SequenceInput ? layer.RowLengths : "default", length = layer.SequenceInput ? layer.Length : "1";
        w.Line($"// {layer.Property}: ∂weight += Σ ∂y ⊙ x̂, ∂bias += Σ ∂y over the real values; ∂x through the batch statistics (training) or the fixed affine map");
        w.Line($"global::Unroll.Kernels.Normalization.BatchNormBackward(a.Slice(Layout.{buffers.OutputGradient}, {count}), a.Slice(Layout.{pass.Input}, {count}), a.Slice(Layout.{r.Mean}, {F}), a.Slice(Layout.{r.InverseDeviation}, {F}),");
        w.Line($"    {parameters}, {dx}, {rowLengths}, _rows, {plan.BatchSize}, {length}, {F}, _forwardTraining);");
    }

    /// <summary>
    /// In training, the batch statistics need more than 1 real value per feature (PyTorch refuses fewer): with rows of at
    /// least 1 real step each, only a batch of 1 row can have fewer, when its one row has 1 step here (or no time axis).
    /// </summary>
    public override void WriteRunChecks(SourceWriter w, ModelPlan plan, int index, string input, string length, string lengths, string training, string rows)
    {
        if (plan.InferenceOnly) return;
        LayerPlan layer = plan.Layers[index];
        string steps = layer.SequenceInput ? LengthAt(plan, index, $"({lengths}.IsEmpty ? {length} : {lengths}[0])") : "1";
        string what = layer.SequenceInput ? $"1 row of {{{steps}}} real step(s)" : "1 row (no time axis)";
        w.Line($"// {layer.Property}'s batch statistics need more than 1 real value per feature in training");
        w.Line($"if ({training} && {rows} == 1{(layer.SequenceInput ? $" && {steps} < 2" : "")})");
        w.Line($"    throw new global::System.ArgumentException($\"Expected more than 1 value per channel when training: {layer.Property} ({Describe(layer)}) normalises each feature over the real steps of the batch's rows, and this batch has {what}.\", nameof({input}));");
    }

    /// <summary>The constant of buffer <paramref name="k"/> (0 running_mean, 1 running_var, 2 num_batches_tracked).</summary>
    private static string Buffer(BatchNormPlan layer, int k) => layer.ParameterNames[(layer.Affine ? 2 : 0) + k];

    /// <summary>A double as a C# literal (round-trip).</summary>
    private static string D(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
