using ScottPlot;

namespace Unroll.Samples;

/// <summary>PNG line plots (ScottPlot, drawn by SkiaSharp), 900 × 500 pixels.</summary>
internal static class Plots
{
    /// <summary>Draws each series as a line (with markers when it has few points), a legend at the right, and saves the picture as a PNG file.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, params ReadOnlySpan<(string Label, double[] X, double[] Y)> series)
    {
        var plot = new Plot();
        foreach (var (label, x, y) in series)
        {
            // A short series (validation every few hundred steps) gets markers, so that even one point shows.
            var scatter = plot.Add.Scatter(x, y);
            scatter.LegendText = label;
            scatter.MarkerSize = x.Length <= 50 ? 6 : 0;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, 900, 500);
    }
}
