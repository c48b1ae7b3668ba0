using Unroll;
using Unroll.Samples.Audio;

namespace TriggerWord;

/// <summary>The sizes of the model's input and output, and the time each output step stands for.</summary>
internal static class Features
{
    public const int Bins = Spectrogram.Bins;                                       // 129 frequency bins a frame
    public const int Kernel = 15, Stride = 4;                                       // the convolution: 150 ms windows every 40 ms
    public const int Seconds = 5, Samples = Seconds * Spectrogram.SampleRate;       // a training or test mix: 5 s, 40,000 samples
    public const int Frames = (Samples - Spectrogram.Window) / Spectrogram.Hop + 1; // 498 frames: the model's input
    public const int Steps = (Frames - Kernel) / Stride + 1;                        // 121 output steps (OutputSteps(Frames))

    /// <summary>
    /// Output steps labelled 1 after a trigger word's end: 9 steps of 40 ms = 360 ms, the course's 50 steps of its
    /// 1,375 over 10 s (364 ms).
    /// </summary>
    public const int LabelSteps = 9;

    /// <summary>The output steps of <paramref name="frames"/> frames: nn.Conv1d's ⌊(T + 2p − d(k − 1) − 1)/s⌋ + 1 with no padding and no dilation.</summary>
    public static int OutputSteps(int frames) => (frames - Kernel) / Stride + 1;

    /// <summary>The frame that completes output step <paramref name="step"/>'s window: the frame whose <c>Step</c> returns it.</summary>
    public static int LastFrame(int step) => step * Stride + Kernel - 1;

    /// <summary>The sample just after the audio output step <paramref name="step"/> reads: when it can run, and the time it reports.</summary>
    public static int StepEnd(int step) => Spectrogram.FrameEnd(LastFrame(step));

    /// <summary>The standardised frames of a mix: <c>[Frames, Bins]</c> from <see cref="Samples"/> samples.</summary>
    public static void Compute(Spectrogram spectrogram, FeatureScaler scaler, ReadOnlySpan<float> audio, Span<float> frames)
    {
        spectrogram.Compute(audio, frames);
        scaler.Apply(frames);
    }

    /// <summary>Sets the labels <c>[Steps]</c>: 1 for the <see cref="LabelSteps"/> steps from the first step that has heard each trigger word's end, 0 elsewhere.</summary>
    public static void Label(List<int> triggerEnds, Span<float> labels)
    {
        labels.Clear();
        foreach (int end in triggerEnds)
        {
            int first = 0;
            while (first < Steps && StepEnd(first) < end) first++;
            for (int s = first; s < Math.Min(first + LabelSteps, Steps); s++) labels[s] = 1;
        }
    }
}

/// <summary>The clips of one split: "activate", the negative words and the 10 s backgrounds (8 kHz, 16-bit mono WAV).</summary>
internal sealed class ClipSet
{
    private ClipSet(float[][] activates, float[][] negatives, float[][] backgrounds) =>
        (Activates, Negatives, Backgrounds) = (activates, negatives, backgrounds);

    public float[][] Activates { get; }
    public float[][] Negatives { get; }
    public float[][] Backgrounds { get; }

    /// <summary>Reads <c>folder/activate</c>, <c>folder/negatives</c> and <c>folder/backgrounds</c>, each in file-name order.</summary>
    public static ClipSet Load(string folder) => new(Read(folder, "activate"), Read(folder, "negatives"), Read(folder, "backgrounds"));

    private static float[][] Read(string folder, string kind)
    {
        string path = Path.Combine(folder, kind);
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"No clips in {path} (see --clips).");
        return Directory.GetFiles(path, "*.wav").Order(StringComparer.Ordinal).Select(file => Wav.Read(file, Spectrogram.SampleRate)).ToArray();
    }
}

/// <summary>
/// Mixes as the course does: a random 5 s stretch of a random background at a random gain, then 0 to 4 "activate" clips
/// and 0 to 2 other words at random positions that neither overlap nor come within 0.15 s of each other, each at its own
/// gain and speed (0.85 to 1.15, tempo and pitch together, for more voices than the clips hold). An "activate" ends at
/// least 0.4 s before the end of the mix, so that its labelled steps fit. The trigger words' ends are the targets.
/// </summary>
internal sealed class TriggerMixer(ClipSet clips, ulong seed)
{
    private const int Gap = Spectrogram.SampleRate * 15 / 100, Tail = Spectrogram.SampleRate * 4 / 10;
    private readonly Mixer _mixer = new(new SeededRandom(seed));
    private readonly List<(int Start, int End)> _taken = [];
    private readonly float[] _word = new float[Spectrogram.SampleRate * 2];

    /// <summary>Fills <paramref name="audio"/> (<see cref="Features.Samples"/>) with a fresh mix; <paramref name="triggerEnds"/> receives the sample after each "activate", in time order.</summary>
    public void Next(Span<float> audio, List<int> triggerEnds)
    {
        _taken.Clear();
        triggerEnds.Clear();
        _mixer.Background(clips.Backgrounds[_mixer.Next(clips.Backgrounds.Length)], _mixer.Uniform(0.3f, 1.5f), audio);
        int activates = _mixer.Next(5), negatives = _mixer.Next(3);
        for (int i = 0; i < activates + negatives; i++)
        {
            bool trigger = i < activates;
            float[] clip = trigger ? clips.Activates[_mixer.Next(clips.Activates.Length)] : clips.Negatives[_mixer.Next(clips.Negatives.Length)];
            float speed = _mixer.Uniform(0.85f, 1.15f);
            Span<float> word = _word.AsSpan(0, (int)(clip.Length / speed));
            Mixer.Resample(clip, speed, word);
            int start = _mixer.Place(word.Length, audio.Length - (trigger ? Tail : 0), _taken, Gap);
            if (start < 0) continue;
            Mixer.Overlay(word, _mixer.Uniform(0.25f, 1f), audio[start..]);
            if (trigger) triggerEnds.Add(start + word.Length);
        }
        Mixer.Clip(audio);
        triggerEnds.Sort();
    }
}
