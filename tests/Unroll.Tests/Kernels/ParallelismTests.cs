using System.Reflection;
using Unroll.Kernels;
using Xunit;

namespace Unroll.Tests;

/// <summary>A batch-16 language model whose products are big enough to be split across threads.</summary>
[Model(SequenceLength = 12, BatchSize = 16)]
public partial class ThreadedTagger
{
    [Embedding(20, 16)] public partial EmbeddingLayer Embed { get; }
    [Lstm(16, 64, NumLayers = 2, Bidirectional = true)] public partial LstmLayer Rnn { get; }
    [Linear(128, 20)] public partial LinearLayer Head { get; }
}

/// <summary>A streaming GRU of one row, whose step products split by column panels.</summary>
[Model(SequenceLength = 8, BatchSize = 1)]
public partial class ThreadedStream
{
    [Gru(32, 256)] public partial GruLayer Rnn { get; }
    [Linear(256, 8)] public partial LinearLayer Head { get; }
}

/// <summary>A streaming LSTM of two rows whose last block of units is partial (200 = 12 × 16 + 8).</summary>
[Model(SequenceLength = 6, BatchSize = 2)]
public partial class ThreadedLstmStream
{
    [Lstm(20, 200)] public partial LstmLayer Rnn { get; }
}

[CollectionDefinition(nameof(ParallelismTests), DisableParallelization = true)]
public class ParallelismCollection;

/// <summary>
/// Splitting products across threads changes nothing: products, a training step and streaming steps give the same bits
/// at one, two and three threads. The collection runs alone, so the helper threads are free and the split really happens.
/// </summary>
[Collection(nameof(ParallelismTests))]
public class ParallelismTests
{
    private static readonly int[] Degrees = [1, 2, 3];

    private static float[] Random(int n, ulong seed)
    {
        var values = new float[n];
        new SeededRandom(seed).FillUniform(values, -1, 1);
        return values;
    }

    /// <summary>Runs <paramref name="run"/> at every degree and asserts the results are bit for bit those of one thread.</summary>
    private static void SameAtEveryDegree(Func<float[]> run)
    {
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            float[]? single = null;
            foreach (int degree in Degrees)
            {
                Parallelism.MaxDegreeOfParallelism = degree;
                float[] result = run();
                if (single is null) single = result;
                else Assert.True(single.AsSpan().SequenceEqual(result), $"{degree} threads differ from one");
            }
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Theory]
    // Many rows (panels, register tiles, row and column tails, depth over 128) and few rows (column panels).
    [InlineData(23, 133, 400)]
    [InlineData(150, 70, 200)]
    [InlineData(16, 512, 128)]
    [InlineData(1, 512, 300)]
    [InlineData(6, 272, 100)]
    public void Products_match_scalar_loops_and_give_the_same_bits_at_every_thread_count(int m, int n, int k)
    {
        int lda = k + 2, ldb = k + 1, ldc = n + 3;
        float[] a = Random(m * lda, 1), b = Random(n * ldb, 2), c0 = Random(m * ldc, 3);
        float[] bn = Random(k * (n + 1), 4), grad = Random(m * (n + 1), 5), w0 = Random(n * ldb, 6);
        var packed = new float[n * k];
        Blas.PackPanels(b, ldb, packed, n, k);

        // C = A·Bᵀ (two ways), C = A·B, W += Gᵀ·A
        float[] Transposed() { var c = (float[])c0.Clone(); Blas.MultiplyTransposed(a, lda, b, ldb, c, ldc, m, n, k, accumulate: true); return c; }
        float[] Packed() { var c = (float[])c0.Clone(); Blas.MultiplyPacked(a, lda, packed, c, ldc, m, n, k, accumulate: true); return c; }
        float[] Plain() { var c = new float[m * (n + 1)]; Blas.Multiply(a, lda, bn, n + 1, c, n + 1, m, n, k, accumulate: false); return c; }
        float[] Gradient() { var w = (float[])w0.Clone(); Blas.MultiplyTransposedAAdd(grad, n + 1, a, lda, w, ldb, m, n, k); return w; }
        foreach (Func<float[]> product in new[] { Transposed, Packed, Plain, Gradient }) SameAtEveryDegree(product);

        static void Near(double expected, float actual, string what) =>
            Assert.True(Math.Abs(actual - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"{what} = {actual:R}, expected {expected:R}");
        float[] t = Transposed(), pk = Packed(), pl = Plain(), g = Gradient();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = c0[i * ldc + j], plain = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += (double)a[i * lda + p] * b[j * ldb + p];
                    plain += (double)a[i * lda + p] * bn[p * (n + 1) + j];
                }
                Near(sum, t[i * ldc + j], $"A·Bᵀ[{i}, {j}]");
                Near(sum, pk[i * ldc + j], $"packed A·Bᵀ[{i}, {j}]");
                Near(plain, pl[i * (n + 1) + j], $"A·B[{i}, {j}]");
            }
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
            {
                double sum = w0[j * ldb + p];
                for (int i = 0; i < m; i++) sum += (double)grad[i * (n + 1) + j] * a[i * lda + p];
                Near(sum, g[j * ldb + p], $"W[{j}, {p}]");
            }
    }

    [Fact]
    public void A_training_step_gives_the_same_outputs_and_gradients_at_every_thread_count()
    {
        var random = new SeededRandom(9);
        var tokens = new int[16 * 12];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = (int)(random.NextUInt32() % 20);
        float[] outputGradient = Random(16 * 12 * 20, 10);
        SameAtEveryDegree(() =>
        {
            var model = new ThreadedTagger(3);
            var output = new float[16 * 12 * 20];
            model.Forward(tokens, output);
            model.Backward(outputGradient);
            return [.. output, .. model.Gradients];
        });
    }

    [Fact]
    public void Streaming_steps_and_one_row_sequences_give_the_same_outputs_at_every_thread_count()
    {
        // The fused steps split by blocks of units, the products of a one-row sequence by column panels.
        float[] inputs = Random(8 * 32, 11);
        SameAtEveryDegree(() =>
        {
            var model = new ThreadedStream(4);
            var outputs = new float[2 * 8 * 8];
            for (int t = 0; t < 8; t++) model.Step(inputs.AsSpan(t * 32, 32), outputs.AsSpan(t * 8, 8));
            model.Forward(inputs, outputs.AsSpan(64));
            return outputs;
        });
        float[] lstmInputs = Random(2 * 6 * 20, 12);
        SameAtEveryDegree(() =>
        {
            var model = new ThreadedLstmStream(5);
            var outputs = new float[6 * 2 * 200];
            var step = new float[2 * 20];
            for (int t = 0; t < 6; t++)
            {
                for (int b = 0; b < 2; b++) lstmInputs.AsSpan((b * 6 + t) * 20, 20).CopyTo(step.AsSpan(b * 20));
                model.Step(step, outputs.AsSpan(t * 400, 400));
            }
            return outputs;
        });
    }

    [Fact]
    public void Two_models_trained_at_once_on_two_threads_end_as_each_does_alone()
    {
        // Both threads want the helpers; whichever does not get them runs its products alone, with the same result.
        static float[] Train(int seed)
        {
            var model = new ThreadedTagger(seed);
            var adam = new Adam(ThreadedTagger.ParameterCount, 1e-2f);
            var random = new SeededRandom((ulong)seed);
            var tokens = new int[16 * 12];
            var targets = new int[16 * 12];
            var output = new float[16 * 12 * 20];
            var gradient = new float[output.Length];
            for (int i = 0; i < tokens.Length; i++) (tokens[i], targets[i]) = ((int)(random.NextUInt32() % 20), (int)(random.NextUInt32() % 20));
            for (int step = 0; step < 5; step++)
            {
                model.Forward(tokens, output);
                Loss.CrossEntropy(output, targets, gradient, 20);
                model.ZeroGradients();
                model.Backward(gradient);
                adam.Step(model.Parameters, model.Gradients);
            }
            return model.Parameters.ToArray();
        }

        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            Parallelism.MaxDegreeOfParallelism = 2;
            float[] aloneA = Train(21), aloneB = Train(22);
            float[]? togetherA = null, togetherB = null;
            var a = new Thread(() => togetherA = Train(21));
            var b = new Thread(() => togetherB = Train(22));
            a.Start();
            b.Start();
            a.Join();
            b.Join();
            Assert.True(aloneA.AsSpan().SequenceEqual(togetherA), "the first model differs when trained beside the second");
            Assert.True(aloneB.AsSpan().SequenceEqual(togetherB), "the second model differs when trained beside the first");
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void Product_numbers_wrap_around_without_losing_a_part()
    {
        // The helpers tell products apart by a 32-bit number: start just before it wraps and run products across it.
        FieldInfo offer = typeof(Unroll.Kernels.Blas).Assembly.GetType("Unroll.Kernels.Workers")!.GetField("_offer", BindingFlags.NonPublic | BindingFlags.Static)!;
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            Parallelism.MaxDegreeOfParallelism = 2;
            float[] a = Random(64 * 128, 1), b = Random(512 * 128, 2), c = new float[64 * 512], expected = new float[64 * 512];
            Parallelism.MaxDegreeOfParallelism = 1;
            Blas.MultiplyTransposed(a, 128, b, 128, expected, 512, 64, 512, 128, accumulate: false);
            Parallelism.MaxDegreeOfParallelism = 2;
            offer.SetValue(null, (long)int.MaxValue - 3 << 32);
            for (int i = 0; i < 8; i++)
            {
                Array.Clear(c);
                Blas.MultiplyTransposed(a, 128, b, 128, c, 512, 64, 512, 128, accumulate: false);
                Assert.Equal(expected, c);
            }
            Assert.True((long)offer.GetValue(null)! >> 32 < 0, "the product numbers did not wrap around");
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void Threaded_training_allocates_nothing()
    {
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            Parallelism.MaxDegreeOfParallelism = 2;
            var model = new ThreadedTagger(3);
            var tokens = new int[16 * 12];
            var output = new float[16 * 12 * 20];
            float[] outputGradient = Random(output.Length, 12);
            Assert.Equal(0, Allocations.Of(() =>
            {
                model.Forward(tokens, output);
                model.Backward(outputGradient);
            }));
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void A_degree_below_one_is_refused()
    {
        int saved = Parallelism.MaxDegreeOfParallelism;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxDegreeOfParallelism = 0);
        Assert.Equal("value", error.ParamName);
        Assert.Equal(saved, Parallelism.MaxDegreeOfParallelism);
    }
}
