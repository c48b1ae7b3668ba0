using System.Reflection;
using Xunit;

namespace Unroll.Tests.Seq2Seq;

/// <summary><see cref="TokenBiLstmAdditive"/> compiled for inference only.</summary>
[Model(SequenceLength = 5, TargetLength = 4, BatchSize = 3, InferenceOnly = true)]
public partial class DeployedTokenBiLstmAdditive
{
    [Embedding(7, 3)] public partial EmbeddingLayer Embed { get; }
    [Lstm(3, 4, Bidirectional = true)] public partial LstmLayer Encoder { get; }
    [AttentionDecoder(3, 8, 5, Vocabulary = 6, AttentionSize = 5)] public partial AttentionDecoderLayer Decoder { get; }
}

/// <summary><see cref="FloatGruDot"/> compiled for inference only.</summary>
[Model(SequenceLength = 6, TargetLength = 3, BatchSize = 2, InferenceOnly = true)]
public partial class DeployedFloatGruDot
{
    [Gru(3, 4)] public partial GruLayer Encoder { get; }
    [AttentionDecoder(2, 4, 3, Attention = AttentionScore.Dot, Cell = DecoderCell.Gru)] public partial AttentionDecoderLayer Decoder { get; }
}

/// <summary>
/// Encoder–decoder models compiled with <c>InferenceOnly</c>: teacher-forced <c>Forward</c>, <c>Encode</c>, <c>Step</c>
/// and <c>ReorderState</c> give the training twin's outputs (in evaluation mode) bit for bit, with no backward members
/// or buffers, no allocation, and the decoders drive them.
/// </summary>
public sealed class InferenceOnlySeq2SeqTests
{
    private static int[] Tokens(int count, int vocabulary, uint seed)
    {
        var random = new SeededRandom(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++) tokens[i] = (int)(random.NextUInt32() % (uint)vocabulary);
        return tokens;
    }

    [Fact]
    public void Token_model_gives_the_training_twins_outputs_bit_for_bit()
    {
        var trained = new TokenBiLstmAdditive(4) { Training = false };
        var deployed = new DeployedTokenBiLstmAdditive();
        trained.Parameters.CopyTo(deployed.Parameters);
        int[] source = Tokens(15, 7, 1), target = Tokens(12, 6, 2), lengths = { 5, 3, 4 };

        // Teacher-forced, full length and with padded sources at shorter lengths.
        float[] expected = new float[3 * 4 * 5], actual = new float[expected.Length];
        trained.Forward(source, target, expected);
        deployed.Forward(source, target, actual);
        Assert.Equal(expected, actual);
        trained.Forward(source, target.AsSpan(0, 9), expected.AsSpan(0, 45), 5, 3, lengths);
        deployed.Forward(source, target.AsSpan(0, 9), actual.AsSpan(0, 45), 5, 3, lengths);
        Assert.Equal(expected, actual);
        Assert.Equal(trained.Decoder.AttentionWeights.ToArray(), deployed.Decoder.AttentionWeights.ToArray());

        // Encode, Step, ReorderState, Step.
        trained.Encode(source, 5, lengths);
        deployed.Encode(source, 5, lengths);
        float[] stepExpected = new float[3 * 5], stepActual = new float[stepExpected.Length];
        int[] tokens = { 1, 2, 3 }, order = { 2, 2, 0 };
        trained.Step(tokens, stepExpected);
        deployed.Step(tokens, stepActual);
        Assert.Equal(stepExpected, stepActual);
        trained.ReorderState(order);
        deployed.ReorderState(order);
        trained.Step(tokens, stepExpected);
        deployed.Step(tokens, stepActual);
        Assert.Equal(stepExpected, stepActual);
        Assert.Equal(trained.Decoder.StepAttentionWeights.ToArray(), deployed.Decoder.StepAttentionWeights.ToArray());
    }

    [Fact]
    public void Float_model_gives_the_training_twins_outputs_bit_for_bit()
    {
        var trained = new FloatGruDot(6) { Training = false };
        var deployed = new DeployedFloatGruDot();
        trained.Parameters.CopyTo(deployed.Parameters);
        var source = new float[2 * 6 * 3];
        var target = new float[2 * 3 * 2];
        new SeededRandom(8).FillNormal(source);
        new SeededRandom(9).FillNormal(target);
        float[] expected = new float[2 * 3 * 3], actual = new float[expected.Length];
        trained.Forward(source, target, expected);
        deployed.Forward(source, target, actual);
        Assert.Equal(expected, actual);

        trained.Encode(source);
        deployed.Encode(source);
        float[] stepExpected = new float[2 * 3], stepActual = new float[stepExpected.Length];
        trained.Step(target.AsSpan(0, 4), stepExpected);
        deployed.Step(target.AsSpan(0, 4), stepActual);
        Assert.Equal(stepExpected, stepActual);
    }

    [Fact]
    public void The_deployed_model_has_no_backward_members_or_buffers()
    {
        Type type = typeof(DeployedTokenBiLstmAdditive);
        foreach (string member in new[] { "Backward", "ZeroGradients", "Gradients", "Training", "DropoutGenerator" })
            Assert.Empty(type.GetMember(member, BindingFlags.Public | BindingFlags.Instance));
        Assert.Null(type.GetMethod("DecodeBackwardCore", BindingFlags.NonPublic | BindingFlags.Instance));
        Assert.True(typeof(IEncoderDecoderModel<int, int>).IsAssignableFrom(type));
        Assert.False(typeof(ISequenceModel).IsAssignableFrom(type));

        // The decoder's and encoder's backward buffers and the gradients are gone.
        int saved = InferenceOnlyTests.ArenaLength(typeof(TokenBiLstmAdditive)) - InferenceOnlyTests.ArenaLength(type);
        Assert.True(saved > 2 * TokenBiLstmAdditive.ParameterCount, $"the deployed arena is only {saved} floats smaller");
        var deployed = new DeployedTokenBiLstmAdditive();
        Assert.True(deployed.Decoder.AttentionWeightsGradient.IsEmpty);
        Assert.All(deployed.NamedParameters, p => Assert.True(p.Gradients.IsEmpty, p.Name));
    }

    [Fact]
    public void The_deployed_model_allocates_nothing_and_drives_beam_search_as_its_twin()
    {
        var trained = new TokenBiLstmAdditive(10) { Training = false };
        var deployed = new DeployedTokenBiLstmAdditive();
        trained.Parameters.CopyTo(deployed.Parameters);
        int[] source = Tokens(15, 7, 3), target = Tokens(12, 6, 4);
        var output = new float[3 * 4 * 5];
        var logits = new float[3 * 5];
        int[] start = { 0, 0, 0 };
        Assert.Equal(0, Allocations.Of(() => deployed.Forward(source, target, output)));
        Assert.Equal(0, Allocations.Of(() => deployed.Encode(source)));
        Assert.Equal(0, Allocations.Of(() => deployed.Step(start, logits)));

        int[] one = Tokens(5, 7, 91);
        int[] batch = Enumerable.Range(0, 3).SelectMany(_ => one).ToArray();
        var expected = new int[4];
        var actual = new int[4];
        int[] prompt = { 0 };
        trained.Encode(batch);
        int expectedCount = new BeamSearch(trained, maxLength: 4, endToken: 4).Search(prompt, expected, out float expectedScore);
        deployed.Encode(batch);
        var search = new BeamSearch(deployed, maxLength: 4, endToken: 4);
        int count = search.Search(prompt, actual, out float score);
        Assert.Equal(expectedCount, count);
        Assert.Equal(expected, actual);
        Assert.Equal(expectedScore, score);
        Assert.Equal(0, Allocations.Of(() => search.Search(prompt, actual, out _)));
    }
}
