using System.Globalization;

namespace Unroll;

/// <summary>
/// A NaN or infinity found by a model's <c>FindNonFinite()</c>: where it is, and the value. <see cref="Step"/> and
/// <see cref="Row"/> are -1 for a parameter or a gradient, whose <see cref="Index"/> is then the element of the tensor.
/// </summary>
/// <param name="Where">The layer output (<c>"Rnn output"</c>, <c>"Rnn layer 1 states"</c>) or tensor (<c>"Head.weight"</c>, <c>"∂Head.weight"</c>).</param>
/// <param name="Step">The time step, for a layer output.</param>
/// <param name="Row">The batch row, for a layer output.</param>
/// <param name="Index">The feature of a layer output, or the element of a tensor.</param>
/// <param name="Value">The value: NaN, +∞ or −∞.</param>
public readonly record struct NonFiniteValue(string Where, int Step, int Row, int Index, float Value)
{
    /// <summary>For example <c>"NaN in Rnn output at step 37, row 2, feature 5"</c> or <c>"-Infinity in ∂Head.weight[12]"</c>.</summary>
    public override string ToString() => Step >= 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Value} in {Where} at step {Step}, row {Row}, feature {Index}")
        : string.Create(CultureInfo.InvariantCulture, $"{Value} in {Where}[{Index}]");
}

/// <summary>The scans behind the generated <c>FindNonFinite()</c>: the first NaN or infinity in a buffer, in order.</summary>
public static class NonFinite
{
    /// <summary>The first non-finite value of a time-major buffer <c>[steps, batch, width]</c>, step by step.</summary>
    /// <param name="values">The buffer; at least <c>steps · batch · width</c> values.</param>
    /// <param name="steps">Time steps to look at.</param>
    /// <param name="batch">Rows per step.</param>
    /// <param name="width">Features per row.</param>
    /// <param name="where">What the buffer is, for the report.</param>
    /// <param name="found">The value and where it is, when one is found.</param>
    /// <returns><see langword="true"/> if a non-finite value was found.</returns>
    /// <exception cref="ArgumentException"><paramref name="values"/> is shorter than <c>steps · batch · width</c>.</exception>
    public static bool InSteps(ReadOnlySpan<float> values, int steps, int batch, int width, string where, out NonFiniteValue found)
    {
        long count = (long)steps * batch * width;
        if (count > values.Length) throw new ArgumentException($"{where}: {values.Length} values cannot hold [{steps}, {batch}, {width}].", nameof(values));
        int i = First(values.Slice(0, (int)count));
        found = i < 0 ? default : new NonFiniteValue(where, i / (batch * width), i / width % batch, i % width, values[i]);
        return i >= 0;
    }

    /// <summary>The first non-finite value among the parameters (or, with <paramref name="gradients"/>, their gradients), tensor by tensor in state-dict order.</summary>
    /// <param name="parameters">The model's named parameters.</param>
    /// <param name="gradients">Look at the gradients (named <c>∂name</c> in the report) instead of the values.</param>
    /// <param name="found">The value and where it is, when one is found.</param>
    /// <returns><see langword="true"/> if a non-finite value was found.</returns>
    public static bool InTensors(NamedParameterCollection parameters, bool gradients, out NonFiniteValue found)
    {
        for (int t = 0; t < parameters.Count; t++)
        {
            NamedParameter p = parameters[t];
            ReadOnlySpan<float> values = gradients ? p.Gradients : p.ReadOnlyValues;
            int i = First(values);
            if (i >= 0)
            {
                found = new NonFiniteValue(gradients ? "∂" + p.Name : p.Name, -1, -1, i, values[i]);
                return true;
            }
        }
        found = default;
        return false;
    }

    private static int First(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }
        return -1;
    }
}
