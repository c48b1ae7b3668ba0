namespace Unroll.Samples.Audio;

/// <summary>
/// The front-end of a streaming model, sample by sample: every <see cref="Spectrogram.Hop"/> samples (once the first
/// window is full) it computes a standardised frame, the frame <see cref="Spectrogram.Compute"/> and
/// <see cref="FeatureScaler.Apply"/> give for the whole clip, so a model's <c>Step</c> on each frame gives what its
/// <c>Forward</c> gives on the clip. Allocates nothing after construction.
/// </summary>
internal sealed class StreamingFeatures(FeatureScaler scaler)
{
    private const int Window = Spectrogram.Window;
    private readonly Spectrogram _spectrogram = new();
    private readonly float[] _ring = new float[Window], _window = new float[Window];
    private long _samples;

    /// <summary>Starts a new stream.</summary>
    public void Reset() => _samples = 0;

    /// <summary>Takes one sample; returns true when it completed a frame, written to <paramref name="frame"/> (<see cref="Spectrogram.Bins"/> values).</summary>
    public bool Push(float sample, Span<float> frame)
    {
        _ring[_samples++ % Window] = sample;
        if (_samples < Window || (_samples - Window) % Spectrogram.Hop != 0) return false;

        // The ring's oldest sample first.
        int oldest = (int)(_samples % Window);
        _ring.AsSpan(oldest).CopyTo(_window);
        _ring.AsSpan(0, oldest).CopyTo(_window.AsSpan(Window - oldest));
        _spectrogram.Frame(_window, frame);
        scaler.Apply(frame);
        return true;
    }
}
