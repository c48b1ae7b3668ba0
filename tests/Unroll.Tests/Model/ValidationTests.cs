using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Bad calls throw an <see cref="ArgumentException"/> naming the argument and both sizes, before any
/// state changes: the parameters, gradients, states and the cache of the last Forward stay as they were.
/// </summary>
public class ValidationTests
{
    private static readonly int B = TokenLm.BatchSize, T = TokenLm.SequenceLength, O = TokenLm.OutputSize;

    /// <summary>A model after one Forward, and a snapshot of everything a call could change.</summary>
    private static (TokenLm Model, float[] Snapshot) Prepared()
    {
        var model = new TokenLm(4);
        new SeededRandom(1).FillUniform(model.Rnn.InitialHidden, -1, 1);
        model.Forward(Enumerable.Range(0, B * T).Select(i => i % 11).ToArray(), new float[B * T * O]);
        return (model, Snapshot(model));
    }

    private static float[] Snapshot(TokenLm model) =>
        [.. model.Parameters, .. model.Gradients, .. model.Rnn.FinalHidden, .. model.Rnn.FinalCell, .. model.Rnn.InitialHiddenGradient];

    private static void AssertUnchanged(TokenLm model, float[] snapshot)
    {
        Tolerance.AssertIdentical(Snapshot(model), snapshot, "model state");
        // The cache of the last Forward is intact too: Backward gives what it gave before.
        var gradient = Enumerable.Repeat(0.5f, B * T * O).ToArray();
        var reference = Prepared().Model;
        reference.Backward(gradient);
        model.Backward(gradient);
        Tolerance.AssertIdentical(model.Gradients, reference.Gradients, "gradients of the last Forward");
    }

    [Fact]
    public void Wrong_input_length_names_the_argument_and_both_sizes()
    {
        var (model, snapshot) = Prepared();
        var e = Assert.Throws<ArgumentException>(() => model.Forward(new int[B * T - 1], new float[B * T * O]));
        Assert.Equal("tokens", e.ParamName);
        Assert.Contains($"{B * T}", e.Message);
        Assert.Contains($"{B * T - 1}", e.Message);
        AssertUnchanged(model, snapshot);
    }

    [Fact]
    public void Wrong_output_length_names_the_argument_and_both_sizes()
    {
        var (model, snapshot) = Prepared();
        var e = Assert.Throws<ArgumentException>(() => model.Forward(new int[B * 2], new float[B * 3 * O], 2));
        Assert.Equal("output", e.ParamName);
        Assert.Contains($"{B * 2 * O}", e.Message);
        Assert.Contains($"{B * 3 * O}", e.Message);
        AssertUnchanged(model, snapshot);
    }

    [Fact]
    public void Token_outside_the_vocabulary_is_rejected_before_anything_changes()
    {
        var (model, snapshot) = Prepared();
        var tokens = new int[B * T];
        tokens[5] = TokenLm.VocabularySize;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tokens, new float[B * T * O]));
        Assert.Equal("tokens", e.ParamName);
        Assert.Contains($"{TokenLm.VocabularySize}", e.Message);
        Assert.Contains("index 5", e.Message);
        tokens[5] = -1;
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tokens, new float[B * T * O]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Step(new[] { 0, 99, 0 }, new float[B * O]));
        AssertUnchanged(model, snapshot);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(7)]
    public void Length_outside_1_to_SequenceLength_is_rejected(int length)
    {
        var (model, snapshot) = Prepared();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new int[B * T], new float[B * T * O], length));
        Assert.Equal("length", e.ParamName);
        Assert.Contains($"{TokenLm.SequenceLength}", e.Message);
        Assert.Contains($"{length}", e.Message);
        AssertUnchanged(model, snapshot);
    }

    [Fact]
    public void Backward_checks_the_gradient_against_the_last_Forward()
    {
        var (model, snapshot) = Prepared();
        var e = Assert.Throws<ArgumentException>(() => model.Backward(new float[B * 2 * O]));
        Assert.Equal("outputGradient", e.ParamName);
        Assert.Contains($"{B * T * O}", e.Message);
        AssertUnchanged(model, snapshot);

        var fresh = new ManyToOne();
        Assert.Throws<InvalidOperationException>(() => fresh.Backward(new float[ManyToOne.BatchSize * ManyToOne.OutputSize]));
        var x = new float[ManyToOne.BatchSize * ManyToOne.SequenceLength * ManyToOne.InputSize];
        fresh.Forward(x, new float[ManyToOne.BatchSize * ManyToOne.OutputSize]);
        var ig = Assert.Throws<ArgumentException>(() => fresh.Backward(new float[ManyToOne.BatchSize * ManyToOne.OutputSize], new float[x.Length + 1]));
        Assert.Equal("inputGradient", ig.ParamName);
    }

    [Fact]
    public void Step_checks_its_spans()
    {
        var (model, snapshot) = Prepared();
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => model.Step(new int[B + 1], new float[B * O])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => model.Step(new int[B], new float[O])).ParamName);
        AssertUnchanged(model, snapshot);
    }

    [Fact]
    public void Named_parameters_have_PyTorch_names_and_shapes()
    {
        var model = new TokenLm();
        string[] expected =
        [
            "Embed.weight [11, 5]",
            "Rnn.weight_ih_l0 [28, 5]", "Rnn.weight_hh_l0 [28, 7]", "Rnn.bias_ih_l0 [28]", "Rnn.bias_hh_l0 [28]",
            "Rnn.weight_ih_l1 [28, 7]", "Rnn.weight_hh_l1 [28, 7]", "Rnn.bias_ih_l1 [28]", "Rnn.bias_hh_l1 [28]",
            "Head.weight [11, 7]", "Head.bias [11]",
        ];
        var actual = new List<string>();
        int total = 0;
        foreach (NamedParameter p in model.NamedParameters)
        {
            actual.Add(p.ToString());
            total += p.Length;
        }
        Assert.Equal(expected, actual);
        Assert.Equal(TokenLm.ParameterCount, total);
        Assert.Throws<KeyNotFoundException>(() => model.NamedParameters["Rnn.weight_ih_l2"]);
    }

    [Fact]
    public void Initialisation_follows_PyTorch_defaults_and_the_seed()
    {
        var a = new TokenLm(11);
        var b = new TokenLm(11);
        var c = new TokenLm(12);
        Tolerance.AssertIdentical(a.Parameters, b.Parameters, "same seed");
        Assert.False(a.Parameters.SequenceEqual(c.Parameters));

        // Recurrent weights and biases ~ U(±1/√H); Linear ~ U(±1/√in); Embedding ~ N(0, 1).
        float k = 1 / MathF.Sqrt(7);
        foreach (NamedParameter p in a.NamedParameters)
        {
            float bound = p.Name.StartsWith("Rnn.") || p.Name.StartsWith("Head.") ? k : float.PositiveInfinity;
            foreach (float v in p.Values) Assert.True(Math.Abs(v) <= bound, $"{p.Name}: {v}");
        }
        float[] embedding = a.Embed.Weight.ToArray();
        Assert.True(embedding.Any(v => Math.Abs(v) > k), "an N(0, 1) table has values beyond ±1/√7");
        Assert.Equal(embedding.Length, a.NamedParameters["Embed.weight"].Length);
    }
}
