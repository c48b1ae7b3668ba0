using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using Spectre.Console;

namespace Unroll.Samples;

/// <summary>
/// What the samples share: the command line (a wrong one exits with status 2), a folder per run for what they write,
/// and a progress bar for training.
/// </summary>
internal static class Sample
{
    /// <summary>
    /// Runs the command's action and returns its exit status; a wrong command line prints why and returns 2.
    /// When the output is redirected (a CI log), Spectre.Console draws no live bar and uses no control codes, and
    /// here it also stops wrapping lines at 80 columns, so each log line stays whole.
    /// </summary>
    public static int Invoke(RootCommand command, string[] args)
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 250;
        ParseResult result = command.Parse(args);
        if (result.Errors.Count == 0) return result.Invoke();
        foreach (ParseError error in result.Errors) Console.Error.WriteLine(error.Message);
        Console.Error.WriteLine("Try --help for the options.");
        return 2;
    }

    /// <summary>The option rejects a value that is not positive (one that is not a number the parser rejects itself).</summary>
    public static Option<T> Positive<T>(this Option<T> option)
        where T : INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens is [.., var token] && T.TryParse(token.Value, CultureInfo.InvariantCulture, out T? value) && value <= T.Zero)
                result.AddError($"{option.Name} must be positive.");
        });
        return option;
    }

    /// <summary>The path of a file the sample writes: <c>runs/<paramref name="sample"/>/<paramref name="file"/></c>, below the current directory.</summary>
    public static string RunPath(string sample, string file) => Path.Combine("runs", sample, file);

    /// <summary>Creates the file's folder if missing, writes the file with <paramref name="write"/>, and says so.</summary>
    public static void Write(string path, string what, Action<string> write)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        write(path);
        AnsiConsole.WriteLine($"Wrote {path} ({what}).");
    }

    /// <summary>
    /// A table with these column headers, taken as plain text (Spectre.Console would read "x[t]" as markup); every
    /// column but the first is aligned right, for numbers.
    /// </summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table();
        foreach (string header in headers) table.AddColumn(new TableColumn(new Text(header)) { Alignment = table.Columns.Count == 0 ? null : Justify.Right });
        return table;
    }

    /// <summary>Adds a row of plain text.</summary>
    public static Table Row(this Table table, params string[] cells) => table.AddRow(cells.Select(cell => new Text(cell)));

    /// <summary>
    /// Runs <paramref name="work"/> under a progress bar of <paramref name="total"/> units (the task's description can
    /// show the loss). Lines written with <see cref="AnsiConsole.WriteLine(string)"/> meanwhile appear above the bar.
    /// A console that is not interactive gets no bar, only a line at 25%, 50%, 75% and 95 to 100%.
    /// </summary>
    public static void Progress(string description, double total, Action<ProgressTask> work) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context => work(context.AddTask(description, maxValue: total)));
}
