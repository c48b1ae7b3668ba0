using System.Text.Json;
using Xunit;

namespace Unroll.Tests.Training;

/// <summary>
/// The PyTorch fixtures in Training/Fixtures (written by make_training_fixtures.py): each file holds
/// a list of named cases; tensors are flat lists of float32 values.
/// </summary>
public static class TrainingFixture
{
    private static readonly Dictionary<string, JsonElement[]> Files = [];

    /// <summary>The cases of <paramref name="file"/> (losses, optimizers, clipping, schedules).</summary>
    public static JsonElement[] Cases(string file)
    {
        lock (Files)
        {
            if (!Files.TryGetValue(file, out JsonElement[]? cases))
            {
                string path = Path.Combine(AppContext.BaseDirectory, "Training", "Fixtures", file + ".json");
                using var stream = File.OpenRead(path);
                cases = JsonDocument.Parse(stream).RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
                Files[file] = cases;
            }
            return cases;
        }
    }

    /// <summary>One case by name.</summary>
    public static JsonElement Case(string file, string name) => Cases(file).Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>The names of the cases of <paramref name="file"/> whose name starts with <paramref name="prefix"/>, as xunit theory data.</summary>
    public static TheoryData<string> Names(string file, string prefix = "")
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in Cases(file))
        {
            string name = c.GetProperty("name").GetString()!;
            if (name.StartsWith(prefix, StringComparison.Ordinal)) data.Add(name);
        }
        return data;
    }

    /// <summary>A float32 tensor, read as float32 (the fixture writes each value in a form that reads back exactly).</summary>
    public static float[] Floats(this JsonElement c, string property) => c.GetProperty(property).EnumerateArray().Select(e => e.GetSingle()).ToArray();

    /// <summary>A list of float32 tensors (one per step).</summary>
    public static float[][] FloatRows(this JsonElement c, string property) =>
        c.GetProperty(property).EnumerateArray().Select(row => row.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();

    /// <summary>A list of values PyTorch computed in double (learning rates) or as float32 scalars (losses).</summary>
    public static double[] Doubles(this JsonElement c, string property) => c.GetProperty(property).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>An option of the case, or <paramref name="fallback"/> when PyTorch's default was used.</summary>
    public static float Option(this JsonElement c, string name, float fallback) =>
        c.GetProperty("options").TryGetProperty(name, out JsonElement value) ? value.GetSingle() : fallback;

    /// <summary>|actual − expected| ≤ atol + rtol·|expected| for every value (float32 rounding against PyTorch's float32 results).</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what, double atol = 1e-6, double rtol = 1e-5)
    {
        Assert.True(actual.Length == expected.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < actual.Length; i++) AssertClose(actual[i], expected[i], $"{what}[{i}]", atol, rtol);
    }

    /// <summary>|actual − expected| ≤ atol + rtol·|expected|.</summary>
    public static void AssertClose(double actual, double expected, string what, double atol = 1e-6, double rtol = 1e-5)
    {
        double diff = Math.Abs(actual - expected);
        Assert.True(diff <= atol + rtol * Math.Abs(expected), $"{what}: {actual:R} vs PyTorch {expected:R} (|diff| {diff:E2})");
    }
}
