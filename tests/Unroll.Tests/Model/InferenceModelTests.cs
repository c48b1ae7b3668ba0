using Xunit;

namespace Unroll.Tests;

/// <summary><see cref="TrainableTagger"/>'s layers for inference only, declared without repeating them.</summary>
[InferenceModel(typeof(TrainableTagger))]
public partial class TaggerTwin;

/// <summary>The same, one sentence at a time and at most 6 tokens.</summary>
[InferenceModel(typeof(TrainableTagger), SequenceLength = 6, BatchSize = 1)]
public partial class TaggerOnDevice;

/// <summary><see cref="StGru"/>'s layers with PyTorch's weights (<c>st_gru.safetensors</c>) compiled in, one row at a time.</summary>
[InferenceModel(typeof(StGru), BatchSize = 1, Weights = "st_gru.safetensors")]
public partial class StGruOnDevice;

/// <summary>
/// <c>[InferenceModel(typeof(Trained))]</c>: the trained model's layers compiled for inference only, exactly as the same
/// layers declared by hand with <c>[Model(InferenceOnly = true)]</c> are, with its own sizes and compiled-in weights.
/// </summary>
public class InferenceModelTests
{
    [Fact]
    public void The_twin_is_the_hand_declared_inference_model_and_gives_the_trained_models_outputs_bit_for_bit()
    {
        // The same compiled model as DeployedTagger, which repeats TrainableTagger's layers by hand.
        Assert.Equal(InferenceOnlyTests.ArenaLength(typeof(DeployedTagger)), InferenceOnlyTests.ArenaLength(typeof(TaggerTwin)));
        Assert.Equal(TrainableTagger.ParameterCount, TaggerTwin.ParameterCount);
        Assert.Equal((TrainableTagger.SequenceLength, TrainableTagger.BatchSize), (TaggerTwin.SequenceLength, TaggerTwin.BatchSize));
        Assert.Equal(DeployedTagger.Summary().Replace(nameof(DeployedTagger), nameof(TaggerTwin), StringComparison.Ordinal), TaggerTwin.Summary());

        var trained = new TrainableTagger(3) { Training = false };
        var twin = new TaggerTwin();
        trained.Parameters.CopyTo(twin.Parameters);
        Assert.Equal(new DeployedTagger().NamedParameters.Select(p => (p.Name, string.Join(",", p.Shape.ToArray()))),
            twin.NamedParameters.Select(p => (p.Name, string.Join(",", p.Shape.ToArray()))));

        int[] tokens = Tokens(2 * 10, seed: 5);
        float[] expected = new float[2 * 10 * 5], actual = new float[expected.Length];
        trained.Forward(tokens, expected);
        twin.Forward(tokens, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_smaller_twin_gives_each_rows_outputs_and_steps_and_loads_the_trained_models_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-twin-{Guid.NewGuid():N}.safetensors");
        try
        {
            var trained = new TrainableTagger(11) { Training = false };
            trained.SaveSafetensors(path);
            var device = new TaggerOnDevice();
            device.LoadSafetensors(path);
            Assert.Equal(trained.Parameters.ToArray(), device.Parameters.ToArray());
            Assert.Equal((6, 1), (TaggerOnDevice.SequenceLength, TaggerOnDevice.BatchSize));

            int[] tokens = Tokens(2 * 6, seed: 9);
            float[] expected = new float[2 * 6 * 5];
            trained.Forward(tokens, expected, 6, null);
            float[] row = new float[6 * 5], step = new float[5];
            for (int b = 0; b < 2; b++)
            {
                device.Forward(tokens.AsSpan(6 * b, 6), row);
                AssertClose(expected.AsSpan(6 * 5 * b, 6 * 5), row);
                device.ResetState();
                for (int t = 0; t < 6; t++)
                {
                    device.Step(tokens.AsSpan(6 * b + t, 1), step);
                    AssertClose(expected.AsSpan((6 * b + t) * 5, 5), step);
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Weights_compiled_into_a_twin_are_the_files()
    {
        var loaded = new StGru(1);
        loaded.LoadSafetensors(Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "st_gru.safetensors"));
        var device = new StGruOnDevice();
        Assert.Equal(loaded.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), device.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));

        var x = new float[2 * 5 * 4];
        new SeededRandom(2).FillUniform(x, -1f, 1f);
        float[] expected = new float[2 * 3], actual = new float[3];
        loaded.Forward(x, expected);
        for (int b = 0; b < 2; b++)
        {
            device.Forward(x.AsSpan(5 * 4 * b, 5 * 4), actual);
            AssertClose(expected.AsSpan(3 * b, 3), actual);
        }
    }

    private static int[] Tokens(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)(random.NextUInt32() % 30);
        return tokens;
    }

    /// <summary>A model compiled for another batch size sums in the same order per row; allow float32 rounding all the same.</summary>
    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f + 1e-5f * Math.Abs(expected[i]), $"[{i}]: {expected[i]:R} vs {actual[i]:R}");
    }
}
