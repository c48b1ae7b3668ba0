using System.IO.Compression;
using Unroll.Tool.Importing;
using Xunit;
using Xunit.Abstractions;

namespace Unroll.Tests.Tool;

/// <summary>
/// <c>unroll import model.h5</c> on files in Keras 2's HDF5 layout (Tool/Fixtures/keras/make_keras_fixtures.py, written
/// without TensorFlow, with each model's output computed in NumPy from Keras' equations) and in Keras 3's legacy HDF5
/// layout (keras3_*.h5, make_keras3_fixtures.py): the declaration is the
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
        { "keras3_lstm", "Keras3H5Lstm", null },
        { "keras3_bidirectional_gru", "Keras3H5BidirectionalGru", null },
        { "keras3_embedding_gru_dense", "Keras3H5EmbeddingGruDense", null },
        { "keras3_conv_batchnorm_lstm", "Keras3H5ConvBatchNormLstm", null },
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
        (string file, string message) = TruncatedFileError(Path.Combine(Fixtures, "conv_batchnorm_relu_lstm.h5"), kept);
        Output.WriteLine(message);
        Assert.Contains(file, message, StringComparison.Ordinal);
    }

    /// <summary>The <see cref="InvalidDataException"/>'s message importing the first <paramref name="kept"/> of a file's bytes gives (nothing written), and the cut file's name.</summary>
    internal static (string File, string Message) TruncatedFileError(string source, double kept)
    {
        byte[] bytes = File.ReadAllBytes(source);
        string path = Path.Combine(Path.GetTempPath(), $"unroll-truncated-{Guid.NewGuid():N}{Path.GetExtension(source)}");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * kept)]);
        try
        {
            return (Path.GetFileName(path), ImportFails<InvalidDataException>(path).Message);
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
    public void A_keras_3_layer_with_lora_weights_apart_is_refused()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "keras3_bad_lora.h5"));
        Output.WriteLine(error.Message);
        Assert.Contains("layer 3 of 3, 'dense' (Dense): its weight 'sequential/dense/lora_kernel_a' is a LoRA factor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_keras_importer_reads_h5_and_keras_files()
    {
        Assert.IsType<Unroll.Tool.Importing.Keras.KerasImporter>(Importers.For("model.h5"));
        Assert.IsType<Unroll.Tool.Importing.Keras.KerasImporter>(Importers.For("model.HDF5"));
        Assert.IsType<Unroll.Tool.Importing.Keras.KerasImporter>(Importers.For("model.keras"));
    }
}

/// <summary>
/// <c>unroll import model.keras</c> on Keras 3's zip files (Tool/Fixtures/keras/make_keras3_fixtures.py, written in the
/// layout of keras/src/saving/saving_lib.py without Keras): the declaration is the committed one (Tool/Imported/Keras3*.cs),
/// the written weights make it give Keras' outputs, the same as the model's Keras 3 .h5 file, and a damaged or incomplete
/// archive, or a layer Unroll cannot declare, is an error that writes nothing.
/// </summary>
public class Keras3ImportTests(ITestOutputHelper output) : ImportTests(output, "keras", ".keras", "Keras")
{
    /// <summary>Each good fixture and the class its declaration names.</summary>
    public static TheoryData<string, string> Models => new()
    {
        { "keras3_lstm", "Keras3Lstm" },
        { "keras3_bidirectional_gru", "Keras3BidirectionalGru" },
        { "keras3_embedding_gru_dense", "Keras3EmbeddingGruDense" },
        { "keras3_conv_batchnorm_lstm", "Keras3ConvBatchNormLstm" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Importing_writes_the_committed_declaration(string fixture, string name) => AssertCommittedDeclaration(fixture, name, null);

    [Theory]
    [MemberData(nameof(Models))]
    public void The_committed_model_with_the_written_weights_gives_Keras_output(string fixture, string name) => AssertReproducesReference(fixture, name, null);

    [Theory]
    [MemberData(nameof(Models))]
    public void The_keras_file_and_the_h5_file_of_a_model_give_the_same_weights(string fixture, string name)
    {
        ImportedModel archive = Import(fixture, name);
        string h5 = Path.Combine(Fixtures, fixture + ".h5");
        ImportedModel legacy = Importers.For(h5).Import(h5, new ImportOptions(name, null, BatchSize: 2));
        Assert.Equal(legacy.Layers.Select(l => l.Attribute), archive.Layers.Select(l => l.Attribute));
        Assert.Equal(legacy.Tensors.Select(t => t.Name), archive.Tensors.Select(t => t.Name));
        foreach ((ImportedTensor a, ImportedTensor b) in archive.Tensors.Zip(legacy.Tensors))
        {
            Assert.Equal(b.Shape, a.Shape);
            Assert.Equal(b.Values, a.Values);
        }
    }

    [Fact]
    public void Weights_are_found_by_class_and_order_not_by_layer_name()
    {
        // The model's second Dense, 'dense_1', is layers/dense (the first Dense is inside time_distributed); a
        // BatchNormalization without center holds gamma, moving_mean, moving_variance as vars 0, 1, 2.
        ImportedModel model = Import("keras3_embedding_gru_dense", "M");
        Assert.Equal([2, 3], model.Tensors.Single(t => t.Name == "Dense1.weight").Shape);
        Assert.Equal([3, 5], model.Tensors.Single(t => t.Name == "TimeDistributed.weight").Shape);
        ImportedModel conv = Import("keras3_conv_batchnorm_lstm", "C");
        Assert.All(conv.Tensors.Single(t => t.Name == "BatchNormalization.bias").Values, v => Assert.Equal(0f, v));
        Assert.All(conv.Tensors.Single(t => t.Name == "BatchNormalization.running_var").Values, v => Assert.InRange(v, 0.5f, 1.5f));
    }

    [Theory]
    [InlineData("LSTM", "lstm")]
    [InlineData("SimpleRNN", "simple_rnn")]
    [InlineData("Conv1D", "conv1d")]
    [InlineData("BatchNormalization", "batch_normalization")]
    [InlineData("LeakyReLU", "leaky_re_lu")]
    [InlineData("MultiHeadAttention", "multi_head_attention")]
    public void Layer_paths_are_keras_snake_case(string cls, string path) => Assert.Equal(path, Unroll.Tool.Importing.Keras.KerasArchive.SnakeCase(cls));

    [Fact]
    public void An_attention_layer_is_named_with_its_class_and_index()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "keras3_bad_attention.keras"));
        Output.WriteLine(error.Message);
        Assert.Contains("'keras3_bad_attention.keras': layer 3 of 4, 'multi_head_attention' (MultiHeadAttention): attention is not imported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quantized_layer_is_refused()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "keras3_bad_quantized.keras"));
        Output.WriteLine(error.Message);
        Assert.Contains("layer 3 of 3, 'dense' (Dense): it is quantized (QuantizedDTypePolicy, mode 'int8')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gru_with_reset_after_false_is_rejected_with_what_to_do()
    {
        var error = ImportFails<ImportException>(Path.Combine(Fixtures, "keras3_bad_gru_reset_before.keras"));
        Output.WriteLine(error.Message);
        Assert.Contains("layer 2 of 2, 'gru' (GRU): it has reset_after=False, a different cell", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_archive_without_its_weights_is_invalid_data()
    {
        var error = ImportFails<InvalidDataException>(Path.Combine(Fixtures, "keras3_bad_no_weights.keras"));
        Output.WriteLine(error.Message);
        Assert.Contains("'keras3_bad_no_weights.keras' is not a complete .keras file: it has no model.weights.h5 (its entries: metadata.json, config.json)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_saved_for_other_layers_are_invalid_data()
    {
        var error = ImportFails<InvalidDataException>(Path.Combine(Fixtures, "keras3_bad_other_weights.keras"));
        Output.WriteLine(error.Message);
        Assert.Contains("its model.weights.h5 holds the weights of layer 'lstm_2' at layers/lstm, where Keras saves those of layer 'lstm' (LSTM)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void A_truncated_archive_is_invalid_data(double kept)
    {
        (string file, string message) = KerasImportTests.TruncatedFileError(Path.Combine(Fixtures, "keras3_conv_batchnorm_lstm.keras"), kept);
        Output.WriteLine(message);
        Assert.Contains($"'{file}' is not a valid .keras file", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_weights_file_in_the_archive_is_invalid_data()
    {
        // The archive is whole, but its model.weights.h5 is cut short.
        string path = Repacked("keras3_lstm", (name, data) => (name, name == "model.weights.h5" ? data[..(data.Length / 2)] : data));
        try
        {
            var error = ImportFails<InvalidDataException>(path);
            Output.WriteLine(error.Message);
            Assert.Contains($"'{Path.GetFileName(path)}': its model.weights.h5 is not a valid HDF5 file", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Weights_saved_as_npz_are_named_with_what_to_do()
    {
        string path = Repacked("keras3_lstm", (name, data) => (name == "model.weights.h5" ? "model.weights.npz" : name, data));
        try
        {
            var error = ImportFails<ImportException>(path);
            Output.WriteLine(error.Message);
            Assert.Contains("holds its weights as model.weights.npz (weights_format=\"npz\")", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A copy of a fixture's archive in a temporary file, each entry's name and bytes as <paramref name="change"/> gives them.</summary>
    private string Repacked(string fixture, Func<string, byte[], (string Name, byte[] Data)> change)
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-repacked-{Guid.NewGuid():N}.keras");
        using ZipArchive source = ZipFile.OpenRead(Path.Combine(Fixtures, fixture + ".keras"));
        using ZipArchive target = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (ZipArchiveEntry entry in source.Entries)
        {
            using var bytes = new MemoryStream();
            using (Stream stream = entry.Open()) stream.CopyTo(bytes);
            (string name, byte[] data) = change(entry.FullName, bytes.ToArray());
            using Stream written = target.CreateEntry(name).Open();
            written.Write(data);
        }
        return path;
    }
}
