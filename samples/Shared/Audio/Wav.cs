using System.Buffers.Binary;

namespace Unroll.Samples.Audio;

/// <summary>Reads WAV files of 16-bit PCM mono audio (what espeak-ng and sox write), as samples in [-1, 1).</summary>
internal static class Wav
{
    /// <summary>
    /// Reads a RIFF/WAVE file of 16-bit PCM, one channel, at <paramref name="sampleRate"/> Hz. Chunks other than
    /// <c>fmt </c> and <c>data</c> are skipped.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not such a WAV file; the message says what is wrong.</exception>
    public static float[] Read(string path, int sampleRate)
    {
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> file = bytes;
        if (file.Length < 12 || !file[..4].SequenceEqual("RIFF"u8) || !file[8..12].SequenceEqual("WAVE"u8))
            throw Bad(path, "not a RIFF/WAVE file");
        bool sawFormat = false;
        int offset = 12;
        while (offset + 8 <= file.Length)
        {
            ReadOnlySpan<byte> id = file.Slice(offset, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(file[(offset + 4)..]);
            int body = offset + 8;
            if (size < 0 || body + size > file.Length) throw Bad(path, $"chunk '{System.Text.Encoding.ASCII.GetString(id)}' runs past the end of the file");
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16) throw Bad(path, "the fmt chunk is too short");
                ReadOnlySpan<byte> format = file.Slice(body, size);
                int encoding = BinaryPrimitives.ReadUInt16LittleEndian(format);
                int channels = BinaryPrimitives.ReadUInt16LittleEndian(format[2..]);
                int rate = BinaryPrimitives.ReadInt32LittleEndian(format[4..]);
                int bits = BinaryPrimitives.ReadUInt16LittleEndian(format[14..]);
                if (encoding != 1 || bits != 16 || channels != 1)
                    throw Bad(path, $"expected 16-bit PCM mono, got format {encoding}, {bits} bits, {channels} channel(s)");
                if (rate != sampleRate) throw Bad(path, $"expected {sampleRate} Hz, got {rate} Hz");
                sawFormat = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!sawFormat) throw Bad(path, "the data chunk comes before the fmt chunk");
                var samples = new float[size / 2];
                for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(file[(body + 2 * i)..]) / 32768f;
                return samples;
            }
            offset = body + size + (size & 1);   // chunks are padded to an even size
        }
        throw Bad(path, sawFormat ? "no data chunk" : "no fmt chunk");
    }

    private static InvalidDataException Bad(string path, string why) => new($"{path}: {why}.");
}
