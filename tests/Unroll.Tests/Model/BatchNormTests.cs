using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Unroll.Tests;

// The modules of Golden/make_batchnorm_golden.py.

[Model(SequenceLength = 5, BatchSize = 4)]
public partial class BnModel
{
    [Linear(3, 5)] public partial LinearLayer In { get; }
    [BatchNorm(5)] public partial BatchNormLayer Norm { get; }
    [Linear(5, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 5, BatchSize = 4)]
public partial class BnPlainModel
{
    [Linear(3, 5)] public partial LinearLayer In { get; }
    [BatchNorm(5, Eps = 1e-3, Momentum = 0.3, Affine = false)] public partial BatchNormLayer Norm { get; }
    [Linear(5, 2)] public partial LinearLayer Out { get; }
}

[Model(SequenceLength = 5, BatchSize = 4)]
public partial class BnLastModel
{
    [Gru(3, 5, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [BatchNorm(5)] public partial BatchNormLayer Norm { get; }
    [Linear(5, 2)] public partial LinearLayer Out { get; }
}

/// <summary><see cref="BnModel"/> for inference, with PyTorch's state dict after its training batches compiled in (IO/Fixtures/batchnorm.safetensors, num_batches_tracked as I64).</summary>
[InferenceModel(typeof(BnModel), Weights = "batchnorm.safetensors")]
public partial class BnCompiled;

/// <summary>Odd sizes around a GRU, which streams: finite differences, Step, allocations.</summary>
[Model(SequenceLength = 7, BatchSize = 3)]
public partial class BnGru
{
    [Linear(3, 7)] public partial LinearLayer In { get; }
    [BatchNorm(7, Momentum = 0.25)] public partial BatchNormLayer Norm { get; }
    [Gru(7, 5)] public partial GruLayer Rnn { get; }
    [Linear(5, 3)] public partial LinearLayer Head { get; }
}

/// <summary>
/// <c>[BatchNorm]</c> models against PyTorch's <c>BatchNorm1d</c> over the real steps (Golden/batchnorm*.json, made by
/// Golden/make_batchnorm_golden.py): outputs, gradients and buffers after every training and evaluation batch, padded and
/// partial batches, without affine parameters, after a last-step-only layer; the state dict with an int64
/// <c>num_batches_tracked</c>; finite differences, Step, allocations and the refusal of a batch of one value per feature.
/// </summary>
public class BatchNormTests
{
    private const int T = 5;

    [Theory]
    [InlineData("batchnorm")]
    [InlineData("batchnorm_plain")]
    [InlineData("batchnorm_last")]
    public void Matches_PyTorch_batch_after_batch(string name)
    {
        IFeatureInputModel model = name switch
        {
            "batchnorm" => new BnModel(),
            "batchnorm_plain" => new BnPlainModel(),
            _ => new BnLastModel(),
        };
        JsonElement golden = Load(name);
        foreach (JsonProperty p in golden.GetProperty("params").EnumerateObject()) Values(p.Value).Select(v => (float)v).ToArray().CopyTo(model.NamedParameters[p.Name].Values);

        int batch = 0;
        foreach (JsonElement b in golden.GetProperty("batches").EnumerateArray())
        {
            string what = $"batch {batch++}";
            model.Training = b.GetProperty("training").GetBoolean();
            float[] x = Floats(b.GetProperty("x"));
            int[] lengths = b.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var output = new float[Values(b.GetProperty("output")).Length];
            model.Forward(x, output, T, lengths);
            Tolerance.AssertClose(output, Values(b.GetProperty("output")), $"{what}: output", 1e-5, 1e-5);

            double[] w = Values(b.GetProperty("loss_weights"));
            var inputGradient = new float[x.Length];
            model.ZeroGradients();
            model.Backward(output.Select((o, i) => (float)(2 * w[i] * o)).ToArray(), inputGradient);
            foreach (JsonProperty p in b.GetProperty("grad_params").EnumerateObject())
                Tolerance.AssertClose(model.NamedParameters[p.Name].Gradients, Values(p.Value), $"{what}: ∂{p.Name}", 2e-5, 1e-4);
            Tolerance.AssertClose(inputGradient, Values(b.GetProperty("grad_x")), $"{what}: ∂x", 2e-5, 1e-4);
            Tolerance.AssertClose(model.NamedParameters["Norm.running_mean"].Values, Values(b.GetProperty("running_mean")), $"{what}: running_mean", 1e-6, 1e-5);
            Tolerance.AssertClose(model.NamedParameters["Norm.running_var"].Values, Values(b.GetProperty("running_var")), $"{what}: running_var", 1e-6, 1e-5);
            Assert.Equal(b.GetProperty("num_batches_tracked").GetInt32(), model.NamedParameters["Norm.num_batches_tracked"].Values[0]);
        }
    }

    [Fact]
    public void The_state_dict_is_PyTorch_s_and_the_view_says_what_was_declared()
    {
        var model = new BnModel();
        Assert.Equal(new[] { "In.weight", "In.bias", "Norm.weight", "Norm.bias", "Norm.running_mean", "Norm.running_var", "Norm.num_batches_tracked", "Out.weight", "Out.bias" },
            model.NamedParameters.Select(p => p.Name).ToArray());
        Assert.Equal(3 * 5 + 5 + 5 + 5 + 5 * 2 + 2, BnModel.ParameterCount); // the buffers are not parameters
        NamedParameter count = model.NamedParameters["Norm.num_batches_tracked"];
        Assert.True(count.IsBuffer && count.IsInteger && count.Shape.IsEmpty && count.Length == 1);
        Assert.Equal(new[] { 1f, 1f, 1f, 1f, 1f }, model.Norm.Weight.ToArray());
        Assert.Equal(new[] { 1f, 1f, 1f, 1f, 1f }, model.Norm.RunningVar.ToArray());
        Assert.Equal(new float[5], model.Norm.RunningMean.ToArray());
        Assert.Equal(0, model.Norm.NumBatchesTracked);
        Assert.Equal((5, 0.1f, 1e-5f, true), (model.Norm.Features, model.Norm.Momentum, model.Norm.Eps, model.Norm.Affine));

        var plain = new BnPlainModel();
        Assert.Equal(new[] { "In.weight", "In.bias", "Norm.running_mean", "Norm.running_var", "Norm.num_batches_tracked", "Out.weight", "Out.bias" },
            plain.NamedParameters.Select(p => p.Name).ToArray());
        Assert.Equal((false, 0.3f, 1e-3f), (plain.Norm.Affine, plain.Norm.Momentum, plain.Norm.Eps));
        Assert.True(plain.Norm.Weight.IsEmpty && plain.Norm.WeightGradient.IsEmpty);
    }

    [Fact]
    public void PyTorch_s_state_dict_with_an_int64_count_loads_and_is_saved_as_int64()
    {
        var model = new BnModel();
        string fixture = Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "batchnorm.safetensors");
        Assert.Equal("I64", SafetensorsFile.Read(fixture).GetDtype("Norm.num_batches_tracked"));
        model.LoadSafetensors(fixture);
        JsonElement golden = Load("batchnorm");
        JsonElement trained = golden.GetProperty("batches")[3]; // after the last training batch
        Assert.Equal(4, model.Norm.NumBatchesTracked);
        Tolerance.AssertClose(model.Norm.RunningMean, Values(trained.GetProperty("running_mean")), "running_mean", 1e-7, 1e-6);
        Tolerance.AssertClose(model.Norm.RunningVar, Values(trained.GetProperty("running_var")), "running_var", 1e-7, 1e-6);

        string path = Path.Combine(Path.GetTempPath(), $"unroll-batchnorm-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.SaveSafetensors(path);
            // The header says I64 and shape [] for the count, and its 8 bytes hold 4, as PyTorch writes it.
            byte[] bytes = File.ReadAllBytes(path);
            int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            JsonObject header = JsonNode.Parse(bytes.AsSpan(8, n))!.AsObject();
            JsonObject entry = header["Norm.num_batches_tracked"]!.AsObject();
            Assert.Equal("I64", (string?)entry["dtype"]);
            Assert.Empty(entry["shape"]!.AsArray());
            long begin = (long)entry["data_offsets"]![0]!, end = (long)entry["data_offsets"]![1]!;
            Assert.Equal(8, end - begin);
            Assert.Equal(4L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 + n + (int)begin)));
            Assert.All(header.Where(e => e.Key is not ("Norm.num_batches_tracked" or "__metadata__")), e => Assert.Equal("F32", (string?)e.Value!["dtype"]));

            var reloaded = new BnModel(3);
            reloaded.LoadSafetensors(path);
            foreach (NamedParameter p in model.NamedParameters) Tolerance.AssertIdentical(reloaded.NamedParameters[p.Name].Values, p.Values, p.Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_integer_tensor_beyond_float32_or_an_integer_into_a_float_parameter_is_refused()
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "batchnorm.safetensors");
        byte[] bytes = File.ReadAllBytes(fixture);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        JsonObject header = JsonNode.Parse(bytes.AsSpan(8, n))!.AsObject();
        int at = 8 + n + (int)(long)header["Norm.num_batches_tracked"]!["data_offsets"]![0]!;
        string path = Path.Combine(Path.GetTempPath(), $"unroll-batchnorm-{Guid.NewGuid():N}.safetensors");
        try
        {
            byte[] large = (byte[])bytes.Clone();
            BinaryPrimitives.WriteInt64LittleEndian(large.AsSpan(at), (1L << 24) + 1);
            File.WriteAllBytes(path, large);
            var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));
            Assert.Contains("'Norm.num_batches_tracked'", e.Message, StringComparison.Ordinal);
            Assert.Contains("2^24", e.Message, StringComparison.Ordinal);

            // A count as I32 loads too; a float parameter stored as an integer does not (the model keeps its weights).
            var model = new BnModel(5);
            float[] before = model.Parameters.ToArray();
            WriteWithIntegers(path, model, "Norm.bias");
            var refused = Assert.Throws<InvalidDataException>(() => model.LoadSafetensors(path));
            Assert.Contains("'Norm.bias'", refused.Message, StringComparison.Ordinal);
            Tolerance.AssertIdentical(model.Parameters, before, "parameters");
            WriteWithIntegers(path, model, null);
            model.LoadSafetensors(path);
            Assert.Equal(7, model.Norm.NumBatchesTracked);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The model's state dict with num_batches_tracked = 7 as I32, and <paramref name="alsoInteger"/> as I32 zeros.</summary>
    private static void WriteWithIntegers(string path, IFeatureInputModel model, string? alsoInteger)
    {
        var header = new JsonObject();
        var data = new List<byte>();
        foreach (NamedParameter p in model.NamedParameters)
        {
            bool integer = p.IsInteger || p.Name == alsoInteger;
            byte[] bytes = integer
                ? Enumerable.Range(0, p.Length).SelectMany(_ => BitConverter.GetBytes(p.IsInteger ? 7 : 0)).ToArray()
                : p.Values.ToArray().SelectMany(BitConverter.GetBytes).ToArray();
            header[p.Name] = new JsonObject
            {
                ["dtype"] = integer ? "I32" : "F32",
                ["shape"] = new JsonArray(p.Shape.ToArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(data.Count, data.Count + bytes.Length),
            };
            data.AddRange(bytes);
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        var file = new byte[8 + json.Length + data.Count];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        File.WriteAllBytes(path, file);
    }

    [Fact]
    public void Compiled_in_weights_give_PyTorch_s_evaluation_outputs()
    {
        var model = new BnCompiled();
        Assert.Equal(4, model.Norm.NumBatchesTracked);
        foreach (JsonElement b in Load("batchnorm").GetProperty("batches").EnumerateArray().Where(b => !b.GetProperty("training").GetBoolean()))
        {
            var output = new float[Values(b.GetProperty("output")).Length];
            model.Forward(Floats(b.GetProperty("x")), output, T, b.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            Tolerance.AssertClose(output, Values(b.GetProperty("output")), "output", 1e-5, 1e-5);
        }
    }

    [Fact]
    public void Checkpoints_carry_the_running_statistics()
    {
        var model = new BnModel(2);
        var x = new float[4 * T * 3];
        new SeededRandom(3).FillNormal(x);
        var output = new float[4 * T * 2];
        model.Forward(x, output);
        model.Forward(x.AsSpan(0, 2 * T * 3), output.AsSpan(0, 2 * T * 2));
        var optimizer = new Sgd(BnModel.ParameterCount, 0.1f);
        string path = Path.Combine(Path.GetTempPath(), $"unroll-batchnorm-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, model, optimizer);
            var restored = new BnModel(9);
            Checkpoint.Load(path, restored, new Sgd(BnModel.ParameterCount, 0.1f));
            Assert.Equal(2, restored.Norm.NumBatchesTracked);
            Tolerance.AssertIdentical(restored.Norm.RunningMean, model.Norm.RunningMean, "running_mean");
            Tolerance.AssertIdentical(restored.Norm.RunningVar, model.Norm.RunningVar, "running_var");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Fewer_than_two_values_per_feature_in_training_are_refused_and_change_nothing()
    {
        var model = new BnModel(4);
        var x = new float[4 * T * 3];
        new SeededRandom(5).FillNormal(x);
        var output = new float[4 * T * 2];
        model.Forward(x, output);
        float[] arena = model.NamedParameters.SelectMany(p => p.Values.ToArray()).ToArray();

        var e = Assert.Throws<ArgumentException>(() => model.Forward(x.AsSpan(0, 3), new float[2], 1)); // one row of one step
        Assert.Equal("input", e.ParamName);
        Assert.Contains("Expected more than 1 value per channel when training", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => model.Forward(x.AsSpan(0, T * 3), new float[T * 2], T, new[] { 1 }));
        Assert.Equal("input", e.ParamName);
        Assert.Equal(arena, model.NamedParameters.SelectMany(p => p.Values.ToArray()).ToArray());
        Assert.Equal(1, model.Norm.NumBatchesTracked);

        // One row of two steps is a batch; so is a single step in evaluation.
        model.Forward(x.AsSpan(0, T * 3), new float[T * 2], T, new[] { 2 });
        Assert.Equal(2, model.Norm.NumBatchesTracked);
        model.Training = false;
        model.Forward(x.AsSpan(0, 3), new float[2], 1);

        var last = new BnLastModel(4);
        e = Assert.Throws<ArgumentException>(() => last.Forward(x.AsSpan(0, T * 3), new float[2]));
        Assert.Equal("input", e.ParamName);
        Assert.Equal(0, last.Norm.NumBatchesTracked);
        last.Forward(x.AsSpan(0, 2 * T * 3), new float[2 * 2]);
        Assert.Equal(1, last.Norm.NumBatchesTracked);
    }

    [Fact]
    public void Padding_gets_zero_and_does_not_reach_the_real_outputs()
    {
        var model = new BnModel(6);
        var x = new float[3 * T * 3];
        new SeededRandom(7).FillNormal(x);
        int[] lengths = { 5, 2, 4 };
        var output = new float[3 * T * 2];
        model.Forward(x, output, T, lengths);
        float[] mean = model.Norm.RunningMean.ToArray();

        // Other values in the padding: the same real outputs, the same statistics; the padding's output is Out.bias (Norm gave 0).
        var model2 = new BnModel(6);
        float[] x2 = (float[])x.Clone();
        for (int b = 0; b < 3; b++) x2.AsSpan((b * T + lengths[b]) * 3, (T - lengths[b]) * 3).Fill(100f);
        var output2 = new float[output.Length];
        model2.Forward(x2, output2, T, lengths);
        Tolerance.AssertIdentical(output2, output, "output");
        Tolerance.AssertIdentical(model2.Norm.RunningMean, mean, "running_mean");
        Assert.Equal(model.Out.Bias.ToArray(), output.AsSpan((1 * T + 3) * 2, 2).ToArray());
    }

    [Fact]
    public void Backward_matches_finite_differences_at_odd_sizes()
    {
        foreach (bool training in new[] { true, false })
        {
            var model = new BnGru(11) { Training = training };
            new SeededRandom(12).FillUniform(model.Norm.RunningMean, -0.5f, 0.5f);
            new SeededRandom(13).FillUniform(model.Norm.RunningVar, 0.5f, 2f);
            var x = new float[2 * 7 * 3]; // 2 rows of the batch's 3
            new SeededRandom(14).FillNormal(x);
            int[] lengths = { 7, 4 };
            var weights = new float[2 * 7 * 3];
            new SeededRandom(15).FillUniform(weights, -1, 1);
            var output = new float[weights.Length];
            double Loss()
            {
                model.Forward(x, output, 7, lengths);
                double loss = 0;
                for (int i = 0; i < output.Length; i++) loss += (double)weights[i] * output[i];
                return loss;
            }
            Loss();
            model.ZeroGradients();
            var inputGradient = new float[x.Length];
            model.Backward(weights, inputGradient);
            FloatFiniteDifferences.AssertMatches(model.Parameters, model.Gradients.ToArray(), Loss, $"∂parameters ({(training ? "training" : "evaluation")})");
            FloatFiniteDifferences.AssertMatches(x, inputGradient, Loss, $"∂x ({(training ? "training" : "evaluation")})");
            Assert.All(inputGradient.AsSpan((7 + 4) * 3).ToArray(), g => Assert.Equal(0f, g)); // row 1's padding
        }
    }

    [Fact]
    public void Step_reproduces_the_evaluation_Forward()
    {
        var model = new BnGru(5);
        var x = new float[3 * 7 * 3];
        new SeededRandom(6).FillNormal(x);
        var output = new float[3 * 7 * 3];
        model.Forward(x, output); // training: running statistics away from 0 and 1
        model.Forward(x, output);
        model.Training = false;
        var expected = new float[output.Length];
        model.Forward(x, expected);

        model.ResetState();
        var step = new float[3 * 3];
        var stepInput = new float[3 * 3];
        for (int t = 0; t < 7; t++)
        {
            for (int b = 0; b < 3; b++) x.AsSpan((b * 7 + t) * 3, 3).CopyTo(stepInput.AsSpan(b * 3, 3));
            model.Step(stepInput, step);
            for (int b = 0; b < 3; b++)
                Tolerance.AssertClose(step.AsSpan(b * 3, 3), Layout.ToDouble(expected.AsSpan((b * 7 + t) * 3, 3)), $"step {t}, row {b}", 1e-6, 0);
        }
    }

    [Fact]
    public void Forward_Backward_and_Step_allocate_nothing()
    {
        var model = new BnGru(5);
        var x = new float[3 * 7 * 3];
        new SeededRandom(8).FillNormal(x);
        var output = new float[3 * 7 * 3];
        var inputGradient = new float[x.Length];
        var step = new float[3 * 3];
        int[] lengths = { 7, 3, 5 };
        Assert.Equal(0, Allocations.Of(() => model.Forward(x, output, 7, lengths)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(output, inputGradient)));
        model.Training = false;
        Assert.Equal(0, Allocations.Of(() => model.Forward(x, output)));
        Assert.Equal(0, Allocations.Of(() => model.Backward(output, inputGradient)));
        Assert.Equal(0, Allocations.Of(() => model.Step(x.AsSpan(0, 9), step)));
    }

    internal static JsonElement Load(string name)
    {
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json"));
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    internal static double[] Values(JsonElement tensor) => tensor.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    internal static float[] Floats(JsonElement tensor) => Values(tensor).Select(v => (float)v).ToArray();
}
