using Xunit;

namespace Unroll.Tests;

/// <summary><c>Step</c> over a sequence gives what <c>Forward</c> gives, from the same initial state.</summary>
public class StepTests
{
    public static TheoryData<string> Models => new() { "rnn_tanh", "rnn_relu", "lstm", "gru", "lstm_2layer" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Steps_reproduce_Forward(string name)
    {
        var model = ModelAdapter.Create(name);
        var random = new SeededRandom(7);
        random.FillUniform(model.H0(), -1, 1);
        if (model.C0 is not null) random.FillUniform(model.C0(), -1, 1);
        int B = model.Batch, T = model.SequenceLength, F = model.Input, O = model.Output;
        var input = new float[B * T * F];
        random.FillNormal(input);

        var expected = new float[B * T * O];
        model.Forward(input, expected, T);
        float[] finalHidden = model.Hn().ToArray();
        float[] finalCell = model.Cn?.Invoke().ToArray() ?? [];

        model.ResetState!();
        var step = new float[B * F];
        var output = new float[B * O];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++) input.AsSpan((b * T + t) * F, F).CopyTo(step.AsSpan(b * F));
            model.Step!(step, output);
            for (int b = 0; b < B; b++)
            {
                Tolerance.AssertClose(output.AsSpan(b * O, O), Layout.ToDouble(expected.AsSpan((b * T + t) * O, O)), $"step {t} row {b}", 1e-6, 0);
            }
        }
        Tolerance.AssertClose(model.Hn(), Layout.ToDouble(finalHidden), "h_n", 1e-6, 0);
        if (model.Cn is not null) Tolerance.AssertClose(model.Cn(), Layout.ToDouble(finalCell), "c_n", 1e-6, 0);
    }

    [Fact]
    public void Token_model_steps_reproduce_Forward()
    {
        var model = new TokenLm(3);
        int B = TokenLm.BatchSize, T = TokenLm.SequenceLength, O = TokenLm.OutputSize;
        int[] tokens = Enumerable.Range(0, B * T).Select(i => (i * 7 + 3) % TokenLm.VocabularySize).ToArray();
        var expected = new float[B * T * O];
        model.Forward(tokens, expected);

        model.ResetState();
        var step = new int[B];
        var output = new float[B * O];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++) step[b] = tokens[b * T + t];
            model.Step(step, output);
            for (int b = 0; b < B; b++)
                Tolerance.AssertClose(output.AsSpan(b * O, O), Layout.ToDouble(expected.AsSpan((b * T + t) * O, O)), $"step {t} row {b}", 1e-6, 0);
        }
    }

    [Fact]
    public void Many_to_one_step_gives_the_Forward_of_the_prefix()
    {
        var model = new ManyToOne(5);
        int B = ManyToOne.BatchSize, T = ManyToOne.SequenceLength, F = ManyToOne.InputSize, O = ManyToOne.OutputSize;
        var input = new float[B * T * F];
        new SeededRandom(9).FillNormal(input);

        model.ResetState();
        var step = new float[B * F];
        var stepOutput = new float[B * O];
        var prefixOutput = new float[B * O];
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++) input.AsSpan((b * T + t) * F, F).CopyTo(step.AsSpan(b * F));
            model.Step(step, stepOutput);

            // The Forward of the first t + 1 steps ends in the same state.
            var prefix = new float[B * (t + 1) * F];
            for (int b = 0; b < B; b++) input.AsSpan(b * T * F, (t + 1) * F).CopyTo(prefix.AsSpan(b * (t + 1) * F));
            float[] running = model.Rnn.FinalHidden.ToArray();
            model.Forward(prefix, prefixOutput, t + 1);
            Tolerance.AssertClose(stepOutput, Layout.ToDouble(prefixOutput), $"step {t}", 1e-6, 0);
            running.CopyTo(model.Rnn.FinalHidden); // Forward wrote h_n, which is also the running state
        }
    }

    [Fact]
    public void ResetState_restarts_from_the_initial_state()
    {
        var model = new LstmModel(1);
        new SeededRandom(2).FillUniform(model.Rnn.InitialHidden, -1, 1);
        var x = new float[LstmModel.BatchSize * LstmModel.InputSize];
        new SeededRandom(3).FillNormal(x);
        var first = new float[LstmModel.BatchSize * LstmModel.OutputSize];
        var again = new float[first.Length];
        model.ResetState();
        model.Step(x, first);
        model.Step(x, again);
        Assert.False(first.AsSpan().SequenceEqual(again), "the second step starts from the first step's state");
        model.ResetState();
        model.Step(x, again);
        Tolerance.AssertIdentical(again, first, "after ResetState");
    }
}

/// <summary><c>ReorderState</c> moves running states between batch rows, as beam search needs.</summary>
public class ReorderStateTests
{
    [Fact]
    public void Rows_take_the_state_of_their_source_row()
    {
        var model = new Lstm2LayerModel(3);
        new SeededRandom(4).FillUniform(model.Rnn.InitialHidden, -1, 1);
        new SeededRandom(5).FillUniform(model.Rnn.InitialCell, -1, 1);
        model.ResetState();
        var x = new float[2 * 3];
        new SeededRandom(6).FillNormal(x);
        var output = new float[2 * 5];
        model.Step(x, output);

        float[] hidden = model.Rnn.FinalHidden.ToArray(), cell = model.Rnn.FinalCell.ToArray();
        model.ReorderState([1, 0]);
        for (int s = 0; s < 2; s++) // each stacked layer's [2, 5] block has its rows swapped
        {
            for (int b = 0; b < 2; b++)
            {
                Tolerance.AssertIdentical(model.Rnn.FinalHidden.Slice((s * 2 + b) * 5, 5), hidden.AsSpan((s * 2 + 1 - b) * 5, 5), $"h_n layer {s} row {b}");
                Tolerance.AssertIdentical(model.Rnn.FinalCell.Slice((s * 2 + b) * 5, 5), cell.AsSpan((s * 2 + 1 - b) * 5, 5), $"c_n layer {s} row {b}");
            }
        }

        // Both rows from row 0's state: the same input then gives the same output in both rows.
        model.ReorderState([0, 0]);
        x.AsSpan(0, 3).CopyTo(x.AsSpan(3));
        model.Step(x, output);
        Tolerance.AssertIdentical(output.AsSpan(0, 5), output.AsSpan(5, 5), "rows from one state");
    }

    [Fact]
    public void Bad_sources_change_nothing()
    {
        var model = new LstmModel(1);
        new SeededRandom(2).FillUniform(model.Rnn.InitialHidden, -1, 1);
        model.ResetState();
        float[] before = model.Rnn.FinalHidden.ToArray();
        Assert.Equal("sources", Assert.Throws<ArgumentException>(() => model.ReorderState([0])).ParamName);
        Assert.Equal("sources", Assert.Throws<ArgumentOutOfRangeException>(() => model.ReorderState([1, 2])).ParamName);
        Assert.Equal("sources", Assert.Throws<ArgumentOutOfRangeException>(() => model.ReorderState([-1, 0])).ParamName);
        Tolerance.AssertIdentical(model.Rnn.FinalHidden, before, "h_n");
    }
}

/// <summary>
/// <c>Step</c> runs on packed copies of the recurrent weights: whatever changes the parameters (the
/// <c>Parameters</c> block, a named parameter's values, a safetensors file) is seen by the next step.
/// </summary>
public class PackedStepWeightTests
{
    private static float[] StepOnce(IStreamingModel<float> model, float[] input)
    {
        var output = new float[model.BatchSize * model.OutputSize];
        model.ResetState();
        model.Step(input, output);
        return output;
    }

    [Fact]
    public void Changed_parameters_reach_the_next_step()
    {
        var model = new LstmModel();
        var reference = new LstmModel();
        var input = new float[LstmModel.BatchSize * LstmModel.InputSize];
        new SeededRandom(1).FillUniform(input, -1f, 1f);
        StepOnce(model, input); // packs the initial weights

        // Through a named parameter.
        model.NamedParameters["Rnn.weight_ih_l0"].Values[3] += 0.5f;
        float[] afterNamed = StepOnce(model, input);
        model.Parameters.CopyTo(reference.Parameters);
        Tolerance.AssertIdentical(afterNamed, StepOnce(reference, input), "after a named parameter changed");
        Assert.NotEqual(afterNamed, StepOnce(new LstmModel(), input));

        // Through the parameter block, as an optimizer writes it.
        Span<float> parameters = model.Parameters;
        parameters[0] -= 0.25f;
        float[] afterBlock = StepOnce(model, input);
        model.Parameters.CopyTo(reference.Parameters);
        Tolerance.AssertIdentical(afterBlock, StepOnce(reference, input), "after the block changed");

        // Through a safetensors file.
        string path = Path.Combine(Path.GetTempPath(), $"unroll-packed-{Guid.NewGuid():N}.safetensors");
        try
        {
            new LstmModel(7).SaveSafetensors(path);
            model.LoadSafetensors(path);
            Tolerance.AssertIdentical(StepOnce(model, input), StepOnce(new LstmModel(7), input), "after loading a file");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
