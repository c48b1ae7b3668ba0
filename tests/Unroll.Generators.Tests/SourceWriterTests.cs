using Unroll.Generators.Emitting;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>How the writer keeps lines within its width: comments at spaces, code at argument commas, literals split into concatenations.</summary>
public sealed class SourceWriterTests
{
    private static string[] Wrap(string line, int width) => SourceWriter.Wrap(line, width).ToArray();

    [Fact]
    public void A_short_line_stays_whole() => Assert.Equal(new[] { "Call(a, b);" }, Wrap("Call(a, b);", 40));

    [Fact]
    public void A_comment_breaks_at_its_spaces_and_each_line_keeps_the_marker()
    {
        string[] lines = Wrap("/// <summary>One two three four five six seven eight nine ten.</summary>", 30);
        Assert.All(lines, l => Assert.StartsWith("/// ", l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.True(l.Length <= 30, l));
        Assert.Equal("<summary>One two three four five six seven eight nine ten.</summary>", string.Join(" ", lines.Select(l => l.Substring(4))));
    }

    [Fact]
    public void Code_breaks_after_the_commas_of_its_outermost_call_with_deeper_continuations()
    {
        string[] lines = Wrap("    Blas.Multiply(a.Slice(1, 2), 128, b.Slice(3, 4), 256, c, 512, rows, 64, 32, accumulate: false);", 60);
        Assert.Equal(new[]
        {
            "    Blas.Multiply(a.Slice(1, 2), 128, b.Slice(3, 4), 256, c,",
            "        512, rows, 64, 32, accumulate: false);",
        }, lines);
    }

    [Fact]
    public void A_trailing_comment_goes_above_its_code()
    {
        Assert.Equal(new[] { "// what it does", "Call(a, b);" }, Wrap("Call(a, b); // what it does", 20));
    }

    [Fact]
    public void A_long_string_literal_becomes_a_concatenation_of_the_same_text()
    {
        string text = "The weights file 'w.safetensors' does not fit model 'M': tensor 'x' has shape [3, 9], but the model's is [9, 3] (see UNR0025)";
        string[] lines = Wrap($"throw new Exception(\"{text}\");", 60);
        Assert.All(lines, l => Assert.True(l.Length <= 60, l));
        // The pieces, joined as the compiler joins them, give the literal back.
        string joined = string.Concat(lines.Select(l => l.Trim())).Replace("\" +\"", "", StringComparison.Ordinal);
        Assert.Equal($"throw new Exception(\"{text}\");", joined);
    }

    [Fact]
    public void Commas_and_parentheses_inside_literals_are_not_breaks()
    {
        string[] lines = Wrap("Call(\"a, b, c, d, e, f\", 'x', \"(g)\", h);", 20);
        Assert.Equal("Call(\"a, b, c, d, e, f\", 'x', \"(g)\", h);", string.Concat(lines.Select(l => l.Trim())).Replace("\" +\"", "", StringComparison.Ordinal)
            .Replace(",'", ", '", StringComparison.Ordinal).Replace(",\"(", ", \"(", StringComparison.Ordinal).Replace(",h", ", h", StringComparison.Ordinal));
    }
}

/// <summary>The kernels whose integer (and flag) arguments the writer names: the names are the runtime's parameters', at their places.</summary>
public sealed class KernelCallTests
{
    [Fact]
    public void Named_parameters_are_the_runtime_kernels_integer_parameters_at_their_positions()
    {
        System.Reflection.Assembly runtime = typeof(Unroll.ModelAttribute).Assembly;
        foreach (var (call, names) in KernelCalls.IntegerParameters)
        {
            string[] parts = call.Split('.');
            Type type = runtime.GetType("Unroll.Kernels." + parts[0], throwOnError: true)!;
            var overloads = type.GetMethods().Where(m => m.Name == parts[1]).ToList();
            Assert.True(overloads.Any(m =>
            {
                var parameters = m.GetParameters();
                return parameters.Length >= names.Length && names.Select((n, i) => n is null
                    ? parameters[i].ParameterType != typeof(int)
                    : (parameters[i].ParameterType == typeof(int) || parameters[i].ParameterType == typeof(bool)) && parameters[i].Name == n).All(ok => ok)
                    && parameters.Skip(names.Length).All(p => p.ParameterType != typeof(int));
            }), call);
        }
    }

    [Fact]
    public void A_kernel_call_gets_its_integer_arguments_named_and_nothing_else()
    {
        Assert.Equal("global::Unroll.Kernels.Blas.CopyRows(h.Slice(t * 2), lds: 128, a.Slice(X + 4, 8), ldd: 64, m: rows, n: 8); // h_n",
            KernelCalls.NameArguments("global::Unroll.Kernels.Blas.CopyRows(h.Slice(t * 2), 128, a.Slice(X + 4, 8), 64, rows, 8); // h_n"));
        Assert.Equal("x = global::Unroll.Kernels.Blas.Linear(x, w, b, y, 1, 2, 3);", KernelCalls.NameArguments("x = global::Unroll.Kernels.Blas.Linear(x, w, b, y, 1, 2, 3);"));
        Assert.Equal("global::Unroll.Kernels.Packing.Hold(l, t, h, ldPrev, o, ldh: 4, c, d, hidden: 2);",
            KernelCalls.NameArguments("global::Unroll.Kernels.Packing.Hold(l, t, h, ldPrev, o, 4, c, d, 2);"));
        Assert.Equal("global::Unroll.Kernels.Blas.CopyRows(a, 1,", KernelCalls.NameArguments("global::Unroll.Kernels.Blas.CopyRows(a, 1,")); // not closed on the line
    }
}
