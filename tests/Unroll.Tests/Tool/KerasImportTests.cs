using System.Runtime.CompilerServices;
using System.Text.Json;
using Unroll.Tool.Importing;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests.Tool;

/// <summary>
/// <c>unroll import model.h5</c> on files in Keras 2's HDF5 layout (Tool/Fixtures/keras/make_keras_fixtures.py, written
/// without TensorFlow, with each model's output computed in NumPy from Keras' equations): the declaration is the
/// committed one (Tool/Imported/Keras*.cs, compiled here by the generator), the written weights make it give Keras'
/// outputs, and what Unroll cannot declare is an error naming the layer that writes nothing.
/// </summary>
public class KerasImportTests(ITestOutputHelper output) : ImportTests(output, "keras", ".h5", "Keras")
{
    /// <summary>Each good fixture, the class its declaration names, and the --sequence-length it needs (its time axis is open).</summary>
    public static TheoryData<string, string, int?> Models => new()
    {
        { "lstm", "KerasLstm", null },
        { "gru", "KerasGru", 6 },
        { "simple_rnn_relu", "KerasSimpleRnnRelu", null },
        { "bidirectional_lstm_dense", "KerasBidirectionalLstmDense", null },
        { "embedding_gru_dense", "KerasEmbeddingGruDense", null },
        { "conv_batchnorm_relu_lstm", "KerasConvBatchNormReluLstm", null },
        { "conv_same_strided_activations", "KerasConvSameStridedActivations", null },
        { "bidirectional_gru_simple_rnn", "KerasBidirectionalGruSimpleRnn", null },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Importing_writes_the_committed_declaration(string fixture, string name, int? sequenceLength) => AssertCommittedDeclaration(fixture, name, sequenceLength);

    [Theory]
    [MemberData(nameof(Models))]
    public void The_committed_model_with_the_written_weights_gives_Keras_output(string fixture, string name, int? sequenceLength) => AssertReproducesReference(fixture, name, sequenceLength);

    [Fact]
    public void The_names_and_layouts_are_PyTorchs()
    {
        ImportedModel model = Import("bidirectional_lstm_dense", "Bi");
        Assert.Equal(
            ["Bidirectional.weight_ih_l0", "Bidirectional.weight_hh_l0", "Bidirectional.bias_ih_l0", "Bidirectional.bias_hh_l0",
             "Bidirectional.weight_ih_l0_reverse", "Bidirectional.weight_hh_l0_reverse", "Bidirectional.bias_ih_l0_reverse", "Bidirectional.bias_hh_l0_reverse",
             "Dense.weight", "Dense.bias"],
            model.Tensors.Select(t => t.Name));
        Assert.Equal([16, 3], model.Tensors[0].Shape);
        Assert.All(model.Tensors.Where(t => t.Name.Contains("bias_hh", StringComparison.Ordinal)), t => Assert.All(t.Values, v => Assert.Equal(0f, v)));
        ImportedModel conv = Import("conv_batchnorm_relu_lstm", "Conv");
        Assert.Equal([0f], conv.Tensors.Single(t => t.Name == "BatchNormalization.num_batches_tracked").Values);
        Assert.Equal([4, 3, 3], conv.Tensors.Single(t => t.Name == "Conv1d.weight").Shape);
    }

    // ------------------------------------------------------------------------------------------------
    // What Unroll cannot declare: an error naming the layer, and nothing written

    [Fact]
    public void A_gru_with_reset_after_false_is_rejected_with_what_to_do()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_gru_reset_before.h5"));
        Output.WriteLine(error.Message);
        Assert.Contains("layer 2 of 2, 'gru' (GRU): it has reset_after=False, a different cell", error.Message, StringComparison.Ordinal);
        Assert.Contains("retrain with reset_after=True", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_attention_layer_is_named_with_its_class_and_index()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_attention.h5"));
        Output.WriteLine(error.Message);
        Assert.Contains("'bad_attention.h5': layer 4 of 5, 'attention' (MultiHeadAttention): attention is not imported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_softmax_activation_is_named_with_what_to_do()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_softmax.h5"));
        Output.WriteLine(error.Message);
        Assert.Contains("layer 3 of 3, 'dense' (Dense): its activation is 'softmax'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Probabilities.Softmax", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_functional_model_that_branches_is_rejected_at_the_join()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_branch.h5"));
        Assert.Contains("layer 4 of 4, 'add' (Add): it takes 'dense', 'dense_1', not only the layer before it ('dense_1')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weights_only_file_asks_for_the_whole_model()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_weights_only.h5"));
        Assert.Contains("holds a Keras model's weights but not its configuration (model.save_weights)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weight_of_the_wrong_shape_names_the_layer_and_the_shapes()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "bad_shape.h5"));
        Output.WriteLine(error.Message);
        Assert.Contains("layer 2 of 2, 'lstm' (LSTM): its weight 'lstm/lstm_cell/recurrent_kernel:0' has shape [4, 12], but an LSTM(4) on 3 features needs [4, 16]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.9)]
    public void A_truncated_file_is_invalid_data(double kept)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Fixtures, "conv_batchnorm_relu_lstm.h5"));
        string path = Path.Combine(Path.GetTempPath(), $"unroll-truncated-{Guid.NewGuid():N}.h5");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * kept)]);
        try
        {
            var error = ImportFails<InvalidDataException>(path);
            Output.WriteLine(error.Message);
            Assert.Contains(Path.GetFileName(path), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_open_time_axis_asks_for_the_sequence_length()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "gru.h5"));
        Assert.Contains("time axis open", error.Message, StringComparison.Ordinal);
        Assert.Contains("--sequence-length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_keras_importer_reads_h5_files_and_explains_keras_3_files()
    {
        Assert.IsType<Unroll.Tool.Importing.Keras.KerasImporter>(Importers.For("model.h5"));
        Assert.IsType<Unroll.Tool.Importing.Keras.KerasImporter>(Importers.For("model.HDF5"));
        var error = Assert.Throws<ImportException>(() => Importers.For("model.keras").Import("model.keras", new ImportOptions("M", null, 1)));
        Assert.Contains("save the model with model.save(\"model.h5\")", error.Message, StringComparison.Ordinal);
    }
}
