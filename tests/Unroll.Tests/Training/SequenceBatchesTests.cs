using Xunit;

namespace Unroll.Tests;

/// <summary>
/// Mini-batches of variable-length sequences: every sequence once an epoch, padded to its batch's longest (cut at the
/// longest a model takes), the rows' lengths and indices, a smaller last batch, a new seeded order each epoch, and batches
/// a model takes as they are; nothing allocated.
/// </summary>
public class SequenceBatchesTests
{
    private static int[][] Sequences(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, count).Select(i => Enumerable.Range(0, 1 + (int)(random.NextUInt32() % 9)).Select(t => i * 100 + t + 1).ToArray()).ToArray();
    }

    [Fact]
    public void An_epoch_visits_every_sequence_once_padded_with_lengths_and_indices()
    {
        int[][] data = Sequences(10, 1);
        var batches = new SequenceBatches<int>(data, batchSize: 4, maxLength: 6, seed: 7, padding: -1);
        Assert.Equal(3, batches.BatchesPerEpoch);
        var batch = new int[4 * 6];
        int[] lengths = new int[4], indices = new int[4];
        var seen = new List<int>();
        var rowsPerBatch = new List<int>();
        while (batches.Next(batch, lengths, indices, out int rows, out int length))
        {
            rowsPerBatch.Add(rows);
            Assert.Equal(lengths.Take(rows).Max(), length);
            for (int b = 0; b < rows; b++)
            {
                int[] sequence = data[indices[b]];
                Assert.Equal(Math.Min(6, sequence.Length), lengths[b]);
                for (int t = 0; t < length; t++)
                    Assert.Equal(t < lengths[b] ? sequence[t] : -1, batch[b * length + t]); // real steps, then the padding
                seen.Add(indices[b]);
            }
        }
        Assert.Equal(new[] { 4, 4, 2 }, rowsPerBatch);
        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
        Assert.False(batches.Next(batch, lengths, indices, out _, out _)); // the epoch is over until NextEpoch
    }

    [Fact]
    public void Each_epoch_has_a_new_order_and_the_seed_repeats_them()
    {
        int[][] data = Sequences(20, 2);
        List<int> Epoch(SequenceBatches<int> batches)
        {
            var order = new List<int>();
            var batch = new int[5 * 9];
            int[] lengths = new int[5], indices = new int[5];
            while (batches.Next(batch, lengths, indices, out int rows, out _)) order.AddRange(indices.Take(rows));
            batches.NextEpoch();
            return order;
        }
        var a = new SequenceBatches<int>(data, 5, 9, seed: 3);
        var b = new SequenceBatches<int>(data, 5, 9, seed: 3);
        List<int> first = Epoch(a), second = Epoch(a);
        Assert.NotEqual(first, second);
        Assert.Equal(first, Epoch(b));
        Assert.Equal(second, Epoch(b));
    }

    [Fact]
    public void Feature_batches_feed_a_model_and_nothing_is_allocated()
    {
        // Sequences of 3 features a step into PartialBiGru ([Model(SequenceLength = 5, BatchSize = 4)], 3 → 2).
        var random = new SeededRandom(4);
        float[][] data = Enumerable.Range(0, 7).Select(i =>
        {
            var values = new float[3 * (1 + (int)(random.NextUInt32() % 7))];
            random.FillNormal(values);
            return values;
        }).ToArray();
        var batches = new SequenceBatches<float>(data, 4, 5, featuresPerStep: 3, seed: 5);
        var model = new PartialBiGru(1);
        var batch = new float[4 * 5 * 3];
        var output = new float[4 * 2];
        int[] lengths = new int[4], indices = new int[4];
        int total = 0;
        while (batches.Next(batch, lengths, indices, out int rows, out int length))
        {
            model.Forward(batch.AsSpan(0, rows * length * 3), output.AsSpan(0, rows * 2), length, lengths.AsSpan(0, rows));
            total += rows;
        }
        Assert.Equal(7, total);

        batches.NextEpoch();
        Assert.Equal(0, Allocations.Of(() =>
        {
            if (!batches.Next(batch, lengths, indices, out _, out _)) batches.NextEpoch();
        }));
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        int[][] data = Sequences(3, 5);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => new SequenceBatches<int>(Array.Empty<int[]>(), 2, 4)).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => new SequenceBatches<int>(new[] { Array.Empty<int>() }, 2, 4)).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => new SequenceBatches<float>(new[] { new float[4] }, 2, 4, featuresPerStep: 3)).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceBatches<int>(data, 0, 4)).ParamName);
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceBatches<int>(data, 2, 0)).ParamName);
        var batches = new SequenceBatches<int>(data, 2, 4);
        Assert.Equal("batch", Assert.Throws<ArgumentException>(() => batches.Next(new int[7], new int[2], new int[2], out _, out _)).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => batches.Next(new int[8], new int[1], new int[2], out _, out _)).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentException>(() => batches.Next(new int[8], new int[2], new int[1], out _, out _)).ParamName);
    }
}
