namespace Unroll.Generators.Layers;

/// <summary>
/// A layer kind's handler over its own spec and plan records (<typeparamref name="TSpec"/>, <typeparamref name="TPlan"/>):
/// the pipeline calls the untyped members, which hand the handler its own types; the defaults are those of a layer with
/// one output per step, no state and nothing to check beyond its sizes.
/// </summary>
internal abstract class LayerHandler<TSpec, TPlan> : LayerHandler where TSpec : LayerSpec where TPlan : LayerPlan
{
    /// <summary>The kind's own spec, and what every layer attribute takes (<c>Trainable</c>).</summary>
    public sealed override LayerSpec? Read(LayerArguments arguments) =>
        ReadSpec(arguments) is { } spec ? spec with { Trainable = arguments.Named("Trainable", true) } : null;

    public sealed override IEnumerable<(string Name, int Value)> Sizes(LayerSpec layer) => Sizes((TSpec)layer);

    public sealed override int? InputWidth(LayerSpec layer) => InputWidth((TSpec)layer);

    public sealed override int OutputWidth(LayerSpec layer, int inputWidth) => OutputWidth((TSpec)layer, inputWidth);

    public sealed override long RecurrentPasses(LayerSpec layer) => RecurrentPasses((TSpec)layer);

    public sealed override bool KeepsTimeAxis(LayerSpec layer) => KeepsTimeAxis((TSpec)layer);

    public sealed override int OutputSteps(LayerSpec layer, int inputSteps) => OutputSteps((TSpec)layer, inputSteps);

    public sealed override string? MapsLength(LayerPlan layer, string length) => MapsLength((TPlan)layer, length);

    public sealed override void CheckOptions(LayerSpec layer, bool positive, List<DiagnosticInfo> diagnostics) => CheckOptions((TSpec)layer, positive, diagnostics);

    public sealed override void AddParameters(LayerSpec layer, int inputWidth, ParameterAdder add) => AddParameters((TSpec)layer, inputWidth, add);

    public sealed override LayerPlan Plan(LayerSpec layer) => Plan((TSpec)layer);

    public sealed override bool CanStream(LayerPlan layer) => CanStream((TPlan)layer);

    public sealed override LayerBuffers AddBuffers(LayerPlan layer, BufferContext c) => AddBuffers((TPlan)layer, c);

    public sealed override LayerPlan AddStates(LayerPlan layer, Planner.ArenaBuilder arena, int batch) => AddStates((TPlan)layer, arena, batch);

    public sealed override IEnumerable<(string Name, long Length, string Comment)> Scratch(LayerPlan layer, int steps, int batch, bool training) =>
        Scratch((TPlan)layer, steps, batch, training);

    public sealed override string Describe(LayerPlan layer) => Describe((TPlan)layer);

    public sealed override string ViewArguments(ModelPlan plan, int index) => ViewArguments(plan, (TPlan)plan.Layers[index], index);

    public sealed override void WriteResetState(SourceWriter w, ModelPlan plan, int index) => WriteResetState(w, plan, (TPlan)plan.Layers[index], index);

    public sealed override void WriteReorderState(SourceWriter w, ModelPlan plan, int index) => WriteReorderState(w, plan, (TPlan)plan.Layers[index], index);

    public sealed override void WriteForward(LayerPass pass) => WriteForward(pass, (TPlan)pass.Layer);

    public sealed override void WriteBackward(LayerPass pass) => WriteBackward(pass, (TPlan)pass.Layer);

    protected abstract TSpec? ReadSpec(LayerArguments arguments);

    protected abstract IEnumerable<(string Name, int Value)> Sizes(TSpec layer);

    protected abstract int? InputWidth(TSpec layer);

    protected abstract int OutputWidth(TSpec layer, int inputWidth);

    protected virtual long RecurrentPasses(TSpec layer) => 0;

    protected virtual bool KeepsTimeAxis(TSpec layer) => true;

    protected virtual int OutputSteps(TSpec layer, int inputSteps) => KeepsTimeAxis(layer) ? inputSteps : 1;

    protected virtual string? MapsLength(TPlan layer, string length) => null;

    protected virtual void CheckOptions(TSpec layer, bool positive, List<DiagnosticInfo> diagnostics)
    {
    }

    protected virtual void AddParameters(TSpec layer, int inputWidth, ParameterAdder add)
    {
    }

    protected abstract TPlan Plan(TSpec layer);

    protected virtual bool CanStream(TPlan layer) => true;

    /// <summary>By default its output and, when the pass keeps gradients, the output's gradient.</summary>
    protected virtual LayerBuffers AddBuffers(TPlan layer, BufferContext c) => OutputBuffers(layer, c);

    protected virtual TPlan AddStates(TPlan layer, Planner.ArenaBuilder arena, int batch) => layer;

    protected virtual IEnumerable<(string Name, long Length, string Comment)> Scratch(TPlan layer, int steps, int batch, bool training) =>
        Array.Empty<(string, long, string)>();

    protected abstract string Describe(TPlan layer);

    protected abstract string ViewArguments(ModelPlan plan, TPlan layer, int index);

    protected virtual void WriteResetState(SourceWriter w, ModelPlan plan, TPlan layer, int index)
    {
    }

    protected virtual void WriteReorderState(SourceWriter w, ModelPlan plan, TPlan layer, int index)
    {
    }

    protected abstract void WriteForward(LayerPass pass, TPlan layer);

    protected abstract void WriteBackward(LayerPass pass, TPlan layer);
}
