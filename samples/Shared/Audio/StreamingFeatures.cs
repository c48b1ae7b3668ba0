namespace Unroll.Samples.Audio;

/// <summary>
/// The front-end of a streaming model, sample by sample: every <see cref="Spectrogram.Hop"/> samples (once the first
/// window is full) it computes a standardised frame, and every <c>stride</c> frames (once <c>kernel</c> frames are
/// there) it hands out the last <c>kernel</c> frames stacked, as <see cref="FrameStacker"/> does for a whole clip: the
/// same inputs, so a model's <c>Step</c> on them gives what its <c>Forward</c> gives on the clip. Allocates nothing
/// after construction.
/// </summary>
internal sealed class StreamingFeatures(FeatureScaler scaler, int kernel, int stride)
{
    private const int Bins = Spectrogram.Bins, Window = Spectrogram.Window;
    private readonly Spectrogram _spectrogram = new();
    private readonly float[] _ring = new float[Window], _window = new float[Window];
    private readonly float[] _frames = new float[kernel * Bins];   // the last kernel frames, oldest first
    private long _samples, _frameCount;

    /// <summary>The width of a stacked input: kernel × bins.</summary>
    public int Width => kernel * Bins;

    /// <summary>Starts a new stream.</summary>
    public void Reset() => (_samples, _frameCount) = (0, 0);

    /// <summary>Takes one sample; returns true when it completed a model input, written to <paramref name="stacked"/> (<see cref="Width"/> values).</summary>
    public bool Push(float sample, Span<float> stacked)
    {
        _ring[_samples++ % Window] = sample;
        if (_samples < Window || (_samples - Window) % Spectrogram.Hop != 0) return false;

        // A frame: the ring's oldest sample first, then standardised onto the end of the frame window.
        int oldest = (int)(_samples % Window);
        _ring.AsSpan(oldest).CopyTo(_window);
        _ring.AsSpan(0, oldest).CopyTo(_window.AsSpan(Window - oldest));
        _frames.AsSpan(Bins).CopyTo(_frames);
        Span<float> frame = _frames.AsSpan((kernel - 1) * Bins);
        _spectrogram.Frame(_window, frame);
        scaler.Apply(frame);

        long frameIndex = _frameCount++;
        if (frameIndex < kernel - 1 || (frameIndex - (kernel - 1)) % stride != 0) return false;
        _frames.CopyTo(stacked);
        return true;
    }
}
