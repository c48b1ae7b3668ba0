using Xunit;
using SequenceMetrics = Unroll.Metrics;

namespace Unroll.Tests.Training;

/// <summary>
/// <see cref="Metrics.EditDistance"/>, <see cref="Metrics.ErrorRate"/>, <see cref="Metrics.CharacterErrorRate"/> and
/// <see cref="Metrics.WordErrorRate"/> on worked cases and against the full dynamic-programming table; nothing allocated.
/// </summary>
public class ErrorRateTests
{
    [Theory]
    [InlineData(new[] { 1, 2, 3 }, new[] { 1, 2, 3 }, 0)]
    [InlineData(new[] { 1, 4, 3 }, new[] { 1, 2, 3 }, 1)]          // a substitution
    [InlineData(new[] { 1, 2, 9, 3 }, new[] { 1, 2, 3 }, 1)]       // an insertion
    [InlineData(new[] { 1, 3 }, new[] { 1, 2, 3 }, 1)]             // a deletion
    [InlineData(new[] { 2, 1 }, new[] { 1, 2 }, 2)]                // a swap is two edits
    [InlineData(new int[0], new[] { 1, 2, 3 }, 3)]
    [InlineData(new[] { 5, 5 }, new int[0], 2)]
    [InlineData(new int[0], new int[0], 0)]
    public void EditDistance_counts_the_fewest_edits(int[] hypothesis, int[] reference, int edits)
    {
        Assert.Equal(edits, SequenceMetrics.EditDistance(hypothesis, reference));
        Assert.Equal(edits, SequenceMetrics.EditDistance(reference, hypothesis));
    }

    [Fact]
    public void ErrorRate_divides_by_the_reference_length_and_defines_an_empty_reference()
    {
        Assert.Equal(1f / 3, SequenceMetrics.ErrorRate([1, 4, 3], [1, 2, 3]));
        Assert.Equal(2f, SequenceMetrics.ErrorRate([7, 8, 9, 1], [1, 2]));        // insertions: above 1
        Assert.Equal(0f, SequenceMetrics.ErrorRate([], []));                       // nothing said, nothing recognised
        Assert.Equal(float.PositiveInfinity, SequenceMetrics.ErrorRate([1], []));  // anything recognised out of nothing
    }

    [Fact]
    public void CharacterErrorRate_and_WordErrorRate_match_worked_cases()
    {
        Assert.Equal(3f / 7, SequenceMetrics.CharacterErrorRate("kitten", "sitting"));
        Assert.Equal(0f, SequenceMetrics.CharacterErrorRate("", ""));
        Assert.Equal(0.5f, SequenceMetrics.WordErrorRate("the cat sat", "the cat sat on the mat"));     // three deletions of six
        Assert.Equal(0.25f, SequenceMetrics.WordErrorRate("a quick brown fox", "the quick brown fox"));  // a substitution
        Assert.Equal(0f, SequenceMetrics.WordErrorRate("  the\tcat\n", "the cat"));                      // any white space separates
        Assert.Equal(1f / 3, SequenceMetrics.WordErrorRate("the cat the sat", "the cat sat"));           // an insertion
        Assert.Equal(0.5f, SequenceMetrics.WordErrorRate("The cat", "the cat"));                         // compared as written
        Assert.Equal(float.PositiveInfinity, SequenceMetrics.WordErrorRate("uh", " "));
        Assert.Throws<ArgumentNullException>("hypothesis", () => SequenceMetrics.WordErrorRate(null!, "a"));
        Assert.Throws<ArgumentNullException>("reference", () => SequenceMetrics.WordErrorRate("a", null!));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(17, 30)]
    [InlineData(511, 512)]   // the row moves from the stack to the pool
    [InlineData(700, 640)]
    public void EditDistance_matches_the_full_table(int hypothesisLength, int referenceLength)
    {
        var random = new Random(hypothesisLength * 1000 + referenceLength);
        int[] hypothesis = Enumerable.Range(0, hypothesisLength).Select(_ => random.Next(4)).ToArray();
        int[] reference = Enumerable.Range(0, referenceLength).Select(_ => random.Next(4)).ToArray();
        var table = new int[hypothesisLength + 1, referenceLength + 1];
        for (int i = 0; i <= hypothesisLength; i++) table[i, 0] = i;
        for (int j = 0; j <= referenceLength; j++) table[0, j] = j;
        for (int i = 1; i <= hypothesisLength; i++)
        {
            for (int j = 1; j <= referenceLength; j++)
                table[i, j] = Math.Min(Math.Min(table[i - 1, j], table[i, j - 1]) + 1, table[i - 1, j - 1] + (hypothesis[i - 1] == reference[j - 1] ? 0 : 1));
        }
        Assert.Equal(table[hypothesisLength, referenceLength], SequenceMetrics.EditDistance(hypothesis, reference));
    }

    [Fact]
    public void Error_rates_allocate_nothing()
    {
        int[] shortHypothesis = [1, 2, 3, 4, 5], shortReference = [1, 3, 3, 5];
        int[] longHypothesis = Enumerable.Range(0, 900).ToArray(), longReference = Enumerable.Range(3, 800).ToArray();
        Assert.Equal(0, Allocations.Of(() => SequenceMetrics.ErrorRate(shortHypothesis, shortReference)));
        Assert.Equal(0, Allocations.Of(() => SequenceMetrics.EditDistance(longHypothesis, longReference)));
        Assert.Equal(0, Allocations.Of(() => SequenceMetrics.CharacterErrorRate("kitten", "sitting")));
        Assert.Equal(0, Allocations.Of(() => SequenceMetrics.WordErrorRate("the cat sat on a mat", "the cat sat on the mat")));
    }
}
