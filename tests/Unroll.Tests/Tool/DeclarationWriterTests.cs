using Unroll.Tool.Importing;
using Xunit;

namespace Unroll.Tests.Tool;

/// <summary>The declaration an import writes: its class name, its text, and the pair of files written whole or not at all.</summary>
public sealed class DeclarationWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("unroll-declaration-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly ImportedModel Model = new("Tiny", 5, 2,
        [new ImportedLayer("Head", "Linear(3, 2)", "LinearLayer", "ONNX node '/head/Gemm' (Gemm, node 1 of 1)")],
        [new ImportedTensor("Head.weight", [2, 3], [1, 2, 3, 4, 5, 6]), new ImportedTensor("Head.bias", [2], [0.5f, -0.5f])],
        "tiny.onnx (ONNX, opset 14)");

    [Theory]
    [InlineData("char_lm-v2.onnx", "CharLmV2")]
    [InlineData("lstm.onnx", "LstmModel")] // not Lstm, which would hide the [Lstm] attribute
    [InlineData("linear_layer.h5", "LinearLayerModel")] // not the view type LinearLayer
    [InlineData("7up.json", "Model7up")]
    [InlineData("my model (1).onnx", "MyModel1")]
    public void A_class_name_made_from_the_file_s_name_names_no_type_of_Unroll_s(string file, string name) =>
        Assert.Equal(name, DeclarationWriter.ClassName(null, file));

    [Theory]
    [InlineData("class", "is not a class name")]
    [InlineData("Char-Lm", "is not a class name")]
    [InlineData("Gru", "Unroll's own type Unroll.Gru")]
    public void A_given_class_name_is_checked(string name, string message) =>
        Assert.Contains(message, Assert.Throws<ImportException>(() => DeclarationWriter.ClassName(name, "x.onnx")).Message);

    [Fact]
    public void The_declaration_names_each_layer_s_origin_and_the_weights_load_into_it()
    {
        var (declaration, weights) = DeclarationWriter.Write(Model, _folder, "Models");
        string text = File.ReadAllText(declaration);
        Assert.Contains("[Model(SequenceLength = 5, BatchSize = 2)]", text);
        Assert.Contains("/// <summary>ONNX node '/head/Gemm' (Gemm, node 1 of 1).</summary>", text);
        Assert.Contains("[Linear(3, 2)]\n    public partial LinearLayer Head { get; }", text);
        var file = SafetensorsFile.Read(weights);
        Assert.Equal(["Head.weight", "Head.bias"], file.Names.Order().Reverse().ToArray());
        Assert.Equal([2, 3], file.GetShape("Head.weight").ToArray());
    }

    [Fact]
    public void When_the_weights_cannot_be_written_neither_file_is()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "Tiny.safetensors")); // a folder where the weights file would go
        Assert.ThrowsAny<IOException>(() => DeclarationWriter.Write(Model, _folder, "Models"));
        Assert.Equal([Path.Combine(_folder, "Tiny.safetensors")], Directory.GetFileSystemEntries(_folder));
    }
}
