namespace Unroll.Samples.Language;

/// <summary>
/// Splits text into the tokens the text samples embed: runs of letters and digits (an apostrophe between letters stays
/// inside, "don't"), and every other character that is not white space on its own (".", "!", ":").
/// </summary>
internal static class Tokens
{
    /// <summary>The tokens of <paramref name="text"/>, lower-cased when <paramref name="lowerCase"/> is set.</summary>
    public static string[] Split(string text, bool lowerCase)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }
            int start = i++;
            if (char.IsLetterOrDigit(text[start]))
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i])
                    || text[i] == '\'' && i + 1 < text.Length && char.IsLetter(text[i + 1]) && char.IsLetter(text[i - 1])))
                {
                    i++;
                }
            }
            string token = text[start..i];
            tokens.Add(lowerCase ? token.ToLowerInvariant() : token);
        }
        return [.. tokens];
    }
}
