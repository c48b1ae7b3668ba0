using Unroll.Tool.Inspecting;
using Xunit;

namespace Unroll.Tests.Tool;

/// <summary><c>unroll inspect</c> on each kind of file (Tool/Fixtures/inspect/make_inspect_fixtures.py), and on bad ones.</summary>
public class InspectTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Tool", "Fixtures", "inspect", name);

    [Fact]
    public void A_safetensors_file_lists_every_tensor_and_counts_the_parameters()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", "transformer_decoder_post.safetensors");
        IReadOnlyList<TensorInfo> tensors = Inspector.Read(path);
        var file = SafetensorsFile.Read(path);
        Assert.Equal(file.Names, tensors.Select(t => t.Name));
        TensorInfo embedding = tensors.Single(t => t.Name == "Dec.embedding.weight");
        Assert.Equal([7L, 8L], embedding.Shape);
        Assert.Equal("F32", embedding.Dtype);
        // The golden model's parameters: GoldenTransformerPost compiled with the same tensors.
        Assert.Contains($"Parameters: {Transformer.GoldenTransformerPost.ParameterCount:N0} (floating-point tensors)", Inspector.Format("x", tensors));
    }

    [Fact]
    public void An_onnx_model_lists_its_initializers()
    {
        IReadOnlyList<TensorInfo> tensors = Inspector.Read(Fixture("lstm.onnx"));
        // nn.LSTM(3, 4): W [1, 16, 3], R [1, 16, 4], B [1, 32].
        Assert.Equal([[1L, 16, 3], [1L, 16, 4], [1L, 32]], tensors.Select(t => t.Shape).ToArray());
        Assert.All(tensors, t => Assert.Equal("float", t.Dtype));
        Assert.Contains("Parameters: 144 ", Inspector.Format("lstm.onnx", tensors));
    }

    [Fact]
    public void A_keras_file_counts_only_its_model_weights()
    {
        IReadOnlyList<TensorInfo> tensors = Inspector.Read(Fixture("dense.h5"));
        Assert.Equal(["model_weights/dense/dense/bias:0", "model_weights/dense/dense/kernel:0", "optimizer_weights/iter:0"], tensors.Select(t => t.Name).Order().ToArray());
        Assert.Equal("float32", tensors.Single(t => t.Name.EndsWith("kernel:0", StringComparison.Ordinal)).Dtype);
        Assert.Equal("int64", tensors.Single(t => t.Name.StartsWith("optimizer", StringComparison.Ordinal)).Dtype);
        Assert.Contains("Parameters: 16 (floating-point tensors; the others are not counted)", Inspector.Format("dense.h5", tensors));
    }

    private static string KerasFixture(string name) => Path.Combine(AppContext.BaseDirectory, "Tool", "Fixtures", "keras", name);

    [Fact]
    public void A_keras_3_archive_lists_its_weights_file_s_tensors()
    {
        IReadOnlyList<TensorInfo> tensors = Inspector.Read(KerasFixture("keras3_lstm.keras"));
        Assert.Equal(["layers/lstm/cell/vars/0", "layers/lstm/cell/vars/1", "layers/lstm/cell/vars/2"], tensors.Select(t => t.Name).Order().ToArray());
        Assert.Equal([[3L, 16], [4L, 16], [16L]], tensors.OrderBy(t => t.Name).Select(t => t.Shape).ToArray());
        Assert.Contains("Parameters: 128 ", Inspector.Format("keras3_lstm.keras", tensors));
    }

    [Theory]
    [InlineData("lstm.onnx", "not a valid ONNX model")]
    [InlineData("dense.h5", "not a valid HDF5 file")]
    [InlineData("keras3_lstm.keras", "not a valid .keras file")]
    public void A_truncated_file_is_invalid_data(string name, string message)
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-inspect-{Environment.ProcessId}-{name}");
        byte[] bytes = File.ReadAllBytes(name.EndsWith(".keras", StringComparison.Ordinal) ? KerasFixture(name) : Fixture(name));
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 3).ToArray());
        try
        {
            Assert.Contains(message, Assert.Throws<InvalidDataException>(() => Inspector.Read(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Another_kind_of_file_is_refused_by_name()
    {
        Assert.Contains("it reads .safetensors, .onnx, .h5 (HDF5) and .keras (Keras 3) files", Assert.Throws<InvalidDataException>(() => Inspector.Read("model.pt")).Message);
    }
}
