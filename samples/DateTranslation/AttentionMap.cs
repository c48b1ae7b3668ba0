using System.Text;
using ScottPlot;

namespace DateTranslation;

/// <summary>
/// Pictures of attention weights: which input characters the decoder looked at for each output
/// character. The weights are a row-major <c>[targetSteps, sourceSteps]</c> block, each row a
/// softmax (values in [0, 1]); values outside [0, 1] are clamped and NaN counts as 0.
/// </summary>
public static class AttentionMap
{
    /// <summary>The grid's shades, from weight 0 to weight 1.</summary>
    public const string Shades = " ·░▒▓█";

    /// <summary>The grid's label for a space of the source, which would be invisible.</summary>
    public const char SpaceLabel = '␣';

    /// <summary>The grid's label for the output step after the target's last character (the End token).</summary>
    public const char EndLabel = '$';

    /// <summary>
    /// The weights as a character grid for the terminal: a header line with the source characters, then
    /// one line per output step, labelled with its character, holding one shade of <see cref="Shades"/>
    /// per source character. Spaces of the source show as <see cref="SpaceLabel"/>, source positions past
    /// its end (padding) as blanks, and output steps past the target's end as <see cref="EndLabel"/>.
    /// Every line is <c>sourceSteps + 2</c> characters and ends with '\n'.
    /// </summary>
    /// <example>
    /// <code>
    ///   9␣mar␣93
    /// 1        ▓
    /// 9         █
    /// …
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The weights are not <c>targetSteps × sourceSteps</c>, or a label string is longer than its axis.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A step count is not positive.</exception>
    public static string ToGrid(ReadOnlySpan<float> weights, int targetSteps, int sourceSteps, string source, string target)
    {
        CheckLabels(weights, targetSteps, sourceSteps, source, target);
        var grid = new StringBuilder((targetSteps + 1) * (sourceSteps + 3));
        grid.Append("  ");
        for (int s = 0; s < sourceSteps; s++)
        {
            grid.Append(SourceLabel(source, s));
        }
        grid.Append('\n');
        for (int t = 0; t < targetSteps; t++)
        {
            grid.Append(TargetLabel(target, t)).Append(' ');
            foreach (float weight in weights.Slice(t * sourceSteps, sourceSteps))
            {
                grid.Append(Shades[(int)(Clamp01(weight) * (Shades.Length - 1) + 0.5f)]);
            }
            grid.Append('\n');
        }
        return grid.ToString();
    }

    /// <summary>
    /// Draws the weights as a heat map (ScottPlot) and saves it as a PNG file: one cell per weight, output steps
    /// downwards and source characters across, each axis labelled with its characters as <see cref="ToGrid"/>
    /// labels them, and a colour bar from 0 to 1.
    /// </summary>
    /// <exception cref="ArgumentException">The weights are not <c>targetSteps × sourceSteps</c>, the path is empty, or a label string is longer than its axis.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A step count is not positive.</exception>
    public static void Draw(string path, ReadOnlySpan<float> weights, int targetSteps, int sourceSteps, string source, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckLabels(weights, targetSteps, sourceSteps, source, target);
        var cells = new double[targetSteps, sourceSteps];
        for (int t = 0; t < targetSteps; t++)
        {
            for (int s = 0; s < sourceSteps; s++) cells[t, s] = Clamp01(weights[t * sourceSteps + s]);
        }

        // Row 0 of the heat map is drawn at the top: cell (t, s) is centred on (s, targetSteps - 1 - t).
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        plot.Add.ColorBar(heatmap);
        int[] columns = [.. Enumerable.Range(0, sourceSteps)], rows = [.. Enumerable.Range(0, targetSteps)];
        plot.Axes.Bottom.SetTicks([.. columns.Select(s => (double)s)], [.. columns.Select(s => SourceLabel(source, s).ToString())]);
        plot.Axes.Left.SetTicks([.. rows.Select(t => (double)(targetSteps - 1 - t))], [.. rows.Select(t => TargetLabel(target, t).ToString())]);
        plot.Axes.Bottom.TickLabelStyle.FontSize = plot.Axes.Left.TickLabelStyle.FontSize = 16;
        plot.Axes.Margins(0, 0);
        plot.Title("Attention: which input character each output character looked at");
        plot.XLabel("input characters");
        plot.YLabel("output characters ($ = end)");
        plot.SavePng(path, 160 + 30 * sourceSteps, 140 + 30 * targetSteps);
    }

    private static char SourceLabel(string source, int s) => s >= source.Length ? ' ' : source[s] == ' ' ? SpaceLabel : source[s];

    private static char TargetLabel(string target, int t) => t < target.Length ? target[t] : EndLabel;

    private static void CheckLabels(ReadOnlySpan<float> weights, int targetSteps, int sourceSteps, string source, string target)
    {
        CheckShape(weights, targetSteps, sourceSteps);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source.Length > sourceSteps)
            throw new ArgumentException($"The source has {source.Length} characters but the map only {sourceSteps} columns.", nameof(source));
        if (target.Length > targetSteps)
            throw new ArgumentException($"The target has {target.Length} characters but the map only {targetSteps} rows.", nameof(target));
    }

    private static float Clamp01(float weight) => weight >= 0f ? Math.Min(weight, 1f) : 0f; // NaN fails the test: 0

    private static void CheckShape(ReadOnlySpan<float> weights, int targetSteps, int sourceSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceSteps);
        if (weights.Length != (long)targetSteps * sourceSteps)
            throw new ArgumentException($"Expected {targetSteps} × {sourceSteps} weights, but the span holds {weights.Length}.", nameof(weights));
    }

    /// <summary>The CRC-32 of PNG and zlib (ISO 3309, reflected polynomial 0xEDB88320), a byte at a time from a table.</summary>
}
