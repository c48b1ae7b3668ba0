using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Unroll.Tests;

// Streaming models of every recurrent kind, stacked, normalised and with causal attention: the property tests'
// subjects.

/// <summary>A stacked LSTM and a head.</summary>
[Model(SequenceLength = 8, BatchSize = 3)]
public partial class PropLstm
{
    [Lstm(5, 12, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Linear(12, 3)] public partial LinearLayer Head { get; }
}

/// <summary>A GRU, a layer norm and a head.</summary>
[Model(SequenceLength = 8, BatchSize = 3)]
public partial class PropGru
{
    [Gru(5, 9)] public partial GruLayer Rnn { get; }
    [LayerNorm(9)] public partial LayerNormLayer Norm { get; }
    [Linear(9, 3)] public partial LinearLayer Head { get; }
}

/// <summary>An Elman RNN and a head.</summary>
[Model(SequenceLength = 8, BatchSize = 3)]
public partial class PropRnn
{
    [Rnn(5, 7)] public partial RnnLayer Rnn { get; }
    [Linear(7, 3)] public partial LinearLayer Head { get; }
}

/// <summary>An LSTM, causal self-attention with a residual, and a head.</summary>
[Model(SequenceLength = 8, BatchSize = 3)]
public partial class PropAttention
{
    [Lstm(5, 8)] public partial LstmLayer Rnn { get; }
    [SelfAttention(8, NumHeads = 2, Causal = true, Residual = true)] public partial SelfAttentionLayer Attn { get; }
    [Linear(8, 3)] public partial LinearLayer Head { get; }
}

/// <summary>
/// A causal dilated convolution, a batch norm (its running statistics: the model evaluates), a GRU and a head. A strided
/// convolution's properties are those of its own tests (Conv1dLayerTests): its output has fewer steps.
/// </summary>
[Model(SequenceLength = 8, BatchSize = 3)]
public partial class PropConv
{
    [Conv1d(5, 8, 3, Dilation = 2, Causal = true)] public partial Conv1dLayer Conv { get; }
    [BatchNorm(8)] public partial BatchNormLayer Norm { get; }
    [Activation(ActivationFunction.Tanh)] public partial ActivationLayer Act { get; }
    [Gru(8, 6)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary>
/// Properties of every compiled model, checked by FsCheck on random cases (model kind, initialisation seed, input
/// seed and scale, length, row): <c>Step</c> after <c>Step</c> equals <c>Forward</c>; a batch row's output depends on
/// that row alone; gradients equal central differences of the loss; nothing allocates after construction; the same
/// seed gives the same bits.
/// </summary>
public sealed class PropertyTests
{
    private const int Batch = 3, Steps = 8, Input = 5, Output = 3;

    public sealed record Case(int Kind, int Seed, int InputSeed, float Scale, int Length, int Row)
    {
        public IStreamingModel<float> Model() => Kind switch
        {
            0 => new PropLstm(Seed),
            1 => new PropGru(Seed),
            2 => new PropRnn(Seed),
            3 => new PropAttention(Seed),
            _ => Evaluating(new PropConv(Seed)),
        };

        /// <summary>A model with a batch norm, evaluating: its running statistics, moved off their initial 0 and 1 so they count.</summary>
        private static PropConv Evaluating(PropConv model)
        {
            model.Training = false;
            new SeededRandom(11).FillUniform(model.Norm.RunningMean, -0.5f, 0.5f);
            new SeededRandom(12).FillUniform(model.Norm.RunningVar, 0.5f, 2f);
            return model;
        }

        public float[] Inputs()
        {
            var x = new float[Batch * Length * Input];
            new SeededRandom((ulong)InputSeed).FillNormal(x);
            for (int i = 0; i < x.Length; i++) x[i] *= Scale;
            return x;
        }
    }

    private static Arbitrary<Case> Cases() =>
        (from kind in Gen.Choose(0, 4)
         from seed in Gen.Choose(0, 1_000_000)
         from inputSeed in Gen.Choose(0, 1_000_000)
         from scale in Gen.Elements(0.01f, 0.5f, 1f, 3f)
         from length in Gen.Choose(1, Steps)
         from row in Gen.Choose(0, Batch - 1)
         select new Case(kind, seed, inputSeed, scale, length, row)).ToArbitrary();

    [Property(MaxTest = 200)]
    public Property Step_after_step_equals_Forward() => Prop.ForAll(Cases(), c =>
    {
        var model = c.Model();
        float[] x = c.Inputs();
        var expected = new float[Batch * c.Length * Output];
        model.Forward(x, expected, c.Length);

        model.ResetState();
        var stepInput = new float[Batch * Input];
        var stepOutput = new float[Batch * Output];
        for (int t = 0; t < c.Length; t++)
        {
            for (int b = 0; b < Batch; b++) x.AsSpan((b * c.Length + t) * Input, Input).CopyTo(stepInput.AsSpan(b * Input));
            model.Step(stepInput, stepOutput);
            for (int b = 0; b < Batch; b++)
            {
                for (int o = 0; o < Output; o++)
                {
                    float e = expected[(b * c.Length + t) * Output + o], a = stepOutput[b * Output + o];
                    if (Math.Abs(a - e) > 1e-5 + 1e-4 * Math.Abs(e)) return false.Label($"{c}: step {t}, row {b}: {a:R} vs {e:R}");
                }
            }
        }
        return true.ToProperty();
    });

    [Property(MaxTest = 200)]
    public Property A_rows_output_depends_on_that_row_alone() => Prop.ForAll(Cases(), c =>
    {
        var model = c.Model();
        float[] x = c.Inputs();
        var before = new float[Batch * c.Length * Output];
        model.Forward(x, before, c.Length);

        // Change every input of one row: the other rows' outputs keep their bits.
        var other = new float[c.Length * Input];
        new SeededRandom((ulong)c.InputSeed + 1).FillNormal(other);
        other.CopyTo(x.AsSpan(c.Row * c.Length * Input));
        var after = new float[before.Length];
        model.Forward(x, after, c.Length);
        for (int b = 0; b < Batch; b++)
        {
            if (b == c.Row) continue;
            var rowBefore = before.AsSpan(b * c.Length * Output, c.Length * Output);
            var rowAfter = after.AsSpan(b * c.Length * Output, c.Length * Output);
            if (!rowBefore.SequenceEqual(rowAfter)) return false.Label($"{c}: row {b} changed with row {c.Row}");
        }
        return (!before.AsSpan(c.Row * c.Length * Output, c.Length * Output).SequenceEqual(after.AsSpan(c.Row * c.Length * Output, c.Length * Output)))
            .Label($"{c}: row {c.Row}'s output did not change with its input");
    });

    [Property(MaxTest = 100)]
    public Property Gradients_equal_central_differences() => Prop.ForAll(Cases(), c =>
    {
        var model = (ISequenceModel<float>)c.Model();
        float[] x = c.Inputs();
        var y = new float[Batch * c.Length * Output];
        var w = new float[y.Length]; // loss = Σ w·y, so ∂loss/∂y = w
        new SeededRandom((ulong)c.Seed + 7).FillNormal(w);
        double Loss()
        {
            model.Forward(x, y, c.Length);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)w[i] * y[i];
            return sum;
        }

        Loss();
        model.ZeroGradients();
        model.Backward(w);
        float[] analytic = model.Gradients.ToArray();

        // Twelve parameters picked by the case, each against central differences (float32: coarse, as FloatFiniteDifferences),
        // extrapolated from steps h and h/2 (Richardson), so that the curvature of saturating inputs does not count.
        var pick = new SeededRandom((ulong)c.InputSeed + 3);
        for (int k = 0; k < 12; k++)
        {
            int i = (int)(pick.NextUInt32() % (uint)model.ParameterCount);
            double numeric = (4 * FloatFiniteDifferences.Central(model.Parameters, i, Loss, 5e-3f)
                - FloatFiniteDifferences.Central(model.Parameters, i, Loss, 1e-2f)) / 3;
            if (!FloatFiniteDifferences.Agrees(analytic[i], numeric))
                return false.Label($"{c}: {NameOf(model, i)}: analytic {analytic[i]:R}, central difference {numeric:R}");
        }
        return true.ToProperty();
    });

    /// <summary>The named parameter holding element <paramref name="index"/> of the contiguous parameter block (state-dict order).</summary>
    private static string NameOf(IInferenceModel model, int index)
    {
        foreach (NamedParameter p in model.NamedParameters)
        {
            if (index < p.Values.Length) return $"{p.Name}[{index}]";
            index -= p.Values.Length;
        }
        return "outside the parameters";
    }

    [Property(MaxTest = 50)]
    public Property Forward_Backward_and_Step_allocate_nothing() => Prop.ForAll(Cases(), c =>
    {
        var model = (ISequenceModel<float>)c.Model();
        var streaming = (IStreamingModel<float>)model;
        float[] x = c.Inputs();
        var y = new float[Batch * c.Length * Output];
        var step = new float[Batch * Output];
        long bytes = Allocations.Of(() =>
        {
            model.Forward(x, y, c.Length);
            model.Backward(y);
            streaming.ResetState();
            streaming.Step(x.AsSpan(0, Batch * Input), step);
        });
        return (bytes == 0).Label($"{c}: {bytes} bytes");
    });

    [Property(MaxTest = 50)]
    public Property The_same_seed_gives_the_same_bits() => Prop.ForAll(Cases(), c =>
    {
        float[] Run(out float[] parameters)
        {
            var model = (ISequenceModel<float>)c.Model();
            var adam = new Adam(model.ParameterCount, 0.01f);
            float[] x = c.Inputs();
            var y = new float[Batch * c.Length * Output];
            for (int s = 0; s < 3; s++)
            {
                model.Forward(x, y, c.Length);
                model.ZeroGradients();
                model.Backward(y); // loss ½‖y‖²
                adam.Step(model.Parameters, model.Gradients);
            }
            parameters = model.Parameters.ToArray();
            return y;
        }

        float[] first = Run(out float[] firstParameters), second = Run(out float[] secondParameters);
        bool other = !c.Model().NamedParameters[0].Values.SequenceEqual(((IInferenceModel)(c with { Seed = c.Seed + 1 }).Model()).NamedParameters[0].Values);
        return (first.AsSpan().SequenceEqual(second) && firstParameters.AsSpan().SequenceEqual(secondParameters)).Label($"{c}: two runs differ")
            .And(other.Label($"{c}: seeds {c.Seed} and {c.Seed + 1} give the same weights"));
    });
}
