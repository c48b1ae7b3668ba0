using System.Text;

namespace Unroll.Generators.Emitting;

/// <summary>
/// The kernels the generated code calls with four or more integer arguments, and the names of those parameters and of
/// their flags (null for the others): <see cref="SourceWriter"/> names such arguments in every call it writes (<c>lda: 128, m: 16</c>), so
/// that a reader sees which size is which. A test holds the names to the runtime's signatures.
/// </summary>
internal static class KernelCalls
{
    private const string Kernels = "global::Unroll.Kernels.";

    public static readonly Dictionary<string, string?[]> IntegerParameters = new()
    {
        ["Blas.MultiplyTransposed"] = new[] { null, "lda", null, "ldb", null, "ldc", "m", "n", "k" },
        ["Blas.Multiply"] = new[] { null, "lda", null, "ldb", null, "ldc", "m", "n", "k" },
        ["Blas.MultiplyTransposedAAdd"] = new[] { null, "lda", null, "ldb", null, "ldc", "m", "n", "k" },
        ["Blas.MultiplyPacked"] = new[] { null, "lda", null, null, "ldc", "m", "n", "k" },
        ["Blas.CopyRows"] = new[] { null, "lds", null, "ldd", "m", "n" },
        ["Blas.AddRows"] = new[] { null, "lds", null, "ldd", "m", "n" },
        ["Blas.ToTimeMajor"] = new[] { null, null, "rows", "batch", "length", "features" },
        ["Blas.FromTimeMajor"] = new[] { null, null, "rows", "batch", "length", "features" },
        ["Convolution.PackWeights"] = new[] { null, null, "inChannels", "outChannels", "kernelSize", "groups" },
        ["Convolution.Forward"] = new[] { null, null, null, null, "batch", "maxTime", "rows", "length", null, "inChannels", "outChannels", "kernelSize", "stride", "padding", "dilation", "groups", "causal" },
        ["Convolution.Backward"] = new[] { null, null, null, null, null, null, null, "batch", "maxTime", "rows", "length", null, "inChannels", "outChannels", "kernelSize", "stride", "padding", "dilation", "groups", "causal", null, "accumulate" },
        ["Pooling.MaxForward"] = new[] { null, null, "batch", "maxTime", "rows", "length", null, "channels", "kernelSize", "stride", "padding", "dilation" },
        ["Pooling.MaxBackward"] = new[] { null, null, null, null, "batch", "maxTime", "rows", "length", null, "channels", "kernelSize", "stride", "padding", "dilation" },
        ["Pooling.AverageForward"] = new[] { null, null, "batch", "maxTime", "rows", "length", null, "channels", "kernelSize", "stride", "padding", "countIncludePad" },
        ["Pooling.AverageBackward"] = new[] { null, null, "batch", "maxTime", "rows", "length", null, "channels", "kernelSize", "stride", "padding", "countIncludePad" },
        ["Pooling.OverTime"] = new[] { null, null, null, "batch", "maxTime", "rows", "length", null, "channels" },
        ["Pooling.OverTimeBackward"] = new[] { null, null, null, null, null, "batch", "maxTime", "rows", "length", null, "channels" },
        ["Cells.LstmStep"] = new[] { null, "ldx", null, "ldPrev", null, null, null, null, "ldh", "batch", "input", "hidden" },
        ["Cells.GruStep"] = new[] { null, "ldx", null, "ldPrev", null, null, "ldh", "batch", "input", "hidden" },
        ["Cells.GruForward"] = new[] { null, null, null, "ldhPrev", null, "ldh", "batch", "hidden" },
        ["Cells.GruBackward"] = new[] { null, null, "ldhPrev", null, "lddh", null, null, null, "batch", "hidden" },
        ["Cells.RnnBackward"] = new[] { null, "ldh", null, "lddh", null, null, "batch", "hidden" },
        ["Packing.Hold"] = new[] { null, "t", null, "ldPrev", null, "ldh", null, null, "hidden" },
        ["Packing.PassHeld"] = new[] { null, "t", null, "lddh", null, null, null, null, null, null, "gateWidth", "hidden" },
        ["Attention.Forward"] = new[] { null, "ldq", null, "ldk", null, "ldv", null, null, "ldo", "queries", "keys", "dk", "dv", null, null, "validKeys" },
        ["Attention.Backward"] = new[] { null, "ldq", null, "ldk", null, "ldv", null, null, "ldo", null, null, null, null, null, "queries", "keys", "dkWidth", "dvWidth", null, null, "validKeys" },
        ["AdditiveAttention.Forward"] = new[] { null, null, "ldk", null, null, "ldv", null, null, null, null, "keys", "validKeys", "attention", "valueWidth" },
        ["AdditiveAttention.Backward"] = new[] { null, null, "ldv", null, null, null, null, null, null, null, "lddk", null, null, null, "validKeys", "attention", "valueWidth" },
    };

    /// <summary><paramref name="line"/> with the integer arguments of every call above that it holds whole named.</summary>
    public static string NameArguments(string line)
    {
        if (line.IndexOf(Kernels, StringComparison.Ordinal) < 0) return line;
        var result = new StringBuilder(line.Length + 64);
        int at = 0;
        while (true)
        {
            int call = line.IndexOf(Kernels, at, StringComparison.Ordinal);
            if (call < 0) break;
            int open = line.IndexOf('(', call);
            string name = open < 0 ? "" : line.Substring(call + Kernels.Length, open - call - Kernels.Length);
            if (open < 0 || !IntegerParameters.TryGetValue(name, out string?[]? names) || Arguments(line, open) is not { } arguments)
            {
                result.Append(line, at, call + Kernels.Length - at);
                at = call + Kernels.Length;
                continue;
            }
            result.Append(line, at, open + 1 - at);
            for (int i = 0; i < arguments.Count; i++)
            {
                string argument = NameArguments(arguments[i].Text); // a kernel call inside an argument
                string? parameter = i < names.Length ? names[i] : null;
                // A variable of the parameter's name says it already, and so does an argument named already.
                bool named = parameter is not null && argument != parameter && !argument.StartsWith(parameter + ":", StringComparison.Ordinal);
                result.Append(i == 0 ? "" : ", ").Append(named ? parameter + ": " + argument : argument);
            }
            at = arguments.Count == 0 ? open + 1 : arguments[arguments.Count - 1].End;
        }
        return result.Append(line, at, line.Length - at).ToString();
    }

    /// <summary>The arguments of the call whose parenthesis opens at <paramref name="open"/>, trimmed, each with where it ends; null when the call does not close on the line.</summary>
    private static List<(string Text, int End)>? Arguments(string line, int open)
    {
        var arguments = new List<(string, int)>();
        int depth = 0, start = open + 1;
        char quote = '\0';
        for (int i = open; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == '\\') i++;
                else if (c == quote) quote = '\0';
                continue;
            }
            switch (c)
            {
                case '"' or '\'': quote = c; break;
                case '(' or '[' or '{': depth++; break;
                case ')' or ']' or '}':
                    if (--depth > 0) break;
                    if (i > start || arguments.Count > 0) arguments.Add((line.Substring(start, i - start).Trim(), i));
                    return arguments;
                case ',' when depth == 1:
                    arguments.Add((line.Substring(start, i - start).Trim(), i));
                    start = i + 1;
                    break;
            }
        }
        return null;
    }
}
