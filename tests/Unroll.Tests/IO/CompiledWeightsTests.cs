using Xunit;

namespace Unroll.Tests;

// The models of StModels.cs again, with PyTorch's fixture files compiled in: [Model(Weights = "...")] and the files
// as AdditionalFiles items (Unroll.Tests.csproj).

/// <summary><see cref="StTokenLm"/> with <c>st_token_lm.safetensors</c> compiled in.</summary>
[Model(SequenceLength = 6, BatchSize = 3, Weights = "st_token_lm.safetensors")]
public partial class CompiledTokenLm
{
    [Embedding(11, 5)] public partial EmbeddingLayer Embed { get; }
    [Lstm(5, 7, NumLayers = 2)] public partial LstmLayer Rnn { get; }
    [Linear(7, 11)] public partial LinearLayer Head { get; }
}

/// <summary><see cref="StBiLstm"/>, inference only, with <c>st_bilstm.safetensors</c> (named by more of its path) compiled in.</summary>
[Model(SequenceLength = 5, BatchSize = 2, InferenceOnly = true, Weights = "IO/Fixtures/st_bilstm.safetensors")]
public partial class CompiledBiLstm
{
    [Lstm(3, 5, NumLayers = 2, Bidirectional = true)] public partial LstmLayer Rnn { get; }
    [Linear(10, 4, Bias = false)] public partial LinearLayer Head { get; }
}

/// <summary><see cref="StGru"/> with <c>st_gru.safetensors</c> (F32) compiled in.</summary>
[Model(SequenceLength = 5, BatchSize = 2, Weights = "st_gru.safetensors")]
public partial class CompiledGru
{
    [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary><see cref="StGru"/> with the F64 file compiled in (rounded to float32 by the generator).</summary>
[Model(SequenceLength = 5, BatchSize = 2, Weights = "st_gru_f64.safetensors")]
public partial class CompiledGruF64
{
    [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary><see cref="StGru"/> with the F16 file compiled in.</summary>
[Model(SequenceLength = 5, BatchSize = 2, Weights = "st_gru_f16.safetensors")]
public partial class CompiledGruF16
{
    [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary><see cref="StGru"/> with the BF16 file compiled in.</summary>
[Model(SequenceLength = 5, BatchSize = 2, Weights = "st_gru_bf16.safetensors")]
public partial class CompiledGruBf16
{
    [Gru(4, 6, ReturnSequences = false)] public partial GruLayer Rnn { get; }
    [Linear(6, 3)] public partial LinearLayer Head { get; }
}

/// <summary>
/// Weights compiled into the assembly hold exactly what the runtime's safetensors reader loads from the same file
/// (F32 as stored; F64, F16 and BF16 converted the same way), with no file read at run time.
/// </summary>
public sealed class CompiledWeightsTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "IO", "Fixtures", name);

    /// <summary>The compiled parameters against a twin that loads the file at run time, bit for bit.</summary>
    private static void AssertSameBits(NamedParameterCollection compiled, NamedParameterCollection loaded)
    {
        Assert.Equal(loaded.Select(p => p.Name), compiled.Select(p => p.Name));
        foreach (var (c, l) in compiled.Zip(loaded))
        {
            Assert.Equal(l.Values.ToArray().Select(BitConverter.SingleToInt32Bits), c.Values.ToArray().Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [InlineData("st_gru.safetensors")]
    [InlineData("st_gru_f64.safetensors")]
    [InlineData("st_gru_f16.safetensors")]
    [InlineData("st_gru_bf16.safetensors")]
    public void Gru_weights_equal_the_file_loaded_at_run_time(string file)
    {
        IInferenceModel<float> compiled = file switch
        {
            "st_gru.safetensors" => new CompiledGru(),
            "st_gru_f64.safetensors" => new CompiledGruF64(),
            "st_gru_f16.safetensors" => new CompiledGruF16(),
            _ => new CompiledGruBf16(),
        };
        var loaded = new StGru(7);
        loaded.LoadSafetensors(Fixture(file));
        AssertSameBits(compiled.NamedParameters, loaded.NamedParameters);
        Assert.Contains(compiled.Parameters.ToArray(), v => v != 0);

        // And they compute what the loaded twin computes.
        var input = new float[StGru.BatchSize * StGru.SequenceLength * StGru.InputSize];
        new SeededRandom(3).FillNormal(input);
        var expected = new float[StGru.BatchSize * StGru.OutputSize];
        var actual = new float[expected.Length];
        loaded.Forward(input, expected);
        compiled.Forward(input, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Stacked_and_bidirectional_models_get_every_tensor()
    {
        var tokenLm = new StTokenLm(7);
        tokenLm.LoadSafetensors(Fixture("st_token_lm.safetensors"));
        AssertSameBits(new CompiledTokenLm().NamedParameters, tokenLm.NamedParameters);

        var biLstm = new StBiLstm(7);
        biLstm.LoadSafetensors(Fixture("st_bilstm.safetensors"));
        AssertSameBits(new CompiledBiLstm().NamedParameters, biLstm.NamedParameters);
    }

    [Fact]
    public void LoadCompiledWeights_undoes_training_and_the_seeded_constructor_still_initialises()
    {
        var model = new CompiledTokenLm();
        float[] compiled = model.Parameters.ToArray();

        // A few steps of SGD move every weight; loading the compiled weights brings them back, and streaming repacks.
        var tokens = new int[CompiledTokenLm.BatchSize * CompiledTokenLm.SequenceLength];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = (i * 7) % 11;
        var logits = new float[tokens.Length * CompiledTokenLm.OutputSize];
        var dLogits = new float[logits.Length];
        model.Forward(tokens, logits);
        Loss.CrossEntropy(logits, tokens, dLogits, CompiledTokenLm.OutputSize);
        model.ZeroGradients();
        model.Backward(dLogits);
        for (int i = 0; i < compiled.Length; i++) model.Parameters[i] -= model.Gradients[i];
        Assert.NotEqual(compiled, model.Parameters.ToArray());
        model.LoadCompiledWeights();
        Assert.Equal(compiled, model.Parameters.ToArray());

        // The seeded constructor is PyTorch's initialisation, as for any model.
        Assert.Equal(new StTokenLm(4).Parameters.ToArray(), new CompiledTokenLm(4).Parameters.ToArray());
    }

    [Fact]
    public void Streaming_runs_on_the_compiled_weights()
    {
        var compiled = new CompiledTokenLm();
        var loaded = new StTokenLm(1);
        loaded.LoadSafetensors(Fixture("st_token_lm.safetensors"));
        var a = new float[CompiledTokenLm.BatchSize * CompiledTokenLm.OutputSize];
        var b = new float[a.Length];
        int[] tokens = { 1, 4, 9 };
        for (int t = 0; t < 4; t++)
        {
            compiled.Step(tokens, a);
            loaded.Step(tokens, b);
            Assert.Equal(b, a);
        }
    }

    [Fact]
    public void CopyTo_reads_two_chars_a_float_low_half_first_and_names_a_mismatched_argument()
    {
        var destination = new float[2];
        CompiledWeights.CopyTo("\u0000\u3F80\u0000\uC000", destination);
        Assert.Equal(new[] { 1f, -2f }, destination);

        var e = Assert.Throws<ArgumentException>(() => CompiledWeights.CopyTo("\u0000\u3F80\u0000", destination));
        Assert.Equal("bits", e.ParamName);
        Assert.Equal(new[] { 1f, -2f }, destination);
    }
}
