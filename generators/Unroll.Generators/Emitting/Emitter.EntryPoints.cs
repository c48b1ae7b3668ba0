using System.Linq;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Emitting;

/// <summary>The public entry points: they check every argument once, before any state changes, then run the cores.</summary>
internal static partial class Emitter
{
    /// <summary>The input's shape in a message, for <paramref name="rows"/> rows (an expression: the batch's rows at run time).</summary>
    internal static string InputShape(ModelPlan plan, string length, string rows = "rows") => plan.Vocabulary > 0
        ? $"[batch {{{rows}}}, length {{{length}}}]"
        : $"[batch {{{rows}}}, length {{{length}}}, features {plan.InputSize}]";

    internal static string OutputShape(ModelPlan plan, string length, string rows = "rows") => plan.SequenceOutput
        ? $"[batch {{{rows}}}, length {{{OutputLength(plan, length)}}}, features {plan.OutputSize}]"
        : $"[batch {{{rows}}}, features {plan.OutputSize}]";

    /// <summary>Values of the output of <paramref name="rows"/> rows.</summary>
    internal static string OutputCount(ModelPlan plan, string length, string rows = "rows") => plan.SequenceOutput
        ? $"{rows} * {OutputLength(plan, length)}{(plan.OutputSize == 1 ? "" : $" * {plan.OutputSize}")}"
        : plan.OutputSize == 1 ? rows : $"{rows} * {plan.OutputSize}";

    /// <summary>The output's steps for <paramref name="length"/> steps of input (see <see cref="LengthAt"/>).</summary>
    internal static string OutputLength(ModelPlan plan, string length) => LengthAt(plan, plan.Layers.Count, length);

    internal static void WriteForwardEntryPoints(SourceWriter w, ModelPlan plan)
    {
        bool tokens = plan.Vocabulary > 0;
        string inputType = tokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        string inputName = tokens ? "tokens" : "input";
        string inputDoc = tokens
            ? $"Token ids, <c>[batch, length]</c> batch-first (a batch of 1 to {plan.BatchSize} rows), each below {plan.Vocabulary}."
            : $"The sequences, <c>[batch, length, {plan.InputSize}]</c> batch-first, row-major (a batch of 1 to {plan.BatchSize} rows).";
        string outputDoc = plan.SequenceOutput
            ? $"Receives <c>[batch, {OutputLength(plan, "length")}, {plan.OutputSize}]</c>."
            : $"Receives the output after the last step, <c>[batch, {plan.OutputSize}]</c>.";
        var last = plan.Sequence.Layers[plan.Layers.Count - 1];

        string keeps = plan.InferenceOnly ? "" : ", keeping what <c>Backward</c> needs";
        w.Line($"/// <summary>Runs the whole network over sequences of <see cref=\"SequenceLength\"/> steps{keeps}.</summary>");
        w.Line($"/// <param name=\"{inputName}\">{inputDoc}</param>");
        w.Line($"/// <param name=\"output\">{outputDoc}</param>");
        w.Line($"public void Forward({inputType} {inputName}, {Span} output) => Forward({inputName}, output, SequenceLength);");
        w.Line();
        w.Line($"/// <summary>Runs the whole network over sequences of <paramref name=\"length\"/> steps (at most <see cref=\"SequenceLength\"/>), from the initial states{keeps}.</summary>");
        w.Line($"/// <param name=\"{inputName}\">{inputDoc.Replace("length", "<paramref name=\"length\"/>")}</param>");
        w.Line($"/// <param name=\"output\">{outputDoc.Replace("length", "<paramref name=\"length\"/>")}</param>");
        w.Line("/// <param name=\"length\">Steps per sequence, 1 to <see cref=\"SequenceLength\"/>.</param>");
        w.Line("/// <param name=\"lengths\">Empty, or per row of the batch the real steps (1 to <paramref name=\"length\"/>): after them a row's recurrent states are held, as PyTorch's packed sequences, and attention gives the padding no weight.</param>");
        w.Line($"/// <remarks>A batch of fewer than {plan.BatchSize} rows (the last of an epoch, say) runs as the first rows of a full batch: each row's output is bit for bit what it would be there.</remarks>");
        w.Line($"/// <exception cref=\"global::System.ArgumentException\">A span or length is out of range{(tokens ? ", or a token is outside the vocabulary" : "")}; nothing has changed.</exception>");
        w.Open($"public void Forward({inputType} {inputName}, {Span} output, int length, global::System.ReadOnlySpan<int> lengths = default)");
        w.Line("CheckLength(length, nameof(length));");
        w.Line($"int rows = BatchRows({inputName}.Length, {(plan.InputSize == 1 ? "length" : $"length * {plan.InputSize}")}, nameof({inputName}), \"{(tokens ? "[batch, length]" : $"[batch, length, features {plan.InputSize}]")}\");");
        w.Line("CheckRowLengths(lengths, length, rows, nameof(lengths));");
        w.Line(SpanCheck("output.Length", OutputCount(plan, "length"), "nameof(output)", $"$\"{OutputShape(plan, "length")}\""));
        if (tokens) w.Line("CheckTokens(tokens, nameof(tokens));");
        w.Line($"{Span} a = Arena;");
        WriteRunSequence(w, plan, inputName, "length", "lengths", "Training", "rows");
        w.Line("_length = length;");
        if (!ReadsBatchRows(plan)) w.Line("_rows = rows;");
        if (plan.SequenceOutput)
        {
            w.Line($"{Blas}.FromTimeMajor(a.Slice(Layout.{last.Output}), output, rows, {plan.BatchSize}, {OutputLength(plan, "length")}, {plan.OutputSize});");
        }
        else
        {
            w.Line($"a.Slice(Layout.{last.Output}, rows * {plan.OutputSize}).CopyTo(output);");
        }
        w.Close();
        w.Line();
    }

    internal static void WriteBackwardEntryPoints(SourceWriter w, ModelPlan plan)
    {
        var last = plan.Sequence.Layers[plan.Layers.Count - 1];
        bool floatInput = plan.Vocabulary == 0;
        w.Line("/// <summary>");
        w.Line("/// Backpropagation through time for the last <c>Forward</c>: adds the parameter gradients into <see cref=\"Gradients\"/>");
        w.Line("/// and writes the initial-state gradients of the recurrent layers (their final-state gradients, zero unless set, enter too).");
        w.Line("/// </summary>");
        w.Line($"/// <param name=\"outputGradient\">∂loss/∂output, shaped as the last <c>Forward</c>'s output.</param>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Forward</c> has run yet.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The span has the wrong length; nothing has changed.</exception>");
        w.Line($"public void Backward({ReadOnlySpan} outputGradient) => Backward(outputGradient, default, inputGradient: false);");
        w.Line();
        if (floatInput)
        {
            w.Line("/// <summary>As <see cref=\"Backward(global::System.ReadOnlySpan{float})\"/>, and writes ∂loss/∂input into <paramref name=\"inputGradient\"/>, shaped as the input.</summary>");
            w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No <c>Forward</c> has run yet.</exception>");
            w.Line("/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length; nothing has changed.</exception>");
            w.Line($"public void Backward({ReadOnlySpan} outputGradient, {Span} inputGradient) => Backward(outputGradient, inputGradient, inputGradient: true);");
            w.Line();
        }
        w.Open($"private void Backward({ReadOnlySpan} outputGradient, {Span} inputGradientValues, bool inputGradient)");
        w.Line("int length = _length, rows = _rows;");
        w.Line("if (length == 0) throw new global::System.InvalidOperationException(\"Backward needs a Forward first: it differentiates the last Forward.\");");
        w.Line(SpanCheck("outputGradient.Length", OutputCount(plan, "length"), "nameof(outputGradient)", $"$\"{OutputShape(plan, "length")}\""));
        if (floatInput)
        {
            w.Line(SpanCheck("inputGradientValues.Length", $"rows * length * {plan.InputSize}", "nameof(inputGradient)", $"$\"{InputShape(plan, "length")}\"", when: "inputGradient"));
        }
        w.Line($"{Span} a = Arena;");
        w.Line("// the rows of the last Forward's batch; the rows past them (a smaller batch) get no gradient");
        if (plan.SequenceOutput)
        {
            w.Line($"{Blas}.ToTimeMajor(outputGradient, a.Slice(Layout.{last.OutputGradient}), rows, {plan.BatchSize}, {OutputLength(plan, "length")}, {plan.OutputSize});");
        }
        else
        {
            w.Line($"outputGradient.CopyTo(a.Slice(Layout.{last.OutputGradient}, rows * {plan.OutputSize}));");
            w.Line($"a.Slice(Layout.{last.OutputGradient} + rows * {plan.OutputSize}, ({plan.BatchSize} - rows) * {plan.OutputSize}).Clear();");
        }
        w.Line("BackwardCore(length, inputGradient);");
        if (floatInput)
        {
            w.Line($"if (inputGradient) {Blas}.FromTimeMajor(a.Slice(Layout.{plan.Sequence.InputGradient}), inputGradientValues, rows, {plan.BatchSize}, length, {plan.InputSize});");
        }
        w.Close();
        w.Line();
    }

    internal static void WriteStepEntryPoints(SourceWriter w, ModelPlan plan)
    {
        bool tokens = plan.Vocabulary > 0;
        var last = plan.Step!.Layers[plan.Layers.Count - 1];
        bool caches = plan.Layers.Select((_, i) => i).Any(i => LayerHandler.For(plan.Layers[i].Kind).CachesSteps(plan, i));
        if (caches)
        {
            w.Line("/// <summary>Streaming: steps since <c>ResetState</c>, the position of the next in the attention layers' key/value caches.</summary>");
            w.Line("private int _stepPosition;");
            w.Line();
        }
        w.Line(caches
            ? "/// <summary>Streaming: sets every recurrent layer's running state (its final state) to its initial state, and empties the attention caches.</summary>"
            : "/// <summary>Streaming: sets every recurrent layer's running state (its final state) to its initial state.</summary>");
        w.Open("public void ResetState()");
        if (caches) w.Line("_stepPosition = 0;");
        w.Line($"{Span} a = Arena;");
        for (int i = 0; i < plan.Layers.Count; i++) LayerHandler.For(plan.Layers[i].Kind).WriteResetState(w, plan, i);
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Streaming: reorders the running states across the batch: row b takes the state row <c>sources[b]</c> had");
        w.Line("/// (beam search keeps the histories of the surviving beams this way).");
        w.Line("/// </summary>");
        OpenReorderState(w, plan);
        if (plan.Layers.Select((_, i) => i).Any(i => LayerHandler.For(plan.Layers[i].Kind).HasRunningState(plan, i)))
        {
            w.Line($"{Span} a = Arena;");
            for (int i = 0; i < plan.Layers.Count; i++) LayerHandler.For(plan.Layers[i].Kind).WriteReorderState(w, plan, i);
        }
        w.Close();
        w.Line();

        string inputType = tokens ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;
        string inputName = tokens ? "tokens" : "input";
        w.Line("/// <summary>");
        w.Line("/// Streaming: advances every sequence of the batch by one step from the running state (see <see cref=\"ResetState\"/>).");
        w.Line($"/// A run of steps gives what <c>Forward</c> gives for the whole sequence.{(plan.InferenceOnly ? "" : " Leaves what <c>Backward</c> needs untouched.")}");
        w.Line("/// </summary>");
        w.Line(tokens
            ? $"/// <param name=\"tokens\">One token id per sequence, <c>[batch]</c> (1 to {plan.BatchSize} sequences: the first rows of the running states).</param>"
            : $"/// <param name=\"input\">One step per sequence, <c>[batch, {plan.InputSize}]</c> (1 to {plan.BatchSize} sequences: the first rows of the running states).</param>");
        w.Line(plan.StepSkips
            ? $"/// <param name=\"output\">Receives <c>[batch, {plan.OutputSize}]</c> when the step yields an output; otherwise left as it is.</param>"
            : $"/// <param name=\"output\">Receives <c>[batch, {plan.OutputSize}]</c>.</param>");
        if (plan.StepSkips)
        {
            w.Line("/// <returns>");
            w.Line("/// <see langword=\"true\"/> when the step wrote <paramref name=\"output\"/>; <see langword=\"false\"/> when a strided layer only took");
            w.Line("/// the input in (it yields an output every stride steps), so the layers after it did not run. A run of steps yields, in order,");
            w.Line("/// the steps <c>Forward</c> gives for the whole sequence.");
            w.Line("/// </returns>");
        }
        w.Line($"/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length{(tokens ? ", or a token is outside the vocabulary" : "")}; nothing has changed.</exception>");
        if (caches) w.Line($"/// <exception cref=\"global::System.InvalidOperationException\"><see cref=\"SequenceLength\"/> steps have run since <see cref=\"ResetState\"/>: the attention caches are full.</exception>");
        w.Open($"public {(plan.StepSkips ? "bool" : "void")} Step({inputType} {inputName}, {Span} output)");
        w.Line($"int rows = BatchRows({inputName}.Length, {plan.InputSize}, nameof({inputName}), \"{(tokens ? "[batch]" : $"[batch, features {plan.InputSize}]")}\");");
        w.Line(SpanCheck("output.Length", $"rows * {plan.OutputSize}", "nameof(output)", $"$\"[batch {{rows}}, features {plan.OutputSize}]\""));
        if (tokens) w.Line("CheckTokens(tokens, nameof(tokens));");
        w.Line($"{Span} a = Arena;");
        w.Line("// the batch's rows, then zeros in the rows past them (a smaller batch)");
        if (tokens)
        {
            w.Line($"global::System.Span<int> stepTokens = global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{plan.Step!.Input}, {plan.BatchSize}));");
            w.Line("tokens.CopyTo(stepTokens);");
            w.Line("stepTokens.Slice(rows).Clear();");
        }
        else
        {
            w.Line($"input.CopyTo(a.Slice(Layout.{plan.Step!.Input}, rows * {plan.InputSize}));");
            w.Line($"a.Slice(Layout.{plan.Step!.Input} + rows * {plan.InputSize}, ({plan.BatchSize} - rows) * {plan.InputSize}).Clear();");
        }
        if (caches)
        {
            w.Line("if (_stepPosition == SequenceLength)");
            w.Line($"    throw new global::System.InvalidOperationException(\"The attention caches hold SequenceLength ({plan.SequenceLength}) steps, and they are full: ResetState starts again.\");");
        }
        if (plan.PacksStepWeights) w.Line("if (a[Layout.Step_WeightsStale] != 0f) PackStepWeights();");
        w.Line(plan.StepSkips ? "if (!StepCore()) return false;" : "StepCore();");
        if (caches) w.Line("_stepPosition++;");
        w.Line($"a.Slice(Layout.{last.Output}, rows * {plan.OutputSize}).CopyTo(output);");
        if (plan.StepSkips) w.Line("return true;");
        w.Close();
        w.Line();
        if (plan.StepSkips)
        {
            string elementType = tokens ? "int" : "float";
            w.Line("/// <summary>As <see cref=\"Step\"/>, for code that drives any step model; <paramref name=\"output\"/> changes only on the steps that yield one.</summary>");
            w.Line($"void global::Unroll.IStepModel<{elementType}>.Step({inputType} {inputName}, {Span} output) => Step({inputName}, output);");
            w.Line();
        }
        if (plan.PacksStepWeights) WritePackingMethods(w, plan);
    }

    /// <summary>
    /// <c>PackStepWeights</c> (what the streaming steps read, packed when the parameters may have changed), then
    /// <c>PackSequenceWeights</c> and <c>PackedWeightsCurrent</c> (what the sequence passes read): each layer's part.
    /// </summary>
    internal static void WritePackingMethods(SourceWriter w, ModelPlan plan)
    {
        w.Line("/// <summary>Packs the weights the streaming steps read. Runs when the parameters may have changed.</summary>");
        w.Open("private void PackStepWeights()");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        WritePacking(w, plan, PackingMethod.StepWeights);
        w.Line("a[Layout.Step_WeightsStale] = 0f;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Packs every W_hhᵀ for the recurrent products of the sequence passes, and notes what it packed.</summary>");
        w.Open("private void PackSequenceWeights()");
        w.Line($"{Span} a = Arena;");
        w.Line(ParameterSlice(plan));
        WritePacking(w, plan, PackingMethod.SequenceWeights);
        w.Close();
        w.Line();
        w.Line("/// <summary>Whether every W_hh is bit for bit what was last packed (a sequence pass checks, however the parameters were written).</summary>");
        w.Open("private bool PackedWeightsCurrent()");
        w.Line($"{Span} a = Arena;");
        WritePacking(w, plan, PackingMethod.WeightsCurrent);
        w.Line("return true;");
        w.Close();
        w.Line();
    }

    private static void WritePacking(SourceWriter w, ModelPlan plan, PackingMethod method)
    {
        for (int i = 0; i < plan.Layers.Count; i++) LayerHandler.For(plan.Layers[i].Kind).WritePacking(w, plan, i, method);
    }

    /// <summary>Opens <c>ReorderState</c> and checks its argument: one source row per batch row, each inside the batch.</summary>
    internal static void OpenReorderState(SourceWriter w, ModelPlan plan)
    {
        w.Line($"/// <exception cref=\"global::System.ArgumentException\"><paramref name=\"sources\"/> is not {plan.BatchSize} long, or names a row outside the batch; nothing has changed.</exception>");
        w.Open("public void ReorderState(global::System.ReadOnlySpan<int> sources)");
        w.Line(SpanCheck("sources.Length", $"{plan.BatchSize}", "nameof(sources)", $"\"[batch {plan.BatchSize}]\""));
        w.Line("for (int b = 0; b < sources.Length; b++)");
        w.Line("{");
        w.Line("    if ((uint)sources[b] >= BatchSize)");
        w.Line($"        throw new global::System.ArgumentOutOfRangeException(nameof(sources), sources[b], $\"Row {{b}} names source row {{sources[b]}}, outside the batch of {plan.BatchSize}.\");");
        w.Line("}");
    }

    /// <summary>
    /// The (checked) input into the arena, time-major, each row's length, the training switch, then <c>ForwardCore</c>:
    /// the common part of <c>Forward</c> and of an encoder–decoder's encoder run. Needs <c>a</c>, the arena.
    /// </summary>
    /// <param name="rows">The batch's rows, as C# (checked: 1 to <c>BatchSize</c>).</param>
    internal static void WriteRunSequence(SourceWriter w, ModelPlan plan, string input, string length, string lengths, string training, string rows)
    {
        for (int i = 0; i < plan.Layers.Count; i++) LayerHandler.For(plan.Layers[i].Kind).WriteRunChecks(w, plan, i, input, length, lengths, training, rows);
        if (plan.Vocabulary > 0)
        {
            w.Line($"global::System.Span<int> ids = global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Slice(Layout.{plan.Sequence.Input}, {length} * {plan.BatchSize}));");
            w.Line($"{input}.CopyTo(ids);");
            w.Line($"ids.Slice({input}.Length).Clear(); // the rows past the batch's (a smaller batch): token 0, their outputs unread");
        }
        else
        {
            w.Line($"// [batch, length, features] → time-major [length, {plan.BatchSize}, features], the rows past the batch's zero");
            w.Line($"{Blas}.ToTimeMajor({input}, a.Slice(Layout.{plan.Sequence.Input}), {rows}, {plan.BatchSize}, {length}, {plan.InputSize});");
        }
        w.Line($"if ({lengths}.IsEmpty) global::System.Array.Fill(_rowLengths, {length});");
        w.Line($"else {lengths}.CopyTo(_rowLengths);");
        w.Line($"global::System.Array.Fill(_rowLengths, {length}, {rows}, {plan.BatchSize} - {rows}); // the rows past the batch's");
        if (!plan.InferenceOnly) w.Line($"_forwardTraining = {training};");
        if (ReadsBatchRows(plan)) w.Line($"_rows = {rows}; // the batch's rows, which the batch statistics count");
        w.Line($"ForwardCore({length});");
    }

    /// <summary>Whether a layer's sequence passes read <c>_rows</c> (see <see cref="LayerHandler.ReadsBatchRows"/>).</summary>
    internal static bool ReadsBatchRows(ModelPlan plan) => plan.Layers.Any(l => LayerHandler.For(l.Kind).ReadsBatchRows);

    /// <summary>A length check whose message (an interpolated string) is built only when it fails, so the check allocates nothing.</summary>
    internal static string SpanCheck(string actual, string expected, string name, string shape, string? when = null) =>
        $"if ({(when is null ? "" : when + " && ")}{actual} != {expected}) ThrowWrongLength({name}, {expected}, {actual}, {shape});";

    internal static void WriteChecks(SourceWriter w, ModelPlan plan)
    {
        string least = plan.MinimumLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string why = plan.MinimumLength > 1 ? " (fewer steps leave a kernel or pool no output step)" : "";
        w.Open("private static void CheckLength(int length, string name)");
        w.Line($"if (length < {least} || length > SequenceLength)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(name, length, $\"The {{name}} must be between {least} and SequenceLength ({plan.SequenceLength}){why}, but is {{length}}.\");");
        w.Close();
        w.Line();
        w.Open("private static void CheckRowLengths(global::System.ReadOnlySpan<int> lengths, int length, int rows, string name)");
        w.Line("if (lengths.IsEmpty) return;");
        w.Line(SpanCheck("lengths.Length", "rows", "name", "$\"[batch {rows}]\""));
        w.Open("for (int b = 0; b < lengths.Length; b++)");
        w.Line($"if (lengths[b] < {least} || lengths[b] > length)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(name, lengths[b], $\"Row {{b}}'s length must be between {least} and {{length}}{why}, but is {{lengths[b]}}.\");");
        w.Close();
        w.Close();
        w.Line();
        w.Line($"/// <summary>The rows of a batch whose span holds <paramref name=\"values\"/>, <paramref name=\"perRow\"/> a row: 1 to {plan.BatchSize}.</summary>");
        w.Open("private static int BatchRows(int values, int perRow, string name, string shape)");
        w.Line("int rows = values / perRow;");
        w.Line("if (values % perRow != 0 || rows < 1 || rows > BatchSize)");
        w.Line($"    throw new global::System.ArgumentException($\"Expected a batch of 1 to {plan.BatchSize} rows of {{perRow}} values ({{shape}}), at most {{BatchSize * perRow}}, but the span holds {{values}}.\", name);");
        w.Line("return rows;");
        w.Close();
        w.Line();
        w.Line("[global::System.Diagnostics.CodeAnalysis.DoesNotReturn]");
        w.Open("private static void ThrowWrongLength(string name, int expected, int actual, string shape)");
        w.Line("throw new global::System.ArgumentException($\"Expected {expected} values ({shape}), but the span holds {actual}.\", name);");
        w.Close();
        if (plan.Vocabulary > 0)
        {
            w.Line();
            w.Open("private static void CheckTokens(global::System.ReadOnlySpan<int> tokens, string name)");
            w.Open("for (int i = 0; i < tokens.Length; i++)");
            w.Line($"if ((uint)tokens[i] >= {plan.Vocabulary})");
            w.Line($"    throw new global::System.ArgumentOutOfRangeException(name, tokens[i], $\"Token {{tokens[i]}} at index {{i}} is outside the vocabulary of {plan.Vocabulary} (ids 0 to {plan.Vocabulary - 1}).\");");
            w.Close();
            w.Close();
        }
    }
}
