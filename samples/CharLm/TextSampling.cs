using System.CommandLine;
using System.Text;
using Unroll.Samples;

namespace CharLm;

/// <summary>What the character models' samples share besides their trainer: the corpus and the sampling options.</summary>
internal static class TextSampling
{
    /// <summary>Tiny Shakespeare, embedded in the program (public domain).</summary>
    public static string ReadEmbeddedText()
    {
        using Stream stream = typeof(TextSampling).Assembly.GetManifestResourceStream("tinyshakespeare.txt")
            ?? throw new InvalidOperationException("The embedded corpus is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>--prime, --temperature, --top-k and --length, added to <paramref name="command"/>.</summary>
    public static (Option<string> Prime, Option<float> Temperature, Option<int> TopK, Option<int> Length) AddOptions(Command command)
    {
        var prime = new Option<string>("--prime") { Description = "the text the sample starts from", DefaultValueFactory = _ => "ROMEO:", HelpName = "TEXT" };
        prime.Validators.Add(result =>
        {
            if (string.IsNullOrEmpty(result.GetValueOrDefault<string>())) result.AddError("--prime needs at least one character.");
        });
        var temperature = new Option<float>("--temperature") { Description = "sampling temperature: below 1 is more conservative", DefaultValueFactory = _ => 0.8f, HelpName = "T" };
        var topK = new Option<int>("--top-k") { Description = "sample among the K most likely characters only; 0 for all", DefaultValueFactory = _ => 10, HelpName = "K" };
        var length = new Option<int>("--length") { Description = "characters to sample", DefaultValueFactory = _ => 600, HelpName = "N" }.Positive();
        foreach (Option option in new Option[] { prime, temperature, topK, length }) command.Options.Add(option);
        return (prime, temperature, topK, length);
    }
}
