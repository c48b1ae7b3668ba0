using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Training;

/// <summary>The schedules against torch.optim.lr_scheduler's recursive values over 30 steps (Fixtures/schedules.json).</summary>
public class LearningRateScheduleTests
{
    public static TheoryData<string> Cases => TrainingFixture.Names("schedules");

    private static ILearningRateSchedule Create(JsonElement c)
    {
        float lr = c.GetProperty("base_lr").GetSingle();
        JsonElement o = c.GetProperty("options");
        int Int(string name, int fallback) => o.TryGetProperty(name, out JsonElement v) ? v.GetInt32() : fallback;
        return c.GetProperty("schedule").GetString() switch
        {
            "StepLR" => new StepLR(lr, Int("step_size", -1), c.Option("gamma", 0.1f)),
            "CosineAnnealingLR" => new CosineAnnealingLR(lr, Int("T_max", -1), c.Option("eta_min", 0f)),
            "LinearLR" => new LinearLR(lr, c.Option("start_factor", 1f / 3), c.Option("end_factor", 1f), Int("total_iters", 5)),
            string other => throw new InvalidDataException($"Unknown schedule {other}"),
            null => throw new InvalidDataException("No schedule"),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rates_match_PyTorch(string name)
    {
        JsonElement c = TrainingFixture.Case("schedules", name);
        ILearningRateSchedule schedule = Create(c);
        double[] expected = c.Doubles("learning_rates");
        for (int step = 0; step < expected.Length; step++)
            TrainingFixture.AssertClose(schedule.LearningRate(step), expected[step], $"{name} step {step}", atol: 1e-9);
    }

    [Fact]
    public void Apply_sets_the_optimizers_rate()
    {
        var optimizer = new Sgd(3, 0.4f);
        var schedule = new StepLR(optimizer.LearningRate, stepSize: 2, gamma: 0.5f);
        schedule.Apply(optimizer, 5);
        Assert.Equal(0.1f, optimizer.LearningRate);
        Assert.Equal(0, Allocations.Of(() => schedule.Apply(optimizer, 3)));
    }

    [Fact]
    public void Arguments_are_checked()
    {
        void OutOfRange(string parameter, Action act) => Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(act).ParamName);
        OutOfRange("step", () => new StepLR(0.1f, 3).LearningRate(-1));
        OutOfRange("step", () => new CosineAnnealingLR(0.1f, 3).LearningRate(-1));
        OutOfRange("step", () => new LinearLR(0.1f).LearningRate(-1));
        OutOfRange("stepSize", () => new StepLR(0.1f, 0));
        OutOfRange("gamma", () => new StepLR(0.1f, 2, -0.5f));
        OutOfRange("baseLearningRate", () => new StepLR(-0.1f, 2));
        OutOfRange("tMax", () => new CosineAnnealingLR(0.1f, 0));
        OutOfRange("etaMin", () => new CosineAnnealingLR(0.1f, 10, float.NaN));
        OutOfRange("startFactor", () => new LinearLR(0.1f, startFactor: 0f));
        OutOfRange("startFactor", () => new LinearLR(0.1f, startFactor: 1.5f));
        OutOfRange("endFactor", () => new LinearLR(0.1f, endFactor: -0.1f));
        OutOfRange("totalIters", () => new LinearLR(0.1f, totalIters: 0));
    }
}
