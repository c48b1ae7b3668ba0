using CharLm;
using Xunit;

namespace Unroll.Tests;

/// <summary>A character model small enough to train for a few hundred steps in a test.</summary>
[Model(SequenceLength = 16, BatchSize = 4)]
public partial class TinyCharLm
{
    [Embedding(global::CharLm.Vocabulary.Size, 8)] public partial EmbeddingLayer Embed { get; }
    [Lstm(8, 24, NumLayers = 2, Dropout = 0.1)] public partial LstmLayer Rnn { get; }
    [Linear(24, global::CharLm.Vocabulary.Size)] public partial LinearLayer Head { get; }
}

/// <summary>
/// The CharLm sample's training loop end to end on a tiny model and text: the loss falls, and a run
/// resumed from a checkpoint continues the uninterrupted run's loss trajectory bit for bit.
/// </summary>
public class CharLmTrainingTests
{
    private static readonly string Text = string.Concat(Enumerable.Range(0, 120).Select(i =>
        $"the {(i % 3 == 0 ? "quick" : "slow")} brown fox jumps over the {(i % 5 == 0 ? "lazy" : "sleepy")} dog {i % 7}.\n"));

    private static (Trainer Trainer, TinyCharLm Model) Start(int seed)
    {
        var model = new TinyCharLm(seed);
        int[] ids = global::CharLm.Vocabulary.Of(Text).Encode(Text);
        return (new Trainer(model, ids, new TrainingOptions { LearningRate = 1e-2f, Seed = seed, ValidationBatches = 4 }), model);
    }

    [Fact]
    public void Training_lowers_the_loss()
    {
        var (trainer, _) = Start(1);
        float before = trainer.ValidationLoss();
        var losses = new List<float>();
        for (int i = 0; i < 300; i++) losses.Add(trainer.TrainStep());
        float after = trainer.ValidationLoss();

        Assert.InRange(before, 3.5f, 4.6f); // about ln 65 ≈ 4.17 from the initialisation
        Assert.True(after < 0.6f * before, $"validation loss {before} → {after}");
        Assert.True(losses.TakeLast(50).Average() < 0.6 * losses.Take(50).Average(), "training loss falls");
        Assert.Equal(300, trainer.Step);
    }

    [Fact]
    public void A_training_step_allocates_nothing()
    {
        var (trainer, _) = Start(5);
        Assert.Equal(0, Allocations.Of(() =>
        {
            trainer.TrainStep();
            trainer.ValidationLoss();
        }));
    }

    [Fact]
    public void A_resumed_run_continues_the_same_trajectory()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-charlm-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (uninterrupted, _) = Start(2);
            float[] expected = Enumerable.Range(0, 160).Select(_ => uninterrupted.TrainStep()).ToArray();

            var (first, firstModel) = Start(2);
            for (int i = 0; i < 80; i++) Assert.Equal(expected[i], first.TrainStep());
            Checkpoint.Save(path, firstModel, first.Optimizer, [first.DataGenerator], new Dictionary<string, string> { ["note"] = "half way" });

            // A fresh process would start from another initialisation: the checkpoint must replace all of it.
            var (resumed, resumedModel) = Start(99);
            var metadata = Checkpoint.Load(path, resumedModel, resumed.Optimizer, [resumed.DataGenerator]);
            Assert.Equal("half way", metadata["note"]);
            Assert.Equal(80, resumed.Step);
            for (int i = 80; i < 160; i++) Assert.Equal(expected[i], resumed.TrainStep());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_checkpoint_of_another_model_or_optimizer_changes_nothing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unroll-charlm-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (trainer, model) = Start(3);
            trainer.TrainStep();
            Checkpoint.Save(path, model, trainer.Optimizer, [trainer.DataGenerator]);

            // Another optimizer type.
            var (other, otherModel) = Start(4);
            float[] before = otherModel.Parameters.ToArray();
            var sgd = new Sgd(TinyCharLm.ParameterCount, 0.1f);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, otherModel, sgd, [other.DataGenerator]));
            Assert.Contains("Adam", e.Message);
            Tolerance.AssertIdentical(otherModel.Parameters, before, "parameters after a refused checkpoint");

            // Fewer generators than the checkpoint holds: an unknown tensor.
            e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, otherModel, other.Optimizer));
            Assert.Contains("random.0", e.Message);
            Tolerance.AssertIdentical(otherModel.Parameters, before, "parameters after a refused checkpoint");
            Assert.Equal(0, other.Step);

            // Another model: the parameters do not match.
            var token = new TokenLm();
            float[] tokenBefore = token.Parameters.ToArray();
            Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, token, new Adam(TokenLm.ParameterCount), [new SeededRandom(1)]));
            Tolerance.AssertIdentical(token.Parameters, tokenBefore, "parameters after a refused checkpoint");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
