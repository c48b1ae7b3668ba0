using Xunit;

namespace Unroll.Tests;

/// <summary><c>Summary()</c>: every layer with what it is, its output shape and parameters, then the totals and the arena.</summary>
public class SummaryTests
{
    [Fact]
    public void Summary_lists_the_layers_shapes_parameters_and_arena()
    {
        string[] lines = PartialTokenLm.Summary().Split('\n');
        Assert.Equal("PartialTokenLm: batch of up to 4, sequences of up to 6 steps", lines[0]);
        Assert.Matches(@"^Layer +Kind +Output shape +Parameters$", lines[1]);
        Assert.Matches(@"^Embed +Embedding\(11 → 5\) +\[4, 6, 5\] +55$", lines[2]);
        Assert.Matches(@"^Rnn +LSTM\(5 → 7\) +\[4, 6, 7\] +392$", lines[3]);  // 4·7·(5 + 7) + 2·4·7
        Assert.Matches(@"^Head +Linear\(7 → 11\) +\[4, 6, 11\] +88$", lines[4]);
        Assert.Equal($"Parameters: {PartialTokenLm.ParameterCount:N0}", lines[5]);
        Assert.Equal(55 + 392 + 88, PartialTokenLm.ParameterCount);
        Assert.StartsWith("Arena: ", lines[6], StringComparison.Ordinal);

        // Without a time axis after the many-to-one layer: [batch, features].
        Assert.Contains(PartialBiGru.Summary().Split('\n'), line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^Rnn +GRU\(3 → 6, bidirectional, last step only\) +\[4, 12\] +"));
    }
}
