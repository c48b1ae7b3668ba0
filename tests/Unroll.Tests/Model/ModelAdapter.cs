namespace Unroll.Tests;

public delegate void ForwardFn(ReadOnlySpan<float> input, Span<float> output, int length);
public delegate void BackwardFn(ReadOnlySpan<float> outputGradient, Span<float> inputGradient);
public delegate void StepFn(ReadOnlySpan<float> input, Span<float> output);
public delegate Span<float> StateFn();

/// <summary>
/// One generated recurrent model seen through delegates, so that a test can run the same checks on
/// every model class (generated models share members by name, not by interface).
/// </summary>
public sealed class ModelAdapter
{
    public required string Name { get; init; }
    public required int Batch { get; init; }
    public required int SequenceLength { get; init; }
    public required int Input { get; init; }
    public required int Output { get; init; }
    public required NamedParameterCollection Parameters { get; init; }
    public required Action ZeroGradients { get; init; }
    public required ForwardFn Forward { get; init; }
    public required BackwardFn Backward { get; init; }
    public StepFn? Step { get; init; }
    public Action? ResetState { get; init; }
    public required StateFn H0 { get; init; }
    public required StateFn Hn { get; init; }
    public required StateFn DH0 { get; init; }
    public required StateFn DHn { get; init; }
    public StateFn? C0 { get; init; }
    public StateFn? Cn { get; init; }
    public StateFn? DC0 { get; init; }
    public StateFn? DCn { get; init; }

    public override string ToString() => Name;

    public static ModelAdapter Create(string name) => name switch
    {
        "rnn_tanh" or "rnn_cell_tanh" => Of(new RnnTanhModel(), m => m.Rnn),
        "rnn_relu" => Of(new RnnReluModel(), m => m.Rnn),
        "lstm" or "lstm_cell" => Of(new LstmModel(), m => m.Rnn),
        "gru" or "gru_cell" => Of(new GruModel(), m => m.Rnn),
        "lstm_2layer" => Of(new Lstm2LayerModel(), m => m.Rnn),
        "gru_bidirectional" => Of(new GruBidirectionalModel(), m => m.Rnn),
        "lstm_2layer_bidirectional" => Of(new Lstm2LayerBidirectionalModel(), m => m.Rnn),
        _ => throw new ArgumentException($"No model for case {name}", nameof(name)),
    };

    private static ModelAdapter Of<T>(T model, Func<T, IRecurrentLayer> rnn) where T : IFeatureInputModel => From(model, rnn(model));

    /// <summary>Any float-input model with one recurrent layer property; the cell views are set for an LSTM.</summary>
    public static ModelAdapter From(IFeatureInputModel m, IRecurrentLayer rnn)
    {
        var stream = m as IStreamingModel<float>;
        LstmLayer? lstm = rnn is LstmLayer l ? l : null;
        return new()
        {
            Name = m.GetType().Name, Batch = m.BatchSize, SequenceLength = m.SequenceLength,
            Input = m.InputSize, Output = m.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
            Forward = (x, y, length) => m.Forward(x, y, length), Backward = m.Backward, Step = stream is null ? null : stream.Step, ResetState = stream is null ? null : stream.ResetState,
            H0 = () => rnn.InitialHidden, Hn = () => rnn.FinalHidden, DH0 = () => rnn.InitialHiddenGradient, DHn = () => rnn.FinalHiddenGradient,
            C0 = lstm is { } c0 ? () => c0.InitialCell : null,
            Cn = lstm is { } cn ? () => cn.FinalCell : null,
            DC0 = lstm is { } dc0 ? () => dc0.InitialCellGradient : null,
            DCn = lstm is { } dcn ? () => dcn.FinalCellGradient : null,
        };
    }
}
