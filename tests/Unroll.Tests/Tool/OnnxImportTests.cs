using System.Runtime.CompilerServices;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Unroll.Tool.Importing;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests.Tool;

/// <summary>
/// <c>unroll import model.onnx</c> on graphs torch.onnx.export wrote (Tool/Fixtures/make_onnx_fixtures.py): the
/// declaration is the committed one (Tool/Imported/*.cs, compiled here by the generator), the written weights make it
/// give PyTorch's outputs, and what Unroll cannot declare is an error naming the node that writes nothing.
/// </summary>
public class OnnxImportTests(ITestOutputHelper output) : ImportTests(output, "onnx", ".onnx", "PyTorch")
{
    /// <summary>Each good fixture, the class its declaration names, and the --sequence-length it needs (its time axis is open).</summary>
    public static TheoryData<string, string, int?> Models => new()
    {
        { "lstm", "OnnxLstm", null },
        { "lstm_stacked_bidirectional", "OnnxStackedBidirectionalLstm", null },
        { "gru", "OnnxGru", 5 },
        { "rnn_relu", "OnnxRnnRelu", null },
        { "embedding_gru_linear", "OnnxEmbeddingGruLinear", null },
        { "linear_tanh_linear", "OnnxLinearTanhLinear", null },
        { "conv_batchnorm_relu_lstm", "OnnxConvBatchNormReluLstm", null },
        { "layernorm_gelu", "OnnxLayerNormGelu", null },
        { "activations", "OnnxActivations", null },
        { "gru_stacked_bidirectional", "OnnxStackedBidirectionalGru", null },
        { "conv_dilated_grouped", "OnnxConvDilatedGrouped", null },
        { "self_attention", "OnnxSelfAttention", null },
        { "self_attention_causal", "OnnxCausalSelfAttention", null },
        { "conv_pools_mean", "OnnxConvPoolsMean", null },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Importing_writes_the_committed_declaration(string fixture, string name, int? sequenceLength) => AssertCommittedDeclaration(fixture, name, sequenceLength);

    [Theory]
    [MemberData(nameof(Models))]
    public void The_committed_model_with_the_written_weights_gives_PyTorchs_output(string fixture, string name, int? sequenceLength) => AssertReproducesReference(fixture, name, sequenceLength);

    // ------------------------------------------------------------------------------------------------
    // What Unroll cannot declare: an error naming the node, and nothing written

    /// <summary>A fixture's graph edited in code, written to a temporary .onnx file.</summary>
    private string Edited(string fixture, Action<ModelProto> edit)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(Fixtures, fixture + ".onnx")));
        edit(model);
        string path = Path.Combine(Path.GetTempPath(), $"unroll-{fixture}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void A_softmax_is_named_as_a_node_Unroll_has_no_layer_for()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_softmax.onnx"));
        Assert.Contains("node 3 of 3, '/1/Softmax' (Softmax): Unroll has no layer for it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Attention_with_a_residual_connection_is_rejected()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_attention_residual.onnx"));
        Output.WriteLine(error.Message);
        Assert.Contains("without branches", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_initial_state_that_is_not_zeros_is_rejected()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_initial_state.onnx"));
        Assert.Contains("node 2 of 5, '/lstm/LSTM' (LSTM): its initial hidden state 'h0' is not zeros", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Returning_the_final_states_is_rejected()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_final_state.onnx"));
        Assert.Contains("the graph has 3 outputs", error.Message, StringComparison.Ordinal);
        Assert.Contains("the final sequence", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gemm_with_transB_is_the_same_linear_layer_as_MatMul_and_Add()
    {
        // The first Linear of linear_tanh_linear as nn.Linear exports it for 2-D input: Gemm(x, W [out, in], b, transB = 1).
        string path = Edited("linear_tanh_linear", model =>
        {
            GraphProto graph = model.Graph;
            NodeProto matMul = graph.Node.Single(n => n.Name == "/0/MatMul"), add = graph.Node.Single(n => n.Name == "/0/Add");
            TensorProto matrix = graph.Initializer.Single(t => t.Name == matMul.Input[1]);
            float[] values = MemoryMarshalCast(matrix.RawData.ToByteArray());
            int rows = (int)matrix.Dims[0], columns = (int)matrix.Dims[1];
            var transposed = new float[values.Length];
            for (int r = 0; r < rows; r++) for (int c = 0; c < columns; c++) transposed[c * rows + r] = values[r * columns + c];
            var weight = new TensorProto { Name = "0.weight", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(transposed.AsSpan())) };
            weight.Dims.Add([columns, rows]);
            graph.Initializer.Add(weight);
            var gemm = new NodeProto { Name = "/0/Gemm", OpType = "Gemm" };
            gemm.Input.Add(["input", "0.weight", add.Input[0]]);
            gemm.Output.Add(add.Output[0]);
            gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            int at = graph.Node.IndexOf(matMul);
            graph.Node.Remove(add);
            graph.Node[at] = gemm;
            graph.Initializer.Remove(matrix);
        });
        try
        {
            ImportedModel gemm = Importers.For(path).Import(path, new ImportOptions("Gemm", null, 2));
            ImportedModel matMul = Import("linear_tanh_linear", "MatMul");
            Assert.Equal(matMul.Layers.Select(l => l.Attribute), gemm.Layers.Select(l => l.Attribute));
            Assert.StartsWith("ONNX node '/0/Gemm' (Gemm, node 1 of 4)", gemm.Layers[0].Origin, StringComparison.Ordinal);
            Assert.Equal(matMul.Tensors.Count, gemm.Tensors.Count);
            for (int i = 0; i < matMul.Tensors.Count; i++)
            {
                Assert.Equal(matMul.Tensors[i].Name, gemm.Tensors[i].Name);
                Assert.Equal(matMul.Tensors[i].Shape, gemm.Tensors[i].Shape);
                Assert.Equal(matMul.Tensors[i].Values, gemm.Tensors[i].Values);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static float[] MemoryMarshalCast(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    public void A_truncated_file_is_invalid_data(double kept)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Fixtures, "lstm.onnx"));
        string path = Path.Combine(Path.GetTempPath(), $"unroll-truncated-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * kept)]);
        try
        {
            var error = ImportFails<InvalidDataException>(path);
            Assert.Contains(Path.GetFileName(path), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_weight_of_the_wrong_shape_names_the_node_and_the_shapes()
    {
        string path = Edited("linear_tanh_linear", model =>
        {
            // The second Linear's [9, 3] matrix replaced by an [8, 3] one: it no longer fits the 9 features before it.
            TensorProto weight = model.Graph.Initializer.Single(t => t.Dims.SequenceEqual(new long[] { 9, 3 }));
            weight.Dims[0] = 8;
            weight.RawData = ByteString.CopyFrom(weight.RawData.Span[..(8 * 3 * 4)]);
        });
        try
        {
            var error = ImportFails<ImportException>(path);
            Assert.Contains("node 4 of 5, '/2/MatMul' (MatMul): its weight", error.Message, StringComparison.Ordinal);
            Assert.Contains("has shape [8, 3], but its input has 9 features", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_gru_with_the_reset_gate_before_the_product_is_rejected()
    {
        string path = Edited("gru", model => model.Graph.Node.Single(n => n.OpType == "GRU").Attribute.Single(a => a.Name == "linear_before_reset").I = 0);
        try
        {
            var error = ImportFails<ImportException>(path, sequenceLength: 5);
            Assert.Contains("'/rnn/GRU' (GRU): its linear_before_reset is 0", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_open_time_axis_asks_for_the_sequence_length()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "gru.onnx"));
        Assert.Contains("time axis open ('time')", error.Message, StringComparison.Ordinal);
        Assert.Contains("--sequence-length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_onnx_importer_reads_onnx_files()
    {
        Assert.IsType<Unroll.Tool.Importing.Onnx.OnnxImporter>(Importers.For("model.ONNX"));
        Assert.Throws<ImportException>(() => Importers.For("model.txt"));
    }
}
