using Xunit;

namespace Unroll.Tests;

/// <summary>After warm-up, the compiled passes allocate nothing.</summary>
public class AllocationTests
{
    [Fact]
    public void The_measurement_sees_an_allocation_that_every_call_makes()
    {
        object? kept = null;
        Assert.True(Allocations.Of(() => kept = new byte[100]) >= 10 * 100);
        Assert.NotNull(kept);
    }

    [Fact]
    public void Forward_Backward_and_Step_allocate_nothing_for_a_token_model()
    {
        var model = new TokenLm(1);
        var tokens = new int[TokenLm.BatchSize * TokenLm.SequenceLength];
        var output = new float[TokenLm.BatchSize * TokenLm.SequenceLength * TokenLm.OutputSize];
        var gradient = new float[output.Length];
        gradient.AsSpan().Fill(0.1f);
        var stepTokens = new int[TokenLm.BatchSize];
        var stepOutput = new float[TokenLm.BatchSize * TokenLm.OutputSize];

        Assert.Equal(0, Allocations.Of(() => model.Forward(tokens, output)));
        Assert.Equal(0, Allocations.Of(() => model.Forward(tokens.AsSpan(0, 2 * TokenLm.BatchSize), output.AsSpan(0, 2 * TokenLm.BatchSize * TokenLm.OutputSize), 2)));
        model.Forward(tokens, output);
        Assert.Equal(0, Allocations.Of(() => { model.ZeroGradients(); model.Backward(gradient); }));
        Assert.Equal(0, Allocations.Of(() => model.Step(stepTokens, stepOutput)));
        Assert.Equal(0, Allocations.Of(model.ResetState));
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing_for_float_models()
    {
        var bidirectional = new Lstm2LayerBidirectionalModel(1);
        var input = new float[2 * 4 * 3];
        var output = new float[2 * 4 * 10];
        var inputGradient = new float[input.Length];
        Assert.Equal(0, Allocations.Of(() => bidirectional.Forward(input, output)));
        Assert.Equal(0, Allocations.Of(() => bidirectional.Backward(output, inputGradient)));

        var manyToOne = new ManyToOne(1);
        var x = new float[ManyToOne.BatchSize * ManyToOne.SequenceLength * ManyToOne.InputSize];
        var y = new float[ManyToOne.BatchSize * ManyToOne.OutputSize];
        var dx = new float[x.Length];
        Assert.Equal(0, Allocations.Of(() => { manyToOne.Forward(x, y); manyToOne.Backward(y, dx); }));
        var stepInput = new float[ManyToOne.BatchSize * ManyToOne.InputSize];
        Assert.Equal(0, Allocations.Of(() => manyToOne.Step(stepInput, y)));
    }

    [Fact]
    public void Loss_and_optimizer_allocate_nothing()
    {
        var prediction = new float[100];
        var target = new float[100];
        var gradient = new float[100];
        var sgd = new Sgd(prediction.Length, 0.1f);
        Assert.Equal(0, Allocations.Of(() => Loss.MeanSquaredError(prediction, target, gradient)));
        Assert.Equal(0, Allocations.Of(() => sgd.Step(prediction, gradient)));
    }
}
