using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DateTranslation;
using Xunit;

namespace Unroll.Tests.DateTranslation;

/// <summary>
/// The DateTranslation sample's attention pictures: the grid's layout and shades, and PNG files read
/// back by an independent decoder (chunk order, CRCs, header, inflated pixels).
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
    public void WritePng_WritesAValidGrayscaleImage_OneCellPerWeight()
    {
        string path = Path.Combine(_directory, "map.png");
        AttentionMap.WritePng(path, Weights, targetSteps: 3, sourceSteps: 5, cellSize: 4);

        var image = Png.Read(File.ReadAllBytes(path));
        Assert.Equal(5 * 4, image.Width);
        Assert.Equal(3 * 4, image.Height);
        byte[] expected = [255, 0, 0, 0, 0, 0, 128, 128, 0, 0, 89, 0, 255, 0, 38];
        for (int t = 0; t < 3; t++)
        {
            for (int s = 0; s < 5; s++)
            {
                // Every pixel of the cell, corners and middle.
                foreach ((int dy, int dx) in new[] { (0, 0), (3, 3), (0, 3), (3, 0), (2, 1) })
                {
                    Assert.Equal(expected[t * 5 + s], image.Pixels[(t * 4 + dy) * image.Width + s * 4 + dx]);
                }
            }
        }
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(_directory).Select(Path.GetFileName)); // no temporary file left
    }

    [Fact]
    public void WritePng_ReplacesAnExistingFile_AndIsDeterministic()
    {
        string path = Path.Combine(_directory, "map.png");
        File.WriteAllText(path, "an older, longer file that is not an image at all");
        AttentionMap.WritePng(path, Weights, 3, 5);
        byte[] first = File.ReadAllBytes(path);
        var image = Png.Read(first);
        Assert.Equal((5 * 16, 3 * 16), (image.Width, image.Height));
        AttentionMap.WritePng(path, Weights, 3, 5);
        Assert.Equal(first, File.ReadAllBytes(path));
    }

    [Fact]
    public void WritePng_RejectsBadArguments_AndWritesNothing()
    {
        string path = Path.Combine(_directory, "map.png");
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => AttentionMap.WritePng(path, Weights, 5, 5)).ParamName);
        Assert.Equal("cellSize", Assert.Throws<ArgumentOutOfRangeException>(() => AttentionMap.WritePng(path, Weights, 3, 5, cellSize: 0)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => AttentionMap.WritePng("", Weights, 3, 5)).ParamName);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void PngReader_ComputesTheStandardCrc()
    {
        Assert.Equal(0xCBF43926u, Png.Crc32("123456789"u8)); // the CRC-32 check value
        Assert.Equal(0xAE426082u, Png.Crc32("IEND"u8));      // every PNG's last four bytes
    }

    /// <summary>A PNG reader for exactly what the tests expect: 8-bit grayscale, one IDAT, no filtering.</summary>
    private static class Png
    {
        public sealed record Image(int Width, int Height, byte[] Pixels);

        public static Image Read(byte[] file)
        {
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, file[..8]);
            var chunks = new List<(string Type, byte[] Data)>();
            int position = 8;
            while (position < file.Length)
            {
                int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(position));
                ReadOnlySpan<byte> typeAndData = file.AsSpan(position + 4, 4 + length);
                uint crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(position + 8 + length));
                Assert.Equal(Crc32(typeAndData), crc);
                chunks.Add((Encoding.ASCII.GetString(typeAndData[..4]), typeAndData[4..].ToArray()));
                position += 12 + length;
            }
            Assert.Equal(file.Length, position);
            Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));

            byte[] header = chunks[0].Data;
            Assert.Equal(13, header.Length);
            int width = BinaryPrimitives.ReadInt32BigEndian(header);
            int height = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
            Assert.Equal(new byte[] { 8, 0, 0, 0, 0 }, header[8..]); // 8 bits, grayscale, deflate, filter method 0, no interlace
            Assert.Empty(chunks[2].Data);

            using var inflater = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
            using var raw = new MemoryStream();
            inflater.CopyTo(raw);
            byte[] scanlines = raw.ToArray();
            Assert.Equal(height * (1 + width), scanlines.Length);
            var pixels = new byte[width * height];
            for (int y = 0; y < height; y++)
            {
                Assert.Equal(0, scanlines[y * (1 + width)]); // filter type None
                scanlines.AsSpan(y * (1 + width) + 1, width).CopyTo(pixels.AsSpan(y * width));
            }
            return new Image(width, height, pixels);
        }

        /// <summary>CRC-32 a bit at a time (no table), as the PNG specification's sample code.</summary>
        public static uint Crc32(ReadOnlySpan<byte> data)
        {
            uint crc = 0xFFFFFFFFu;
            foreach (byte b in data)
            {
                crc ^= b;
                for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
            }
            return ~crc;
        }
    }
}
