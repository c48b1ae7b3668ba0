using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// <see cref="Positions.Add"/> and <see cref="Positions.GradientAdd"/> at every width 0–257 (every vector tail) against
/// scalar float32 sums in the same order, which they equal bit for bit; the spans checked at the entry.
/// </summary>
public class PositionalKernelSweepTests
{
    private const int Steps = 3, Batch = 2;

    public static TheoryData<int> Widths => new(Enumerable.Range(0, 258));

    private static float[] Normal(int count, ulong seed)
    {
        var values = new float[count];
        new SeededRandom(seed).FillNormal(values);
        return values;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Add_gives_each_step_its_row_of_the_table(int width)
    {
        float[] x = Normal(Steps * Batch * width, 1), table = Normal((Steps + 1) * width, 2);
        var y = new float[x.Length + 1]; // one float past the rows, which stays
        y[^1] = 7f;
        Positions.Add(x, table, y, Steps, Batch, width);
        for (int t = 0; t < Steps; t++)
        {
            for (int b = 0; b < Batch; b++)
            {
                for (int j = 0; j < width; j++)
                {
                    int at = (t * Batch + b) * width + j;
                    Assert.Equal(x[at] + table[t * width + j], y[at]);
                }
            }
        }
        Assert.Equal(7f, y[^1]);
        Positions.Add(y, table, y, Steps, Batch, width); // in place
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void GradientAdd_sums_each_step_over_the_batch_into_its_row(int width)
    {
        float[] dy = Normal(Steps * Batch * width, 3), gradient = Normal((Steps + 1) * width, 4);
        float[] expected = (float[])gradient.Clone();
        for (int t = 0; t < Steps; t++)
        {
            for (int b = 0; b < Batch; b++)
            {
                for (int j = 0; j < width; j++) expected[t * width + j] += dy[(t * Batch + b) * width + j];
            }
        }
        Positions.GradientAdd(dy, gradient, Steps, Batch, width);
        Assert.Equal(expected, gradient); // the last row, past the steps, unchanged
    }

    [Fact]
    public void Short_spans_are_refused_naming_them()
    {
        var rows = new float[Steps * Batch * 4];
        var table = new float[Steps * 4];
        Assert.Throws<ArgumentException>("x", () => Positions.Add(rows.AsSpan(1), table, rows, Steps, Batch, 4));
        Assert.Throws<ArgumentException>("y", () => Positions.Add(rows, table, rows.AsSpan(1), Steps, Batch, 4));
        Assert.Throws<ArgumentException>("table", () => Positions.Add(rows, table.AsSpan(1), rows, Steps, Batch, 4));
        Assert.Throws<ArgumentException>("outputGradient", () => Positions.GradientAdd(rows.AsSpan(1), table, Steps, Batch, 4));
        Assert.Throws<ArgumentException>("tableGradient", () => Positions.GradientAdd(rows, table.AsSpan(1), Steps, Batch, 4));
        Assert.Throws<ArgumentException>("table", () => Positions.Sinusoidal(table, Steps + 1, 4));
        Assert.Throws<ArgumentOutOfRangeException>("width", () => Positions.Sinusoidal(table, Steps, 0));
    }
}
