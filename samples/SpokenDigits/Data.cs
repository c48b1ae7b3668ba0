using Unroll;
using Unroll.Samples.Audio;

namespace SpokenDigits;

/// <summary>The CTC classes: 0 the blank, 1 the space, then the 15 letters that "zero" … "nine" use.</summary>
internal static class Alphabet
{
    public const string Characters = "_ efghinorstuvwxz";   // '_' stands for the blank, never written
    public const int Classes = 17, Blank = 0;

    /// <summary>Writes the classes of <paramref name="text"/> into <paramref name="labels"/>; returns how many.</summary>
    public static int Encode(string text, Span<int> labels)
    {
        for (int i = 0; i < text.Length; i++)
        {
            int label = Characters.IndexOf(text[i], 1);
            if (label < 1) throw new InvalidDataException($"'{text[i]}' in \"{text}\" is not a character of the digit words.");
            labels[i] = label;
        }
        return text.Length;
    }

    public static string Decode(ReadOnlySpan<int> labels)
    {
        Span<char> text = stackalloc char[labels.Length];
        for (int i = 0; i < labels.Length; i++) text[i] = Characters[labels[i]];
        return new string(text);
    }
}

/// <summary>The model's input, standardised spectrogram frames, and the steps of its output: one every 2 frames (20 ms).</summary>
internal static class Features
{
    public const int Bins = Spectrogram.Bins;                                          // 129
    public const int Kernel = 5, Stride = 2, Padding = 2;                              // the convolution: 65 ms windows every 20 ms
    public const int MaxSamples = Spectrogram.SampleRate * 26 / 10;                    // 2.6 s: the longest clip (2.14 s) slowed by 15 %
    public const int MaxFrames = (MaxSamples - Spectrogram.Window) / Spectrogram.Hop + 1;   // 258: the model's SequenceLength
    public const int MaxSteps = (MaxFrames + 2 * Padding - Kernel) / Stride + 1;       // 129 output steps (OutputSteps(MaxFrames))
    public const int MaxLabels = 32;                                                   // the longest transcript has 27 characters

    /// <summary>The output steps of <paramref name="frames"/> frames: nn.Conv1d's ⌊(T + 2p − d(k − 1) − 1)/s⌋ + 1 (no dilation), CTC's input length.</summary>
    public static int OutputSteps(int frames) => (frames + 2 * Padding - Kernel) / Stride + 1;
}

/// <summary>A split's clips (8 kHz WAV) and transcripts (<c>transcripts.tsv</c>: file, tab, the digits as words).</summary>
internal sealed record DigitClip(float[] Audio, string Text)
{
    public static DigitClip[] Load(string folder)
    {
        string list = Path.Combine(folder, "transcripts.tsv");
        if (!File.Exists(list)) throw new FileNotFoundException($"No transcripts at {list} (see --clips).", list);
        return File.ReadLines(list).Where(line => line.Length > 0).Select(line =>
        {
            string[] fields = line.Split('\t');
            if (fields.Length != 2) throw new InvalidDataException($"{list}: expected \"file<TAB>text\", got \"{line}\".");
            return new DigitClip(Wav.Read(Path.Combine(folder, fields[0]), Spectrogram.SampleRate), fields[1]);
        }).ToArray();
    }
}

/// <summary>
/// Training-time variety for 140 clips: speed (0.85 to 1.15, which also moves the pitch), gain, Gaussian noise at a
/// random level, and SpecAugment's masks on the standardised spectrogram (two bands of up to 12 bins and two spans of
/// up to 8 frames set to the mean). Every draw from one seeded generator.
/// </summary>
internal sealed class Augmenter
{
    private readonly SeededRandom _random;
    private readonly Mixer _mixer;
    private readonly float[] _noise = new float[Features.MaxSamples];

    public Augmenter(ulong seed)
    {
        _random = new SeededRandom(seed);
        _mixer = new Mixer(_random);
    }

    /// <summary>Writes the augmented audio of <paramref name="clip"/> into <paramref name="audio"/>; returns its length.</summary>
    public int Audio(float[] clip, Span<float> audio)
    {
        float speed = _mixer.Uniform(0.85f, 1.15f);
        int length = Math.Min((int)(clip.Length / speed), audio.Length);
        Mixer.Resample(clip, speed, audio[..length]);
        float gain = _mixer.Uniform(0.3f, 1f), noise = MathF.Pow(10, _mixer.Uniform(-4f, -1.7f));   // noise σ from 1e-4 to 0.02
        _random.FillNormal(_noise.AsSpan(0, length));
        for (int i = 0; i < length; i++) audio[i] = gain * audio[i] + noise * _noise[i];
        Mixer.Clip(audio[..length]);
        return length;
    }

    /// <summary>Masks two frequency bands and two time spans of standardised frames (<c>[frames, bins]</c>) with 0, the mean.</summary>
    public void Mask(Span<float> frames, int count)
    {
        for (int m = 0; m < 2; m++)
        {
            int width = _mixer.Next(13), first = _mixer.Next(Features.Bins - width);
            for (int f = 0; f < count; f++) frames.Slice(f * Features.Bins + first, width).Clear();
            int span = Math.Min(_mixer.Next(9), count), start = _mixer.Next(count - span + 1);
            frames.Slice(start * Features.Bins, span * Features.Bins).Clear();
        }
    }
}
