using System.Text.Json;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// samples/TriggerWord's model in small, as Golden/make_triggerword_golden.py builds it in PyTorch; dropout is the identity
/// (p = 0), so that training mode compares exactly while the batch statistics run.
/// </summary>
[Model(SequenceLength = 23, BatchSize = 4)]
public partial class TriggerWordGolden
{
    [Conv1d(6, 8, 5, Stride = 4)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(8)] public partial BatchNormLayer Norm1 { get; }
    [Activation(ActivationFunction.Relu)] public partial ActivationLayer Relu { get; }
    [Dropout(0)] public partial DropoutLayer Drop1 { get; }
    [Gru(8, 6)] public partial GruLayer Rnn1 { get; }
    [Dropout(0)] public partial DropoutLayer Drop2 { get; }
    [BatchNorm(6)] public partial BatchNormLayer Norm2 { get; }
    [Gru(6, 6)] public partial GruLayer Rnn2 { get; }
    [Dropout(0)] public partial DropoutLayer Drop3 { get; }
    [BatchNorm(6)] public partial BatchNormLayer Norm3 { get; }
    [Linear(6, 1)] public partial LinearLayer Head { get; }
}

/// <summary>
/// The trigger-word model as a whole against PyTorch (Golden/triggerword.json): three training batches (padded rows, a
/// smaller batch, full rows) then evaluation ones, each compared on every output step of every row, every parameter
/// gradient, the input's gradient and the three BatchNorms' running statistics; then the stream, frame by frame, equal to
/// the evaluation <c>Forward</c>.
/// </summary>
public class TriggerWordGoldenTests
{
    private const int T = 23, Steps = 5;

    [Fact]
    public void Matches_PyTorch_batch_after_batch()
    {
        var model = new TriggerWordGolden();
        JsonElement golden = BatchNormTests.Load("triggerword");
        foreach (JsonProperty p in golden.GetProperty("params").EnumerateObject()) BatchNormTests.Floats(p.Value).CopyTo(model.NamedParameters[p.Name].Values);

        int batch = 0;
        foreach (JsonElement b in golden.GetProperty("batches").EnumerateArray())
        {
            string what = $"batch {batch++}";
            model.Training = b.GetProperty("training").GetBoolean();
            float[] x = BatchNormTests.Floats(b.GetProperty("x"));
            int[] lengths = b.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            double[] expected = BatchNormTests.Values(b.GetProperty("output"));
            var output = new float[expected.Length];
            model.Forward(x, output, T, lengths);
            for (int r = 0; r < lengths.Length; r++)
            {
                int real = (lengths[r] - 5) / 4 + 1;
                Tolerance.AssertClose(output.AsSpan(r * Steps, real), expected.AsSpan(r * Steps, real), $"{what}: row {r}'s output", 1e-5, 1e-5);
            }

            double[] w = BatchNormTests.Values(b.GetProperty("loss_weights"));
            var inputGradient = new float[x.Length];
            model.ZeroGradients();
            model.Backward(output.Select((o, i) => (float)(2 * w[i] * o)).ToArray(), inputGradient);
            foreach (JsonProperty p in b.GetProperty("grad_params").EnumerateObject())
                Tolerance.AssertClose(model.NamedParameters[p.Name].Gradients, BatchNormTests.Values(p.Value), $"{what}: ∂{p.Name}", 2e-5, 1e-4);
            Tolerance.AssertClose(inputGradient, BatchNormTests.Values(b.GetProperty("grad_x")), $"{what}: ∂x", 2e-5, 1e-4);
            foreach (JsonProperty p in b.GetProperty("buffers").EnumerateObject())
                Tolerance.AssertClose(model.NamedParameters[p.Name].Values, BatchNormTests.Values(p.Value), $"{what}: {p.Name}", 1e-6, 1e-5);
        }

        // The stream, frame by frame from the last state, yields the evaluation Forward's steps: at frames 4, 8, …, 20.
        model.Training = false;
        var frames = new float[4 * T * 6];
        new SeededRandom(3).FillNormal(frames);
        var whole = new float[4 * Steps];
        model.Forward(frames, whole);
        model.ResetState();
        var frame = new float[4 * 6];
        var step = new float[4];
        var yielded = new List<int>();
        for (int t = 0; t < T; t++)
        {
            for (int r = 0; r < 4; r++) frames.AsSpan((r * T + t) * 6, 6).CopyTo(frame.AsSpan(r * 6));
            if (!model.Step(frame, step)) continue;
            for (int r = 0; r < 4; r++) Tolerance.AssertClose(step.AsSpan(r, 1), Layout.ToDouble(whole.AsSpan(r * Steps + yielded.Count, 1)), $"frame {t}, row {r}", 1e-5, 1e-5);
            yielded.Add(t);
        }
        Assert.Equal([4, 8, 12, 16, 20], yielded);
    }
}
