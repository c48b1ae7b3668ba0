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
        "rnn_tanh" or "rnn_cell_tanh" => From(new RnnTanhModel()),
        "rnn_relu" => From(new RnnReluModel()),
        "lstm" or "lstm_cell" => From(new LstmModel()),
        "gru" or "gru_cell" => From(new GruModel()),
        "lstm_2layer" => From(new Lstm2LayerModel()),
        "gru_bidirectional" => From(new GruBidirectionalModel()),
        "lstm_2layer_bidirectional" => From(new Lstm2LayerBidirectionalModel()),
        _ => throw new ArgumentException($"No model for case {name}", nameof(name)),
    };

    public static ModelAdapter From(RnnTanhModel m) => new()
    {
        Name = nameof(RnnTanhModel), Batch = RnnTanhModel.BatchSize, SequenceLength = RnnTanhModel.SequenceLength,
        Input = RnnTanhModel.InputSize, Output = RnnTanhModel.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
        Forward = m.Forward, Backward = m.Backward, Step = m.Step, ResetState = m.ResetState,
        H0 = () => m.Rnn.InitialHidden, Hn = () => m.Rnn.FinalHidden, DH0 = () => m.Rnn.InitialHiddenGradient, DHn = () => m.Rnn.FinalHiddenGradient,
    };

    public static ModelAdapter From(RnnReluModel m) => new()
    {
        Name = nameof(RnnReluModel), Batch = RnnReluModel.BatchSize, SequenceLength = RnnReluModel.SequenceLength,
        Input = RnnReluModel.InputSize, Output = RnnReluModel.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
        Forward = m.Forward, Backward = m.Backward, Step = m.Step, ResetState = m.ResetState,
        H0 = () => m.Rnn.InitialHidden, Hn = () => m.Rnn.FinalHidden, DH0 = () => m.Rnn.InitialHiddenGradient, DHn = () => m.Rnn.FinalHiddenGradient,
    };

    public static ModelAdapter From(GruModel m) => new()
    {
        Name = nameof(GruModel), Batch = GruModel.BatchSize, SequenceLength = GruModel.SequenceLength,
        Input = GruModel.InputSize, Output = GruModel.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
        Forward = m.Forward, Backward = m.Backward, Step = m.Step, ResetState = m.ResetState,
        H0 = () => m.Rnn.InitialHidden, Hn = () => m.Rnn.FinalHidden, DH0 = () => m.Rnn.InitialHiddenGradient, DHn = () => m.Rnn.FinalHiddenGradient,
    };

    public static ModelAdapter From(GruBidirectionalModel m) => new()
    {
        Name = nameof(GruBidirectionalModel), Batch = GruBidirectionalModel.BatchSize, SequenceLength = GruBidirectionalModel.SequenceLength,
        Input = GruBidirectionalModel.InputSize, Output = GruBidirectionalModel.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
        Forward = m.Forward, Backward = m.Backward,
        H0 = () => m.Rnn.InitialHidden, Hn = () => m.Rnn.FinalHidden, DH0 = () => m.Rnn.InitialHiddenGradient, DHn = () => m.Rnn.FinalHiddenGradient,
    };

    public static ModelAdapter From(LstmModel m) => new()
    {
        Name = nameof(LstmModel), Batch = LstmModel.BatchSize, SequenceLength = LstmModel.SequenceLength,
        Input = LstmModel.InputSize, Output = LstmModel.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
        Forward = m.Forward, Backward = m.Backward, Step = m.Step, ResetState = m.ResetState,
        H0 = () => m.Rnn.InitialHidden, Hn = () => m.Rnn.FinalHidden, DH0 = () => m.Rnn.InitialHiddenGradient, DHn = () => m.Rnn.FinalHiddenGradient,
        C0 = () => m.Rnn.InitialCell, Cn = () => m.Rnn.FinalCell, DC0 = () => m.Rnn.InitialCellGradient, DCn = () => m.Rnn.FinalCellGradient,
    };

    public static ModelAdapter From(Lstm2LayerModel m) => new()
    {
        Name = nameof(Lstm2LayerModel), Batch = Lstm2LayerModel.BatchSize, SequenceLength = Lstm2LayerModel.SequenceLength,
        Input = Lstm2LayerModel.InputSize, Output = Lstm2LayerModel.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
        Forward = m.Forward, Backward = m.Backward, Step = m.Step, ResetState = m.ResetState,
        H0 = () => m.Rnn.InitialHidden, Hn = () => m.Rnn.FinalHidden, DH0 = () => m.Rnn.InitialHiddenGradient, DHn = () => m.Rnn.FinalHiddenGradient,
        C0 = () => m.Rnn.InitialCell, Cn = () => m.Rnn.FinalCell, DC0 = () => m.Rnn.InitialCellGradient, DCn = () => m.Rnn.FinalCellGradient,
    };

    public static ModelAdapter From(Lstm2LayerBidirectionalModel m) => new()
    {
        Name = nameof(Lstm2LayerBidirectionalModel), Batch = Lstm2LayerBidirectionalModel.BatchSize, SequenceLength = Lstm2LayerBidirectionalModel.SequenceLength,
        Input = Lstm2LayerBidirectionalModel.InputSize, Output = Lstm2LayerBidirectionalModel.OutputSize, Parameters = m.NamedParameters, ZeroGradients = m.ZeroGradients,
        Forward = m.Forward, Backward = m.Backward,
        H0 = () => m.Rnn.InitialHidden, Hn = () => m.Rnn.FinalHidden, DH0 = () => m.Rnn.InitialHiddenGradient, DHn = () => m.Rnn.FinalHiddenGradient,
        C0 = () => m.Rnn.InitialCell, Cn = () => m.Rnn.FinalCell, DC0 = () => m.Rnn.InitialCellGradient, DCn = () => m.Rnn.FinalCellGradient,
    };
}
