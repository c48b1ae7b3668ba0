using System.Buffers.Binary;
using DateTranslation;
using Xunit;

namespace Unroll.Tests.DateTranslation;

/// <summary>
/// The DateTranslation sample's attention pictures: the grid's layout and shades, and the PNG heat map's header.
/// </summary>
public sealed class AttentionMapTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("unroll-attention-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>3 output steps × 5 source positions: a diagonal of ones, a half, and a row with NaN and out-of-range values.</summary>
    private static readonly float[] Weights =
    [
        1f,    0f,   0f,   0f, 0f,
        0f,    0.5f, 0.5f, 0f, 0f,
        0.35f, -1f,  2f,   float.NaN, 0.15f,
    ];

    [Fact]
    public void ToGrid_HasAHeaderAndOneLabelledRowPerOutputStep()
    {
        string grid = AttentionMap.ToGrid(Weights, targetSteps: 3, sourceSteps: 5, source: "9 m", target: "19");
        string[] lines = grid.Split('\n');
        Assert.Equal(4 + 1, lines.Length); // four lines, each ending with '\n'
        Assert.Equal("", lines[^1]);
        Assert.All(lines[..^1], line => Assert.Equal(5 + 2, line.Length));
        Assert.Equal("  9␣m  ", lines[0]); // the space shows, the padding is blank
        Assert.Equal("1 █    ", lines[1]);
        Assert.Equal("9  ▒▒  ", lines[2]);
        Assert.Equal("$ ░ █ ·", lines[3]); // 0.35 → ░, −1 and NaN → blank, 2 → █, 0.15 → ·
        Assert.Equal((3 + 1) * (5 + 3), grid.Length);
    }

    [Fact]
    public void ToGrid_ShadesRiseWithTheWeight()
    {
        float[] ramp = [0.05f, 0.15f, 0.45f, 0.55f, 0.85f, 0.95f];
        string grid = AttentionMap.ToGrid(ramp, 1, 6, "abcdef", "1");
        Assert.Equal("1 " + AttentionMap.Shades + "\n", grid.Split('\n', 2)[1]);
        Assert.Equal('█', AttentionMap.Shades[^1]);
    }

    [Fact]
    public void ToGrid_RejectsMismatchedShapes()
    {
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => AttentionMap.ToGrid(Weights, 3, 4, "", "")).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => AttentionMap.ToGrid(Weights, 3, 5, "abcdef", "")).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => AttentionMap.ToGrid(Weights, 3, 5, "", "abcd")).ParamName);
        Assert.Equal("targetSteps", Assert.Throws<ArgumentOutOfRangeException>(() => AttentionMap.ToGrid([], 0, 5, "", "")).ParamName);
    }

    [Fact]
    public void Draw_WritesAPngHeatMap_SizedByTheSteps()
    {
        string path = Path.Combine(_directory, "map.png");
        AttentionMap.Draw(path, Weights, targetSteps: 3, sourceSteps: 5, "ab cd", "xy");
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]); // the PNG signature
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(160 + 30 * 5, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(140 + 30 * 3, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void Draw_RejectsBadArguments_AndWritesNothing()
    {
        string path = Path.Combine(_directory, "map.png");
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => AttentionMap.Draw(path, Weights, 5, 5, "", "")).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => AttentionMap.Draw(path, Weights, 3, 5, "abcdef", "")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => AttentionMap.Draw("", Weights, 3, 5, "", "")).ParamName);
        Assert.Empty(Directory.GetFiles(_directory));
    }
}
