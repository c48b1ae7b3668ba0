using System.Reflection;
using Xunit;

namespace Unroll.Tests;

/// <summary>A token tagger compiled for training (dropout between stacked layers and before the head) …</summary>
[Model(SequenceLength = 10, BatchSize = 2)]
public partial class TrainableTagger
{
    [Embedding(30, 8)] public partial EmbeddingLayer Embed { get; }
    [Lstm(8, 24, NumLayers = 2, Dropout = 0.3)] public partial LstmLayer Rnn { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop { get; }
    [Linear(24, 5)] public partial LinearLayer Head { get; }
}

/// <summary>… and the same layers compiled for inference only.</summary>
[Model(SequenceLength = 10, BatchSize = 2, InferenceOnly = true)]
public partial class DeployedTagger
{
    [Embedding(30, 8)] public partial EmbeddingLayer Embed { get; }
    [Lstm(8, 24, NumLayers = 2, Dropout = 0.3)] public partial LstmLayer Rnn { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop { get; }
    [Linear(24, 5)] public partial LinearLayer Head { get; }
}

/// <summary>A float-input attention model (no Step: non-causal), for inference only.</summary>
[Model(SequenceLength = 6, BatchSize = 3, InferenceOnly = true)]
public partial class DeployedEncoder
{
    [SelfAttention(8, NumHeads = 2)] public partial SelfAttentionLayer Attn { get; }
    [LayerNorm(8)] public partial LayerNormLayer Norm { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

[Model(SequenceLength = 6, BatchSize = 3)]
public partial class TrainableEncoder
{
    [SelfAttention(8, NumHeads = 2)] public partial SelfAttentionLayer Attn { get; }
    [LayerNorm(8)] public partial LayerNormLayer Norm { get; }
    [Linear(8, 2)] public partial LinearLayer Head { get; }
}

/// <summary>
/// <c>[Model(InferenceOnly = true)]</c>: the same outputs as the training twin in evaluation mode, bit for bit, from a
/// smaller arena, with none of the training members.
/// </summary>
public class InferenceOnlyTests
{
    /// <summary>The length of a generated model's arena (its <c>Layout.Length</c>).</summary>
    internal static int ArenaLength(Type model) =>
        (int)model.GetNestedType("Layout", BindingFlags.NonPublic)!.GetField("Length")!.GetRawConstantValue()!;

    [Fact]
    public void Forward_and_Step_give_the_training_twins_outputs_bit_for_bit()
    {
        var trained = new TrainableTagger(3) { Training = false };
        var deployed = new DeployedTagger();
        trained.Parameters.CopyTo(deployed.Parameters);

        var random = new SeededRandom(5);
        var tokens = new int[2 * 10];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = (int)(random.NextUInt32() % 30);
        float[] expected = new float[2 * 10 * 5], actual = new float[expected.Length];
        trained.Forward(tokens, expected);
        deployed.Forward(tokens, actual);
        Assert.Equal(expected, actual);

        // With padding, at a shorter length.
        int[] lengths = [7, 4];
        float[] expectedShort = new float[2 * 7 * 5], actualShort = new float[expectedShort.Length];
        trained.Forward(tokens.AsSpan(0, 14), expectedShort, 7, lengths);
        deployed.Forward(tokens.AsSpan(0, 14), actualShort, 7, lengths);
        Assert.Equal(expectedShort, actualShort);

        // Streaming.
        trained.ResetState();
        deployed.ResetState();
        float[] expectedStep = new float[10], actualStep = new float[10];
        for (int t = 0; t < 10; t++)
        {
            int[] step = [tokens[t], tokens[10 + t]];
            trained.Step(step, expectedStep);
            deployed.Step(step, actualStep);
            Assert.Equal(expectedStep, actualStep);
        }

        // Float input and attention, without Step.
        var trainedEncoder = new TrainableEncoder(4);
        var deployedEncoder = new DeployedEncoder();
        trainedEncoder.Parameters.CopyTo(deployedEncoder.Parameters);
        var x = new float[3 * 6 * 8];
        random.FillUniform(x, -1f, 1f);
        float[] encoded = new float[3 * 6 * 2], deployedEncoded = new float[encoded.Length];
        trainedEncoder.Forward(x, encoded);
        deployedEncoder.Forward(x, deployedEncoded);
        Assert.Equal(encoded, deployedEncoded);
    }

    [Fact]
    public void Weights_saved_by_the_training_model_load_into_the_deployed_one()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-deployed-{Guid.NewGuid():N}.safetensors");
        try
        {
            var trained = new TrainableTagger(8) { Training = false };
            trained.SaveSafetensors(path);
            var deployed = new DeployedTagger();
            deployed.LoadSafetensors(path);
            Assert.Equal(trained.Parameters.ToArray(), deployed.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_deployed_model_has_no_training_members_and_a_smaller_arena()
    {
        Type type = typeof(DeployedTagger);
        foreach (string member in new[] { "Backward", "ZeroGradients", "Gradients", "Training", "DropoutGenerator" })
            Assert.Empty(type.GetMember(member, BindingFlags.Public | BindingFlags.Instance));
        Assert.True(typeof(IInferenceModel<int>).IsAssignableFrom(type));
        Assert.True(typeof(IStepModel<int>).IsAssignableFrom(type));
        Assert.False(typeof(ISequenceModel).IsAssignableFrom(type));
        Assert.False(typeof(IStepModel<float>).IsAssignableFrom(typeof(DeployedEncoder))); // non-causal attention does not stream

        // No gradients and no backward buffers: the parameter gradients alone are ParameterCount floats.
        int saved = ArenaLength(typeof(TrainableTagger)) - ArenaLength(type);
        Assert.True(saved > TrainableTagger.ParameterCount, $"the deployed arena is only {saved} floats smaller");

        var deployed = new DeployedTagger();
        Assert.All(deployed.NamedParameters, p => Assert.True(p.Gradients.IsEmpty, p.Name));
        Assert.True(deployed.Head.WeightGradient.IsEmpty);
        Assert.True(deployed.Head.BiasGradient.IsEmpty);
        Assert.True(deployed.Embed.WeightGradient.IsEmpty);
        Assert.True(new DeployedEncoder().Attn.WeightsGradient.IsEmpty);
        Assert.True(new DeployedEncoder().Norm.WeightGradient.IsEmpty);
    }

    [Fact]
    public void The_deployed_model_allocates_nothing_and_drives_the_decoders()
    {
        var deployed = new DeployedTagger(2);
        var tokens = new int[2 * 10];
        var output = new float[2 * 10 * 5];
        var step = new float[2 * 5];
        Assert.Equal(0, Allocations.Of(() => deployed.Forward(tokens, output)));
        Assert.Equal(0, Allocations.Of(() => deployed.Step(tokens.AsSpan(0, 2), step)));

        // TokenDecoder takes any IStepModel<int>: a deployed model samples as a training one does.
        var decoder = new TokenDecoder(deployed);
        var generated = new int[6];
        int count = decoder.Greedy([1, 2], generated);
        Assert.Equal(6, count);
        Assert.All(generated, t => Assert.InRange(t, 0, 4));
    }
}
