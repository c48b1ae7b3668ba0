using static Unroll.Generators.Emitting.Emitter;

namespace Unroll.Generators.Layers;

/// <summary>What a decoder's plan gives the entry points every encoder–decoder model shares.</summary>
internal interface IDecoderPlan
{
    /// <summary>The property's name.</summary>
    string Property { get; }

    /// <summary>Token targets: the target vocabulary; float targets: 0.</summary>
    int Vocabulary { get; }

    /// <summary>Float targets: features per target step (token targets: the embedding's width).</summary>
    int Input { get; }

    /// <summary>Outputs per target step.</summary>
    int Output { get; }
}

/// <summary>The regions of a decoder the shared entry points read and write.</summary>
internal interface IDecoderRegions
{
    /// <summary>Target input ids <c>[batch, time]</c> (int bits), or the target input <c>[time, batch, features]</c>.</summary>
    string Target { get; }

    /// <summary>Float targets: ∂target input (null for inference only).</summary>
    string? TargetGradient { get; }

    /// <summary>Outputs, <c>[time, batch, outputs]</c>.</summary>
    string Output { get; }

    string? OutputGradient { get; }

    /// <summary><c>Step</c>'s previous target step.</summary>
    string StepTarget { get; }

    /// <summary><c>Step</c>'s outputs.</summary>
    string StepOutput { get; }
}

/// <summary>
/// What every decoder kind is: the last layer of an encoder–decoder model, over a target of up to <c>TargetLength</c>
/// steps, whose passes are its own methods and who writes the model's entry points and interfaces; the layers before it
/// are the encoder, whose output it attends over.
/// </summary>
internal abstract class DecoderHandler<TSpec, TPlan> : LayerHandler<TSpec, TPlan> where TSpec : LayerSpec where TPlan : LayerPlan, IDecoderPlan
{
    public override string? NeedsTimeAxis => "Attention layer";

    public override bool MustBeLast => true;

    public override bool UsesTargetLength => true;

    public override bool RunsOwnPasses => true;

    public override bool WritesEntryPoints => true;

    /// <summary>Its input is the target's, not the encoder's output (which it attends over).</summary>
    protected override int? InputWidth(TSpec layer) => null;

    /// <summary>It steps through its own <c>Step</c>, after <c>Encode</c>: the model has no <c>StepCore</c>.</summary>
    protected override bool CanStream(TPlan layer) => false;

    /// <summary>An encoder–decoder model's interfaces: the encoder–decoder one, and (when it trains) the training one.</summary>
    public override IEnumerable<string> ModelInterfaces(ModelPlan plan, int index)
    {
        var d = (TPlan)plan.Layers[index];
        yield return $"global::Unroll.IEncoderDecoderModel<{(plan.Vocabulary > 0 ? "int" : "float")}, {(d.Vocabulary > 0 ? "int" : "float")}>";
        if (!plan.InferenceOnly) yield return "global::Unroll.ISequenceModel";
    }

    /// <summary>The target vocabulary (what <c>Step</c> reads).</summary>
    public override int ModelVocabulary(ModelPlan plan, int index) => ((TPlan)plan.Layers[index]).Vocabulary;

    /// <summary>The target input, and the output over the target steps.</summary>
    public override (IEnumerable<string> Lines, string? Output) Remarks(ModelPlan plan, int index)
    {
        var d = (TPlan)plan.Layers[index];
        string target = d.Vocabulary > 0 ? $"target input ids [{plan.BatchSize}, ≤{plan.TargetLength}] (below {d.Vocabulary})" : $"target input [{plan.BatchSize}, ≤{plan.TargetLength}, {d.Input}]";
        return (new[] { target }, $"output [{plan.BatchSize}, ≤{plan.TargetLength}, {d.Output}]");
    }

    /// <summary>Not part of <c>ForwardCore</c> (<see cref="RunsOwnPasses"/>): <c>DecodeCore</c> runs it.</summary>
    protected override void WriteForward(LayerPass pass, TPlan layer) => throw OwnPasses();

    /// <summary>Not part of <c>BackwardCore</c> (<see cref="RunsOwnPasses"/>): <c>DecodeBackwardCore</c> runs it.</summary>
    protected override void WriteBackward(LayerPass pass, TPlan layer) => throw OwnPasses();

    private InvalidOperationException OwnPasses() => new($"The {Kind} layer's passes are its own methods (DecodeCore, DecodeBackwardCore, DecodeStepCore).");
}

/// <summary>
/// The part of an encoder–decoder model's class every decoder kind (<c>[AttentionDecoder]</c>, <c>[TransformerDecoderLayer]</c>)
/// shares: the constants, the teacher-forced <c>Forward</c> (which calls the model's <c>RunEncoder</c> and the decoder's
/// <c>DecodeCore</c>), <c>Backward</c> (<c>DecodeBackwardCore</c>, then the encoder's <c>BackwardCore</c>), <c>Step</c>'s
/// shell (<c>DecodeStepCore</c>) and the argument checks. The decoder is the model's last layer.
/// </summary>
internal static class Decoders
{
    private const string IntCast = "global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>";

    /// <summary>The model's decoder (its last layer) and its regions of the sequence pass.</summary>
    internal static (IDecoderPlan Plan, IDecoderRegions Regions) Of(ModelPlan plan) =>
        ((IDecoderPlan)plan.Layers[plan.Layers.Count - 1], (IDecoderRegions)plan.Sequence.Layers[plan.Layers.Count - 1].Regions!);

    /// <summary>
    /// Why the decoder at <paramref name="index"/> cannot attend over its encoder's output when a strided layer before it
    /// changes the number of steps (the attention reads the source's own steps and lengths), or null.
    /// </summary>
    internal static string? StridedBefore(ModelSpec spec, int index)
    {
        int T = spec.SequenceLength is > 0 and var length ? length : 0;
        LayerSpec? strided = spec.Layers.Take(index).FirstOrDefault(l => LayerHandler.For(l.Kind).KeepsTimeAxis(l) && LayerHandler.For(l.Kind).OutputSteps(l, T) != T);
        return strided is null ? null
            : $"'{strided.Property}' before it changes the number of steps ({T} → {LayerHandler.For(strided.Kind).OutputSteps(strided, T)}), and the attention reads the source's own steps and lengths";
    }

    /// <summary>The buffer holding the encoder's output (the attention memory), and its gradient.</summary>
    internal static LayerBuffers EncoderOutput(ModelPlan plan) => plan.Sequence.Layers[plan.Layers.Count - 2];

    internal static void WriteConstants(SourceWriter w, ModelPlan plan)
    {
        var (d, _) = Of(plan);
        string source = plan.Vocabulary > 0 ? "int" : "float", target = d.Vocabulary > 0 ? "int" : "float";
        w.Line("/// <summary>The most decoder steps <c>Forward</c> takes; a shorter target may be passed.</summary>");
        w.Line($"public const int TargetLength = {plan.TargetLength};");
        w.Line();
        w.Line(plan.Vocabulary > 0 ? "/// <summary>Source token ids run from 0 to <c>SourceVocabularySize - 1</c>.</summary>" : "/// <summary>The source is float features: 0.</summary>");
        w.Line($"public const int SourceVocabularySize = {plan.Vocabulary};");
        w.Line();
        w.Line(d.Vocabulary > 0 ? "/// <summary>Target token ids (what <c>Step</c> reads) run from 0 to <c>VocabularySize - 1</c>.</summary>" : "/// <summary>The target is float features: 0.</summary>");
        w.Line($"public const int VocabularySize = {d.Vocabulary};");
        w.Line();
        w.Line(d.Vocabulary > 0 ? "/// <summary>Values per target step: one token id.</summary>" : "/// <summary>Features per target step.</summary>");
        w.Line($"public const int TargetInputSize = {(d.Vocabulary > 0 ? 1 : d.Input)};");
        w.Line();
        w.Line($"int global::Unroll.IEncoderDecoderModel<{source}, {target}>.TargetLength => TargetLength;");
        w.Line($"int global::Unroll.IEncoderDecoderModel<{source}, {target}>.SourceVocabularySize => SourceVocabularySize;");
        w.Line();
        w.Line("/// <summary>Target steps of the last <c>Forward</c>.</summary>");
        w.Line("private int _targetLength;");
        w.Line();
        w.Line("/// <summary>Source steps of the last <c>Encode</c> (0 before the first), each row's real ones, and a row of scratch for <c>ReorderState</c>.</summary>");
        w.Line("private int _stepSourceLength;");
        w.Line($"private readonly int[] _stepSourceLengths = new int[{plan.BatchSize}];");
        w.Line($"private readonly int[] _reorderScratch = new int[{plan.BatchSize}];");
        w.Line();
    }

    internal static void WriteForwardEntryPoints(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Of(plan);
        int B = plan.BatchSize;
        bool sourceTokens = plan.Vocabulary > 0, targetTokens = d.Vocabulary > 0;
        string sourceType = sourceTokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        string targetType = targetTokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        var (sourceShape, targetShape, outputShape) = Shapes(plan);
        string targetWidth = targetTokens ? "" : $" * {d.Input}";

        string keeps = plan.InferenceOnly ? "" : ", keeping what <c>Backward</c> needs";
        w.Line($"/// <summary>Teacher-forced pass over full-length sources and targets: runs the encoder, then every decoder step{keeps}.</summary>");
        w.Line($"public void Forward({sourceType} source, {targetType} targetInput, {Span} output) => Forward(source, targetInput, output, SequenceLength, TargetLength);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Teacher-forced pass: runs the encoder over <paramref name=\"sourceLength\"/> steps, then the decoder over");
        w.Line("/// <paramref name=\"targetLength\"/> steps, each reading the target input of its step (the target shifted right behind a start");
        w.Line($"/// token) and attending over the encoder's outputs{(plan.InferenceOnly ? "" : "; keeps what <c>Backward</c> needs")}.");
        w.Line("/// </summary>");
        w.Line(sourceTokens
            ? $"/// <param name=\"source\">Source ids, <c>[batch, sourceLength]</c> batch-first (1 to {B} rows), each below {plan.Vocabulary}.</param>"
            : $"/// <param name=\"source\">Sources, <c>[batch, sourceLength, {plan.InputSize}]</c> batch-first (1 to {B} rows).</param>");
        w.Line(targetTokens
            ? $"/// <param name=\"targetInput\">Target input ids, <c>[batch, targetLength]</c> batch-first, each below {d.Vocabulary}.</param>"
            : $"/// <param name=\"targetInput\">Target inputs, <c>[batch, targetLength, {d.Input}]</c> batch-first.</param>");
        w.Line($"/// <param name=\"output\">Receives <c>[batch, targetLength, {d.Output}]</c>.</param>");
        w.Line("/// <param name=\"sourceLength\">Source steps, 1 to <see cref=\"SequenceLength\"/>.</param>");
        w.Line("/// <param name=\"targetLength\">Decoder steps, 1 to <see cref=\"TargetLength\"/>.</param>");
        w.Line($"/// <param name=\"sourceLengths\">Empty, or per row the real source steps (1 to <paramref name=\"sourceLength\"/>); attention gives the padding after them exactly 0 weight.</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span or length is out of range, or an id is outside its vocabulary; nothing has changed.</exception>");
        w.Open($"public void Forward({sourceType} source, {targetType} targetInput, {Span} output, int sourceLength, int targetLength, global::System.ReadOnlySpan<int> sourceLengths = default)");
        WriteSourceChecks(w, plan, sourceShape);
        w.Line("CheckTargetLength(targetLength);");
        w.Line(SpanCheck("targetInput.Length", $"rows * targetLength{targetWidth}", "nameof(targetInput)", $"$\"{targetShape}\""));
        w.Line(SpanCheck("output.Length", $"rows * targetLength * {d.Output}", "nameof(output)", $"$\"{outputShape}\""));
        if (targetTokens) w.Line("CheckTargetTokens(targetInput, nameof(targetInput));");
        w.Line($"{Span} a = Arena;");
        w.Line($"RunEncoder(source, sourceLength, sourceLengths, rows, training: {(plan.InferenceOnly ? "false" : "Training")});");
        if (targetTokens)
        {
            w.Line($"global::System.Span<int> targetIds = {IntCast}(a.Slice(Layout.{r.Target}, targetLength * {B}));");
            w.Line("targetInput.CopyTo(targetIds);");
            w.Line("targetIds.Slice(targetInput.Length).Clear(); // the rows past the batch's (a smaller batch)");
        }
        else
        {
            w.Line($"{Blas}.ToTimeMajor(targetInput, a.Slice(Layout.{r.Target}), rows, {B}, targetLength, {d.Input}); // → [time, batch, features]");
        }
        w.Line("DecodeCore(sourceLength, targetLength);");
        w.Line("_length = sourceLength;");
        w.Line("_targetLength = targetLength;");
        w.Line("_rows = rows;");
        w.Line($"{Blas}.FromTimeMajor(a.Slice(Layout.{r.Output}), output, rows, {B}, targetLength, {d.Output});");
        w.Close();
        w.Line();
    }

    /// <summary>Backward, for the last teacher-forced <c>Forward</c> (models compiled for training only).</summary>
    internal static void WriteBackwardEntryPoints(SourceWriter w, ModelPlan plan)
    {
        var (d, r) = Of(plan);
        int B = plan.BatchSize;
        bool sourceTokens = plan.Vocabulary > 0, targetTokens = d.Vocabulary > 0;
        var (sourceShape, targetShape, outputShape) = Shapes(plan);
        bool floatSource = !sourceTokens, floatTarget = !targetTokens;
        w.Line("/// <summary>");
        w.Line("/// Backpropagation through the decoder's steps, the attention and the encoder, for the last <c>Forward</c>: adds the");
        w.Line($"/// parameter gradients into <see cref=\"Gradients\"/>. The gradients set on <see cref=\"{d.Property}\"/>'s final states and attention");
        w.Line("/// weights, and on the encoder's final states (zero unless set), enter too.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"outputGradient\">∂loss/∂output, shaped as the last <c>Forward</c>'s output.</param>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Forward</c> has run since the model was created or last encoded.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The span has the wrong length; nothing has changed.</exception>");
        w.Line($"public void Backward({ReadOnlySpan} outputGradient) => Backward(outputGradient, default, default, false, false);");
        w.Line();
        if (floatSource || floatTarget)
        {
            var parameters = new System.Collections.Generic.List<string>();
            if (floatSource) parameters.Add($"{Span} sourceGradient");
            if (floatTarget) parameters.Add($"{Span} targetGradient");
            w.Line($"/// <summary>As <see cref=\"Backward(global::System.ReadOnlySpan{{float}})\"/>, and writes {(floatSource ? "∂loss/∂source" : "")}{(floatSource && floatTarget ? " and " : "")}{(floatTarget ? "∂loss/∂targetInput" : "")}, shaped as the inputs.</summary>");
            w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Forward</c> has run since the model was created or last encoded.</exception>");
            w.Line("/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length; nothing has changed.</exception>");
            w.Line($"public void Backward({ReadOnlySpan} outputGradient, {string.Join(", ", parameters)}) => Backward(outputGradient, {(floatSource ? "sourceGradient" : "default")}, {(floatTarget ? "targetGradient" : "default")}, {(floatSource ? "true" : "false")}, {(floatTarget ? "true" : "false")});");
            w.Line();
        }
        w.Open($"private void Backward({ReadOnlySpan} outputGradient, {Span} sourceGradientValues, {Span} targetGradientValues, bool sourceGradient, bool targetGradient)");
        w.Line("int sourceLength = _length, targetLength = _targetLength, rows = _rows;");
        w.Line("if (sourceLength == 0) throw new global::System.InvalidOperationException(\"Backward needs a Forward first: it differentiates the last Forward (Encode replaces what it kept).\");");
        w.Line(SpanCheck("outputGradient.Length", $"rows * targetLength * {d.Output}", "nameof(outputGradient)", $"$\"{outputShape}\""));
        if (floatSource) w.Line(SpanCheck("sourceGradientValues.Length", $"rows * sourceLength * {plan.InputSize}", "nameof(sourceGradient)", $"$\"{sourceShape}\"", when: "sourceGradient"));
        if (floatTarget) w.Line(SpanCheck("targetGradientValues.Length", $"rows * targetLength * {d.Input}", "nameof(targetGradient)", $"$\"{targetShape}\"", when: "targetGradient"));
        w.Line($"{Span} a = Arena;");
        w.Line("// the rows of the last Forward's batch; the rows past them (a smaller batch) get no gradient");
        w.Line($"{Blas}.ToTimeMajor(outputGradient, a.Slice(Layout.{r.OutputGradient}), rows, {B}, targetLength, {d.Output});");
        w.Line("DecodeBackwardCore(sourceLength, targetLength);");
        w.Line("BackwardCore(sourceLength, sourceGradient);");
        if (floatSource) w.Line($"if (sourceGradient) {Blas}.FromTimeMajor(a.Slice(Layout.{plan.Sequence.InputGradient}), sourceGradientValues, rows, {B}, sourceLength, {plan.InputSize});");
        if (floatTarget) w.Line($"if (targetGradient) {Blas}.FromTimeMajor(a.Slice(Layout.{r.TargetGradient}), targetGradientValues, rows, {B}, targetLength, {d.Input});");
        w.Close();
        w.Line();

    }

    /// <summary>The shapes of the source, target and output arguments, as the checks' messages give them (interpolated holes for the lengths).</summary>
    internal static (string Source, string Target, string Output) Shapes(ModelPlan plan)
    {
        var (d, _) = Of(plan);
        int B = plan.BatchSize;
        return (plan.Vocabulary > 0 ? "[batch {rows}, length {sourceLength}]" : $"[batch {{rows}}, length {{sourceLength}}, features {plan.InputSize}]",
            d.Vocabulary > 0 ? "[batch {rows}, length {targetLength}]" : $"[batch {{rows}}, length {{targetLength}}, features {d.Input}]",
            $"[batch {{rows}}, length {{targetLength}}, features {d.Output}]");
    }

    /// <summary>The checks of a source argument and its lengths, before anything changes.</summary>
    internal static void WriteSourceChecks(SourceWriter w, ModelPlan plan, string sourceShape)
    {
        w.Line("CheckLength(sourceLength, nameof(sourceLength));");
        w.Line($"int rows = BatchRows(source.Length, {(plan.InputSize == 1 ? "sourceLength" : $"sourceLength * {plan.InputSize}")}, nameof(source), \"{(plan.Vocabulary > 0 ? "[batch, length]" : $"[batch, length, features {plan.InputSize}]")}\");");
        if (plan.Vocabulary > 0) w.Line("CheckTokens(source, nameof(source));");
        w.Line("CheckRowLengths(sourceLengths, sourceLength, rows, nameof(sourceLengths));");
    }

    /// <summary>
    /// <c>Step</c>: the checks, the previous target step into the arena, <c>DecodeStepCore</c>, the output out.
    /// <paramref name="weights"/> says where the attention weights go, <paramref name="attends"/> what the step attends over,
    /// <paramref name="check"/> is a check of the decoder's own before anything changes (or null).
    /// </summary>
    internal static void WriteStepEntryPoint(SourceWriter w, ModelPlan plan, string weights, string attends, string? check = null)
    {
        var (d, r) = Of(plan);
        int B = plan.BatchSize;
        bool targetTokens = d.Vocabulary > 0;
        string targetType = targetTokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        w.Line("/// <summary>");
        w.Line($"/// Streaming: one decoder step of every sequence from the running state, {attends};");
        w.Line($"/// {weights}{(plan.InferenceOnly ? "" : " Leaves what <c>Backward</c> needs untouched.")}");
        w.Line("/// </summary>");
        w.Line(targetTokens
            ? $"/// <param name=\"tokens\">The previous target token of each sequence, <c>[{B}]</c> (the start token first).</param>"
            : $"/// <param name=\"input\">The previous target step of each sequence, <c>[{B}, {d.Input}]</c>.</param>");
        w.Line($"/// <param name=\"output\">Receives <c>[{B}, {d.Output}]</c>.</param>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Encode</c> has run yet.</exception>");
        w.Line($"/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length{(targetTokens ? ", or a token is outside the vocabulary" : "")}; nothing has changed.</exception>");
        string stepName = targetTokens ? "tokens" : "input";
        w.Open($"public void Step({targetType} {stepName}, {Span} output)");
        w.Line($"int rows = BatchRows({stepName}.Length, {(targetTokens ? 1 : d.Input)}, nameof({stepName}), \"{(targetTokens ? "[batch]" : $"[batch, features {d.Input}]")}\");");
        w.Line(SpanCheck("output.Length", $"rows * {d.Output}", "nameof(output)", $"$\"[batch {{rows}}, features {d.Output}]\""));
        if (targetTokens) w.Line($"CheckTargetTokens({stepName}, nameof({stepName}));");
        if (check is not null) w.Line(check);
        w.Line("if (_stepSourceLength == 0) throw new global::System.InvalidOperationException(\"Step needs Encode first: it attends over the encoded source.\");");
        w.Line($"{Span} a = Arena;");
        w.Line("// the batch's rows, then zeros in the rows past them (a smaller batch)");
        if (targetTokens)
        {
            w.Line($"global::System.Span<int> stepIds = {IntCast}(a.Slice(Layout.{r.StepTarget}, {B}));");
            w.Line($"{stepName}.CopyTo(stepIds);");
            w.Line("stepIds.Slice(rows).Clear();");
        }
        else
        {
            w.Line($"{stepName}.CopyTo(a.Slice(Layout.{r.StepTarget}, rows * {d.Input}));");
            w.Line($"a.Slice(Layout.{r.StepTarget} + rows * {d.Input}, ({B} - rows) * {d.Input}).Clear();");
        }
        w.Line("DecodeStepCore(_stepSourceLength);");
        w.Line($"a.Slice(Layout.{r.StepOutput}, rows * {d.Output}).CopyTo(output);");
        w.Close();
        w.Line();
    }
    internal static void WriteChecks(SourceWriter w, ModelPlan plan)
    {
        var (d, _) = Of(plan);
        w.Line();
        w.Open("private static void CheckTargetLength(int targetLength)");
        w.Line("if (targetLength < 1 || targetLength > TargetLength)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(nameof(targetLength), targetLength, $\"The target length must be between 1 and TargetLength ({plan.TargetLength}), but is {{targetLength}}.\");");
        w.Close();
        w.Line();
        if (d.Vocabulary > 0)
        {
            w.Line();
            w.Open("private static void CheckTargetTokens(global::System.ReadOnlySpan<int> tokens, string name)");
            w.Open("for (int i = 0; i < tokens.Length; i++)");
            w.Line("if ((uint)tokens[i] >= VocabularySize)");
            w.Line($"    throw new global::System.ArgumentOutOfRangeException(name, tokens[i], $\"Target token {{tokens[i]}} at index {{i}} is outside the target vocabulary of {d.Vocabulary} (ids 0 to {d.Vocabulary - 1}).\");");
            w.Close();
            w.Close();
        }
    }
}
