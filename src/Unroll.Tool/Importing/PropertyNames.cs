using System.Globalization;
using System.Text;

namespace Unroll.Tool.Importing;

/// <summary>
/// The property names of one imported model: PascalCase from the source's own names ("time_distributed_1" →
/// <c>TimeDistributed1</c>), none the name of a member the generator adds or of the class itself, each unique.
/// </summary>
internal sealed class PropertyNames(string modelName)
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    /// <summary>Letters and digits of <paramref name="text"/>, each run after another character capitalised: "char_lm-v2" → <c>CharLmV2</c>.</summary>
    public static string Pascal(string text)
    {
        var s = new StringBuilder();
        bool upper = true;
        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }
            s.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return s.ToString();
    }

    /// <summary>
    /// A property name from a source name (<see cref="Pascal"/>), <paramref name="fallback"/> when it has no letter first
    /// (<c>Layer</c>, <c>Layer0</c>), <c>…Layer</c> after a generated member's name or the class's, numbered when taken.
    /// </summary>
    public string Unique(string name, string fallback)
    {
        string pascal = Pascal(name);
        string result = pascal.Length == 0 ? fallback : char.IsAsciiDigit(pascal[0]) ? fallback + pascal : pascal;
        if (result == modelName || Reserved.Contains(result)) result += "Layer";
        string unique = result;
        for (int k = 2; !_taken.Add(unique); k++) unique = result + k.ToString(CultureInfo.InvariantCulture);
        return unique;
    }

    /// <summary>Members the generator adds to a model, which a property must not be named.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "Forward", "Backward", "Step", "Parameters", "Gradients", "NamedParameters", "Training", "DropoutGenerator", "Summary",
        "ZeroGradients", "ResetState", "ReorderState", "LoadSafetensors", "SaveSafetensors", "FindNonFinite", "SequenceLength",
        "BatchSize", "InputSize", "OutputSize", "ParameterCount", "VocabularySize", "Encode",
    };
}
