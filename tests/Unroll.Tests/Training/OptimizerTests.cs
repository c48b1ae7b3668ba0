using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Training;

/// <summary>
/// SGD, Adam and AdamW against torch.optim (Fixtures/optimizers.json): ten steps from fixed parameters
/// with a fixed gradient per step; the parameters after every step agree within float32 rounding.
/// </summary>
public class OptimizerTests
{
    public static TheoryData<string> Cases => TrainingFixture.Names("optimizers");

    /// <summary>The optimizer a fixture case describes, with PyTorch's defaults for the options it leaves out.</summary>
    private static IOptimizer Create(JsonElement c)
    {
        int count = c.GetProperty("parameter_count").GetInt32();
        JsonElement options = c.GetProperty("options");
        float beta1 = 0.9f, beta2 = 0.999f;
        if (options.TryGetProperty("betas", out JsonElement betas))
        {
            beta1 = betas[0].GetSingle();
            beta2 = betas[1].GetSingle();
        }
        bool Flag(string name) => options.TryGetProperty(name, out JsonElement v) && v.GetBoolean();
        return c.GetProperty("optimizer").GetString() switch
        {
            "SGD" => new Sgd(count, c.Option("lr", float.NaN), c.Option("momentum", 0f), c.Option("dampening", 0f), Flag("nesterov"), c.Option("weight_decay", 0f)),
            "Adam" => new Adam(count, c.Option("lr", 1e-3f), beta1, beta2, c.Option("eps", 1e-8f), c.Option("weight_decay", 0f), Flag("amsgrad")),
            "AdamW" => new AdamW(count, c.Option("lr", 1e-3f), beta1, beta2, c.Option("eps", 1e-8f), c.Option("weight_decay", 1e-2f), Flag("amsgrad")),
            string other => throw new InvalidDataException($"Unknown optimizer {other}"),
            null => throw new InvalidDataException("No optimizer"),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ten_steps_match_PyTorch(string name)
    {
        JsonElement c = TrainingFixture.Case("optimizers", name);
        IOptimizer optimizer = Create(c);
        float[] parameters = c.Floats("initial");
        float[][] gradients = c.FloatRows("gradients"), expected = c.FloatRows("parameters");
        double[] learningRates = c.Doubles("learning_rates");
        Assert.Equal(10, expected.Length);

        for (int step = 0; step < expected.Length; step++)
        {
            optimizer.LearningRate = (float)learningRates[step];
            optimizer.Step(parameters, gradients[step]);
            Assert.Equal(step + 1, optimizer.StepCount);
            TrainingFixture.AssertClose(parameters, expected[step], $"{name} after step {step + 1}");
        }
    }

    [Theory]
    [InlineData("sgd_all")]
    [InlineData("sgd_dampening")]
    [InlineData("adam_amsgrad_weight_decay")]
    [InlineData("adamw_amsgrad")]
    public void Restoring_State_and_StepCount_resumes_bit_for_bit(string name)
    {
        JsonElement c = TrainingFixture.Case("optimizers", name);
        float[][] gradients = c.FloatRows("gradients");

        IOptimizer straight = Create(c);
        float[] uninterrupted = c.Floats("initial");
        foreach (float[] g in gradients) straight.Step(uninterrupted, g);

        IOptimizer first = Create(c);
        float[] parameters = c.Floats("initial");
        for (int step = 0; step < 4; step++) first.Step(parameters, gradients[step]);
        float[] savedState = first.State.ToArray();
        long savedSteps = first.StepCount;

        IOptimizer resumed = Create(c);
        Assert.Equal(savedState.Length, resumed.State.Length);
        savedState.CopyTo(resumed.State);
        resumed.StepCount = savedSteps;
        for (int step = 4; step < gradients.Length; step++) resumed.Step(parameters, gradients[step]);

        Tolerance.AssertIdentical(parameters, uninterrupted, $"{name} resumed");
    }

    [Fact]
    public void Results_do_not_depend_on_the_vector_width()
    {
        // 37 parameters at once take the SIMD loop and its scalar tail; one at a time, only the tail.
        const int Count = 37;
        var random = new SeededRandom(11);
        float[] start = new float[Count];
        random.FillNormal(start);
        float[][] gradients = new float[5][];
        for (int k = 0; k < gradients.Length; k++)
        {
            gradients[k] = new float[Count];
            random.FillNormal(gradients[k]);
        }
        foreach (Func<int, IOptimizer> create in new Func<int, IOptimizer>[]
                 {
                     n => new Sgd(n, 0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f),
                     n => new Sgd(n, 0.1f, momentum: 0.8f, dampening: 0.2f),
                     n => new Adam(n, 0.01f, weightDecay: 0.1f, amsgrad: true),
                     n => new AdamW(n, 0.01f, amsgrad: true),
                 })
        {
            float[] together = (float[])start.Clone(), apart = (float[])start.Clone();
            IOptimizer whole = create(Count);
            IOptimizer[] single = Enumerable.Range(0, Count).Select(_ => create(1)).ToArray();
            foreach (float[] g in gradients)
            {
                whole.Step(together, g);
                for (int i = 0; i < Count; i++) single[i].Step(apart.AsSpan(i, 1), g.AsSpan(i, 1));
            }
            Tolerance.AssertIdentical(together, apart, whole.GetType().Name);
        }
    }

    [Fact]
    public void State_is_one_block_of_every_per_parameter_buffer()
    {
        Assert.Equal(0, new Sgd(10, 0.1f).State.Length);
        Assert.Equal(10, new Sgd(10, 0.1f, momentum: 0.9f).State.Length);
        Assert.Equal(20, new Adam(10).State.Length);
        Assert.Equal(30, new Adam(10, amsgrad: true).State.Length);
        Assert.Equal(30, new AdamW(10, amsgrad: true).State.Length);

        // exp_avg then exp_avg_sq: after one step from zero, (1 − β₁)·g and (1 − β₂)·g².
        var adam = new Adam(2);
        adam.Step(new float[2], [2f, -3f]);
        Assert.Equal([0.1f * 2f, 0.1f * -3f, 0.001f * 2f * 2f, 0.001f * -3f * -3f], adam.State.ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Defaults_are_PyTorchs()
    {
        var adam = new Adam(1);
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay, adam.Amsgrad));
        var adamW = new AdamW(1);
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, false), (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay, adamW.Amsgrad));
        var sgd = new Sgd(1, 0.5f);
        Assert.Equal((0.5f, 0f, 0f, false, 0f), (sgd.LearningRate, sgd.Momentum, sgd.Dampening, sgd.Nesterov, sgd.WeightDecay));
    }

    [Fact]
    public void Constructors_validate_like_PyTorch()
    {
        void OutOfRange(string parameter, Action create) => Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(create).ParamName);

        OutOfRange("parameterCount", () => new Sgd(-1, 0.1f));
        OutOfRange("learningRate", () => new Sgd(1, -0.1f));
        OutOfRange("learningRate", () => new Sgd(1, float.NaN));
        OutOfRange("momentum", () => new Sgd(1, 0.1f, momentum: -0.5f));
        OutOfRange("weightDecay", () => new Sgd(1, 0.1f, weightDecay: -1f));
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new Sgd(1, 0.1f, nesterov: true)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => new Sgd(1, 0.1f, momentum: 0.9f, dampening: 0.1f, nesterov: true)).ParamName);
        _ = new Sgd(0, 0f, momentum: 0.9f, nesterov: true);   // lr = 0 is allowed, as in PyTorch

        foreach (Func<float, float, float, float, float, IOptimizer> create in new Func<float, float, float, float, float, IOptimizer>[]
                 { (lr, b1, b2, eps, wd) => new Adam(3, lr, b1, b2, eps, wd), (lr, b1, b2, eps, wd) => new AdamW(3, lr, b1, b2, eps, wd) })
        {
            OutOfRange("learningRate", () => create(-1e-3f, 0.9f, 0.999f, 1e-8f, 0f));
            OutOfRange("beta1", () => create(1e-3f, 1f, 0.999f, 1e-8f, 0f));
            OutOfRange("beta1", () => create(1e-3f, -0.1f, 0.999f, 1e-8f, 0f));
            OutOfRange("beta2", () => create(1e-3f, 0.9f, 1f, 1e-8f, 0f));
            OutOfRange("beta2", () => create(1e-3f, 0.9f, float.NaN, 1e-8f, 0f));
            OutOfRange("epsilon", () => create(1e-3f, 0.9f, 0.999f, -1e-8f, 0f));
            OutOfRange("weightDecay", () => create(1e-3f, 0.9f, 0.999f, 1e-8f, -0.01f));
            _ = create(0f, 0f, 0f, 0f, 0f);   // every bound that PyTorch allows
        }
        OutOfRange("parameterCount", () => new AdamW(-3));
    }

    [Fact]
    public void Step_checks_the_spans_before_changing_anything()
    {
        foreach (IOptimizer optimizer in new IOptimizer[] { new Sgd(4, 0.1f, momentum: 0.9f), new Adam(4), new AdamW(4, amsgrad: true) })
        {
            float[] parameters = [1, 2, 3, 4];
            var e = Assert.Throws<ArgumentException>(() => optimizer.Step(parameters, new float[3]));
            Assert.Equal("gradients", e.ParamName);
            Assert.Contains("4", e.Message);
            Assert.Contains("3", e.Message);
            e = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[5], new float[4]));
            Assert.Equal("parameters", e.ParamName);
            Assert.Contains("5", e.Message);
            Assert.Equal([1f, 2f, 3f, 4f], parameters);
            Assert.Equal(0, optimizer.StepCount);
            Assert.All(optimizer.State.ToArray(), v => Assert.Equal(0f, v));

            Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -1f);
            Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.StepCount = -1);
        }
    }

    [Fact]
    public void Optimizer_steps_allocate_nothing()
    {
        const int Count = 1000;
        float[] parameters = new float[Count], gradients = new float[Count];
        new SeededRandom(3).FillNormal(gradients);
        foreach (IOptimizer optimizer in new IOptimizer[]
                 {
                     new Sgd(Count, 0.01f), new Sgd(Count, 0.01f, momentum: 0.9f, nesterov: true, weightDecay: 1e-4f),
                     new Adam(Count, weightDecay: 0.1f), new Adam(Count, amsgrad: true), new AdamW(Count),
                 })
        {
            Assert.Equal(0, Allocations.Of(() => optimizer.Step(parameters, gradients)));
        }
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
