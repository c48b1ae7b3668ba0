namespace Unroll.Samples.Audio;

/// <summary>
/// Makes training audio as the course's trigger-word notebook does: a random stretch of a background clip, with words
/// overlaid at random positions that do not overlap, each at its own gain. Every choice comes from one seeded
/// generator, so a seed gives the same mixes. Nothing is allocated but the list of taken spans the caller passes.
/// </summary>
internal sealed class Mixer(SeededRandom random)
{
    /// <summary>Tries for a free position before giving up on a clip (a crowded mix then holds fewer clips).</summary>
    private const int Tries = 50;

    /// <summary>A number drawn uniformly from [low, high).</summary>
    public float Uniform(float low, float high) => low + (high - low) * random.NextSingle();

    /// <summary>An integer drawn uniformly from [0, n).</summary>
    public int Next(int n) => (int)(random.NextUInt32() % (uint)n);

    /// <summary>Fills <paramref name="output"/> with a stretch of <paramref name="background"/> from a random offset (wrapping around at its end), times <paramref name="gain"/>.</summary>
    public void Background(ReadOnlySpan<float> background, float gain, Span<float> output)
    {
        int offset = Next(background.Length);
        for (int i = 0; i < output.Length; i++) output[i] = gain * background[(offset + i) % background.Length];
    }

    /// <summary>
    /// A random start for a clip of <paramref name="length"/> samples in a mix of <paramref name="mixLength"/> samples
    /// whose span, widened by <paramref name="gap"/> samples on each side, overlaps none in <paramref name="taken"/>; the
    /// span is added to <paramref name="taken"/>. Returns −1 when no such start was found.
    /// </summary>
    public int Place(int length, int mixLength, List<(int Start, int End)> taken, int gap)
    {
        if (length > mixLength) return -1;
        for (int attempt = 0; attempt < Tries; attempt++)
        {
            int start = Next(mixLength - length + 1), end = start + length;
            if (taken.Exists(span => start < span.End + gap && span.Start < end + gap)) continue;
            taken.Add((start, end));
            return start;
        }
        return -1;
    }

    /// <summary>Adds <paramref name="clip"/> times <paramref name="gain"/> into <paramref name="output"/> from its start.</summary>
    public static void Overlay(ReadOnlySpan<float> clip, float gain, Span<float> output)
    {
        for (int i = 0; i < clip.Length; i++) output[i] += gain * clip[i];
    }

    /// <summary>
    /// Plays <paramref name="clip"/> <paramref name="speed"/> times as fast (tempo and pitch together, as a tape would):
    /// output sample i is the clip at position i · speed, linearly interpolated; positions past the end repeat the last sample.
    /// </summary>
    public static void Resample(ReadOnlySpan<float> clip, float speed, Span<float> output)
    {
        for (int i = 0; i < output.Length; i++)
        {
            float position = i * speed;
            int at = Math.Min((int)position, clip.Length - 1), next = Math.Min(at + 1, clip.Length - 1);
            output[i] = clip[at] + (position - at) * (clip[next] - clip[at]);
        }
    }

    /// <summary>Limits the mix to [−1, 1], as a 16-bit recording would clip it.</summary>
    public static void Clip(Span<float> audio)
    {
        for (int i = 0; i < audio.Length; i++) audio[i] = Math.Clamp(audio[i], -1f, 1f);
    }
}
