using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Unroll.Tests.Decoding;
using Unroll.Tests.Seq2Seq;
using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Every region of a model's arena (each <c>Layout</c> buffer: the parameter and gradient blocks, the states, the
/// activations, the scratch and the packed step weights) starts on a 64-byte boundary in memory, for every kind of model,
/// and stays there: the arena is pinned, so a compacting collection does not move it.
/// </summary>
public class ArenaAlignmentTests
{
    private const int Alignment = 64;

    /// <summary>Models of every kind, each with buffers that must be among those checked (the hot ones it has).</summary>
    public static TheoryData<Type, string[]> Models => new()
    {
        { typeof(PropLstm), ["Step_Rnn_L0_Fused", "Step_Rnn_L1_Fused", "Step_Rnn_L1_WhhT", "Rnn_L1_Cache"] }, // stacked LSTM, fused step (3 rows)
        { typeof(DecLm6), ["Step_Rnn_L0_WihT", "Step_Rnn_L0_WhhT", "Step_Rnn_L0_Bias", "Step_WeightsStale"] }, // LSTM step on column panels (6 rows)
        { typeof(PropGru), ["Step_Rnn_L0_Fused", "Norm_Normalized", "Scratch_dGh"] }, // GRU and LayerNorm
        { typeof(PropRnn), ["Step_Rnn_L0_WihT", "Step_Rnn_L0_WhhT", "Step_Rnn_L0_Bias"] },
        { typeof(StBiLstm), ["Rnn_L1R_Cache", "Rnn_L1R_Cells", "Rnn_States"] }, // stacked bidirectional LSTM
        { typeof(StreamingAttentionModel), ["Step_Attn_Cache", "Attn_Qkv", "Attn_WeightsGradient"] }, // causal attention, key/value cache
        { typeof(AttentionFdModel), ["Attn_Qkv", "Attn_Context", "Attn_Scratch"] }, // non-causal attention
        { typeof(TrainableTagger), ["Rnn_L0_Dropped", "Drop_Mask", "Step_Rnn_L1_Fused"] }, // dropout
        { typeof(TokenBiLstmAdditive), ["Decoder_Keys", "Decoder_Tanh", "Decoder_StepMemory", "Decoder_States"] }, // encoder–decoder, additive attention
        { typeof(FloatGruDot), ["Decoder_Gh", "Decoder_StepWeights", "Decoder_GhGradient"] }, // encoder–decoder, GRU, dot attention
        { typeof(DeployedTagger), ["Step_Rnn_L0_Fused", "Step_Rnn_L1_WhhT"] }, // inference only
        { typeof(DeployedEncoder), ["Attn_Weights", "Norm_InverseDeviation"] },
        { typeof(DeployedTokenBiLstmAdditive), ["Decoder_StepKeys", "Decoder_Weights"] },
        { typeof(CompiledBiLstm), ["Rnn_L1R_Cache", "Head_Output"] }, // compiled weights, inference only
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_arena_buffer_is_64_byte_aligned_and_stays_so_after_a_compacting_collection(Type type, string[] hot)
    {
        var model = (IInferenceModel)Activator.CreateInstance(type)!;
        var arena = new ArenaView(model);
        Assert.Subset(arena.Buffers.Keys.ToHashSet(), hot.Concat(["Parameters"]).ToHashSet());
        Assert.Equal(model is ISequenceModel, arena.Buffers.ContainsKey("Gradients"));

        nint start = arena.Address(0);
        AssertAligned(model, arena);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        Assert.Equal(start, arena.Address(0));
        AssertAligned(model, arena);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(100_003)]
    public void AlignedArena_allocates_zeroed_floats_from_a_64_byte_boundary(int length)
    {
        // Kept alive, so that each lands after the others, at another distance from a boundary: every origin must be right.
        var arrays = new List<float[]>();
        for (int i = 0; i < 32; i++)
        {
            float[] array = AlignedArena.Allocate(length, out int origin);
            arrays.Add(array);
            Assert.Equal(length + AlignedArena.SpareFloats, array.Length);
            Assert.InRange(origin, 0, AlignedArena.SpareFloats);
            Assert.Equal(0L, Address(array, origin) % Alignment);
            Assert.All(array, value => Assert.Equal(0, BitConverter.SingleToInt32Bits(value)));
        }
    }

    /// <summary>Each buffer at an aligned address inside the array, and the public spans over the arena with them.</summary>
    private static void AssertAligned(IInferenceModel model, ArenaView arena)
    {
        Assert.InRange(arena.Origin, 0, AlignedArena.SpareFloats);
        Assert.True(arena.Origin + arena.Length <= arena.Array.Length, $"the arena ends at {arena.Origin + arena.Length}, past the array's {arena.Array.Length} floats");
        foreach (var (name, offset) in arena.Buffers)
        {
            Assert.InRange(offset, 0, arena.Length);
            Assert.True(arena.Address(offset) % Alignment == 0, $"{name} (offset {offset}) is at 0x{arena.Address(offset):X}, {arena.Address(offset) % Alignment} bytes past a 64-byte boundary");
        }
        Assert.Equal(arena.Address(arena.Buffers["Parameters"]), Address(model.Parameters));
        if (model is ISequenceModel trainable) Assert.Equal(arena.Address(arena.Buffers["Gradients"]), Address(trainable.Gradients));
    }

    private static unsafe nint Address(ReadOnlySpan<float> span) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));

    private static unsafe nint Address(float[] array, int index) => (nint)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), index));

    /// <summary>A generated model's arena as its private members describe it: the array, the origin and the <c>Layout</c> regions.</summary>
    private sealed class ArenaView
    {
        public ArenaView(IInferenceModel model)
        {
            Type type = model.GetType();
            Array = (float[])type.GetField("_arena", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(model)!;
            Origin = (int)type.GetField("_origin", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(model)!;
            Dictionary<string, int> constants = type.GetNestedType("Layout", BindingFlags.NonPublic)!
                .GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral)
                .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
            Length = constants["Length"];
            // Parameter offsets are relative to the parameter block, not arena regions: each is named after its tensor.
            var parameters = model.NamedParameters.Select(p => p.Name.Replace('.', '_')).ToHashSet();
            Assert.Subset(constants.Keys.ToHashSet(), parameters);
            Buffers = constants.Where(c => c.Key != "Length" && !parameters.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value);
        }

        public float[] Array { get; }

        public int Origin { get; }

        /// <summary><c>Layout.Length</c>: the arena's floats from <see cref="Origin"/> on.</summary>
        public int Length { get; }

        /// <summary>Every region, by <c>Layout</c> name: its offset from <see cref="Origin"/>.</summary>
        public Dictionary<string, int> Buffers { get; }

        public nint Address(int offset) => ArenaAlignmentTests.Address(Array, Origin + offset);
    }
}
