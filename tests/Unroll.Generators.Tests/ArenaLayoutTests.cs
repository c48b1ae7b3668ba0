using Unroll.Generators.Layers;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The planner's arena layout: every region starts a multiple of 16 floats (64 bytes) from the arena's start, in order,
/// with less than 16 floats of padding before it; the parameters are one block at 0 in state-dict order without
/// padding, and the gradients a block as long; the size limit (UNR0011) counts the padding and the spare floats that
/// let the arena start on a 64-byte boundary.
/// </summary>
public sealed class ArenaLayoutTests
{
    public static TheoryData<string> Declarations => new()
    {
        Models.CharLm,
        Models.BidirectionalGruClassifier,
        Models.ReluRnnRegressor,
        Models.NestedInternalTagger,
        Models.StackedBidirectionalLstm,
        Models.CausalTransformerBlock,
        Models.DateTranslator,
        Models.InferenceOnlyDateTranslator,
        Models.GruDotSeq2Seq,
        Models.InferenceOnlyKeywordSpotter,
    };

    [Theory]
    [MemberData(nameof(Declarations))]
    public void Every_region_starts_on_a_64_byte_boundary_and_the_parameters_stay_one_packed_block(string source)
    {
        ModelPlan plan = Assert.IsType<ModelPlan>(PlanOf(source).Plan);

        Assert.Equal(("Parameters", 0, plan.ParameterCount), (plan.Buffers[0].Name, plan.Buffers[0].Offset, plan.Buffers[0].Length));
        int end = 0;
        foreach (BufferPlan buffer in plan.Buffers)
        {
            Assert.True(buffer.Offset % Planner.AlignmentFloats == 0, $"{buffer.Name} starts at {buffer.Offset}, not a multiple of 16 floats");
            Assert.InRange(buffer.Offset, end, end + Planner.AlignmentFloats - 1); // after the region before it, padded to the next boundary only
            end = buffer.Offset + buffer.Length;
        }
        Assert.Equal(end, plan.ArenaLength);

        // Inside the block, the tensors follow each other as in PyTorch's state dict: Parameters, Gradients and the
        // safetensors files keep their layout.
        int next = 0;
        foreach (ParameterPlan parameter in plan.Parameters)
        {
            Assert.Equal(next, parameter.Offset);
            next += parameter.Length;
        }
        Assert.Equal(plan.ParameterCount, next);
        BufferPlan? gradients = plan.Buffers.SingleOrDefault(b => b.Name == "Gradients");
        Assert.Equal(plan.InferenceOnly, gradients is null);
        if (gradients is not null) Assert.Equal(plan.ParameterCount, gradients.Length);
    }

    /// <summary>
    /// <c>Linear(k, n)</c> models around the largest that fits, for many widths <c>k</c> (so that some fit but for the
    /// spare floats): the largest planned one allocates, its arena and the spare floats, no more than
    /// <c>Array.MaxLength</c>, and the next is reported as needing more.
    /// </summary>
    [Fact]
    public void The_size_limit_counts_the_padding_and_the_spare_floats()
    {
        ParseResult parsed = ParseOf("""
            using Unroll;

            [Model(SequenceLength = 1)]
            public partial class Wide
            {
                [Linear(1, 8)] public partial LinearLayer Head { get; }
            }
            """);
        int rejectedForTheSpareFloats = 0;
        for (int k = 1; k <= 32; k++)
        {
            PlanResult PlanWith(int outFeatures)
            {
                LayerSpec head = (LinearSpec)parsed.Spec!.Layers[0] with { InFeatures = k, OutFeatures = outFeatures };
                return Planner.Plan(parsed with { Spec = parsed.Spec with { Layers = new EquatableArray<LayerSpec>(new[] { head }) } });
            }

            int fits = 1, tooLarge = int.MaxValue / 2 / k;
            Assert.NotNull(PlanWith(fits).Plan);
            Assert.Null(PlanWith(tooLarge).Plan);
            while (tooLarge - fits > 1)
            {
                int middle = fits + (tooLarge - fits) / 2;
                if (PlanWith(middle).Plan is null) tooLarge = middle;
                else fits = middle;
            }

            ModelPlan largest = PlanWith(fits).Plan!;
            long allocated = largest.ArenaLength + Planner.SpareFloats;
            Assert.True(allocated <= Planner.MaxArenaLength, $"Linear({k}, {fits}) is planned, and allocates {allocated} floats");

            DiagnosticInfo reported = Assert.Single(PlanWith(tooLarge).Diagnostics);
            Assert.Equal("UNR0011", reported.Id);
            long needs = long.Parse(reported.Arguments[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(needs > Planner.MaxArenaLength, $"Linear({k}, {tooLarge}) is reported as needing {needs} floats");
            if (needs - Planner.SpareFloats <= Planner.MaxArenaLength) rejectedForTheSpareFloats++;
            // One more output feature adds 2k + 5 floats (weight row, bias, their gradients, the output, its gradient and the
            // streaming output), and each region's padding changes by less than 16: the reported need is the layout's.
            Assert.True(needs - allocated <= 2 * k + 5 + (Planner.AlignmentFloats - 1) * largest.Buffers.Count, $"{needs} floats reported after {allocated} allocated");
        }
        // Some models fit but for the spare floats: a check that left them out would have planned them.
        Assert.NotEqual(0, rejectedForTheSpareFloats);
    }

    [Fact]
    public void Streaming_steps_too_small_to_split_across_the_cores_are_unrolled_and_larger_or_reduced_precision_ones_are_not()
    {
        const string Template = """
            using Unroll;
            [Model(SequenceLength = 4, BatchSize = BATCH, InferenceOnly = true, WeightPrecision = WeightPrecision.PRECISION)]
            public partial class M
            {
                [Lstm(8, 16)] public partial LstmLayer Small { get; }
                [Gru(16, 64)] public partial GruLayer Medium { get; }
                [Lstm(64, 96)] public partial LstmLayer Large { get; }
            }
            """;
        bool[] Unrolled(string batch, string precision)
        {
            ModelPlan plan = Assert.IsType<ModelPlan>(PlanOf(Template.Replace("BATCH", batch).Replace("PRECISION", precision)).Plan);
            return plan.Step!.Layers.Select(l => Assert.Single(Assert.IsType<RecurrentBuffers>(l.Regions).Cells).Unrolled).ToArray();
        }
        // Multiply-adds a step and row: LSTM 8 → 16, 1,536; GRU 16 → 64, 15,360; LSTM 64 → 96, 61,440 (the workers split it).
        Assert.Equal(new[] { true, true, false }, Unrolled("1", "Float32"));
        // Two rows: the GRU's 30,720 still runs whole; three rows: 46,080, split.
        Assert.Equal(new[] { true, true, false }, Unrolled("2", "Float32"));
        Assert.Equal(new[] { true, false, false }, Unrolled("3", "Float32"));
        // Reduced precision keeps the shared kernels (they read its formats); four rows and more use the products, not a fused step.
        Assert.Equal(new[] { false, false, false }, Unrolled("1", "BFloat16"));
        Assert.Equal(new[] { false, false, false }, Unrolled("4", "Float32"));
    }

    private static ParseResult ParseOf(string source) =>
        Assert.IsType<ParseResult>(Assert.Single(GeneratorHarness.Run(source).AssertNoException().Result.TrackedSteps[UnrollGenerator.Steps.Parse].SelectMany(s => s.Outputs)).Value);

    private static PlanResult PlanOf(string source) =>
        Assert.IsType<PlanResult>(Assert.Single(GeneratorHarness.Run(source).AssertNoException().Result.TrackedSteps[UnrollGenerator.Steps.Plan].SelectMany(s => s.Outputs)).Value);
}
