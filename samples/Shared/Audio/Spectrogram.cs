using System.Numerics.Tensors;
using MathNet.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace Unroll.Samples.Audio;

/// <summary>
/// The log-power spectrogram of 8 kHz audio: frames of 25 ms (200 samples) every 10 ms (80 samples), each multiplied by
/// a Hann window, zero-padded to a 256-point FFT (MathNet.Numerics, radix 2, in place), giving 129 bins from 0 to
/// 4,000 Hz, 31.25 Hz apart; each bin holds ln(|X|² + 1e-10). The course's 101 bins are the same frames through a
/// 200-point FFT (matplotlib's <c>specgram(nfft=200, noverlap=120)</c>); the 256-point FFT covers the same 0–4 kHz at a
/// finer step and needs no Bluestein transform, so a frame allocates nothing.
/// </summary>
internal sealed class Spectrogram
{
    public const int SampleRate = 8000, Window = 200, Hop = 80, FftLength = 256, Bins = FftLength / 2 + 1;

    /// <summary>Frames per second: one every <see cref="Hop"/> samples.</summary>
    public const int FramesPerSecond = SampleRate / Hop;

    private const float Floor = 1e-10f;
    private readonly float[] _hann = new float[Window];
    private readonly Complex32[] _fft = new Complex32[FftLength];

    public Spectrogram()
    {
        // The periodic Hann window, as scipy.signal.get_window("hann", 200) and torch.hann_window(200).
        for (int i = 0; i < Window; i++) _hann[i] = 0.5f - 0.5f * MathF.Cos(2 * MathF.PI * i / Window);
    }

    /// <summary>The frames a clip of <paramref name="samples"/> samples gives (no padding: 0 below one window).</summary>
    public static int Frames(int samples) => samples < Window ? 0 : 1 + (samples - Window) / Hop;

    /// <summary>The sample just after frame <paramref name="frame"/>'s window: the moment it can be computed.</summary>
    public static int FrameEnd(int frame) => frame * Hop + Window;

    /// <summary>One frame: <see cref="Window"/> samples in, <see cref="Bins"/> log-powers out.</summary>
    public void Frame(ReadOnlySpan<float> samples, Span<float> bins)
    {
        for (int i = 0; i < Window; i++) _fft[i] = new Complex32(samples[i] * _hann[i], 0);
        Array.Clear(_fft, Window, FftLength - Window);
        Fourier.Forward(_fft, FourierOptions.NoScaling);
        for (int k = 0; k < Bins; k++) bins[k] = MathF.Log(_fft[k].MagnitudeSquared + Floor);
    }

    /// <summary>The whole clip: writes <c>[Frames(audio.Length), Bins]</c> values and returns the frames.</summary>
    public int Compute(ReadOnlySpan<float> audio, Span<float> features)
    {
        int frames = Frames(audio.Length);
        for (int f = 0; f < frames; f++) Frame(audio.Slice(f * Hop, Window), features.Slice(f * Bins, Bins));
        return frames;
    }
}

/// <summary>
/// Per-bin standardisation of the log-powers: <c>(x − mean) / std</c> with the mean and standard deviation of each bin
/// over training spectrograms, saved beside the model (a safetensors file with tensors <c>mean</c> and <c>std</c>, each
/// <c>[bins]</c>) so that inference scales its input as training did.
/// </summary>
internal sealed class FeatureScaler(int bins)
{
    private readonly float[] _mean = new float[bins], _std = new float[bins];
    private readonly double[] _sum = new double[bins], _squares = new double[bins];
    private long _count;

    /// <summary>Adds frames (<c>[frames, bins]</c>) to the statistics; <see cref="Fit"/> then turns them into the scaling.</summary>
    public void Add(ReadOnlySpan<float> frames)
    {
        for (int i = 0; i < frames.Length; i++)
        {
            double x = frames[i];
            _sum[i % bins] += x;
            _squares[i % bins] += x * x;
        }
        _count += frames.Length / bins;
    }

    /// <summary>Sets each bin's mean and standard deviation from what <see cref="Add"/> saw.</summary>
    public void Fit()
    {
        for (int k = 0; k < bins; k++)
        {
            double mean = _sum[k] / _count;
            _mean[k] = (float)mean;
            _std[k] = (float)Math.Sqrt(Math.Max(_squares[k] / _count - mean * mean, 1e-6));
        }
    }

    /// <summary>Standardises frames (<c>[frames, bins]</c>) in place.</summary>
    public void Apply(Span<float> frames)
    {
        for (int f = 0; f < frames.Length; f += bins)
        {
            Span<float> frame = frames.Slice(f, bins);
            TensorPrimitives.Subtract(frame, _mean, frame);
            TensorPrimitives.Divide(frame, _std, frame);
        }
    }

    public void Save(string path) => Safetensors.Save(path, [("mean", [bins], _mean), ("std", [bins], _std)]);

    public void Load(string path)
    {
        SafetensorsFile file = SafetensorsFile.Read(path);
        file.CopyTo("mean", _mean);
        file.CopyTo("std", _std);
    }
}
