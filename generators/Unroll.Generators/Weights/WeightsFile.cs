using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Unroll.Generators.Diagnostics;
using Unroll.Generators.Model;
using Unroll.Generators.Planning;

namespace Unroll.Generators.Weights;

/// <summary>
/// A <c>.safetensors</c> AdditionalFiles item, as bytes. Roslyn hands additional files to a generator only as decoded
/// text (and reports a binary file it is asked to decode as an error), so the bytes are read from the item's path.
/// Compares by path and content: an unchanged file keeps the pipeline cached.
/// </summary>
internal sealed class WeightsFile : IEquatable<WeightsFile>
{
    private WeightsFile(string path, byte[]? bytes, string? error, bool missing = false)
    {
        Path = path;
        Bytes = bytes;
        Error = error;
        Missing = missing;
    }

    public string Path { get; }

    /// <summary>The file's content; null when it could not be read.</summary>
    public byte[]? Bytes { get; }

    /// <summary>Why the file could not be read; null when it was.</summary>
    public string? Error { get; }

    /// <summary>The item names a file that does not exist (yet): a clean build before the training run writes it.</summary>
    public bool Missing { get; }

    public static WeightsFile Read(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
#pragma warning disable RS1035 // The file is an AdditionalFiles item, which the compiler tracks; Roslyn offers its content only as text, which would corrupt binary data.
            return new WeightsFile(path, File.ReadAllBytes(path), null);
#pragma warning restore RS1035
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return new WeightsFile(path, null, e.Message, missing: e is FileNotFoundException or DirectoryNotFoundException);
        }
    }

    public bool Equals(WeightsFile? other) =>
        other is not null && Path == other.Path && Error == other.Error && Missing == other.Missing
        && (Bytes is null ? other.Bytes is null : other.Bytes is not null && Bytes.AsSpan().SequenceEqual(other.Bytes));

    public override bool Equals(object? obj) => Equals(obj as WeightsFile);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Path) ^ (Bytes?.Length ?? -1);
}

/// <summary>
/// Matches <c>[Model(Weights = "...")]</c> to its file, checks the file against the plan's parameters (names, shapes,
/// dtypes) and converts the tensors to float32 bits in parameter order.
/// </summary>
internal sealed class WeightsMatch
{
    /// <summary>
    /// The most floats compiled into one model: the string literals live in the assembly's user-string heap, which
    /// holds 16 MB (2^24 bytes) in all, at four bytes a float.
    /// </summary>
    public const int MaxFloats = 4_000_000;

    private readonly List<(DiagnosticDescriptor Descriptor, object[] Arguments)> _problems = new();

    private WeightsMatch(ModelPlan plan, ImmutableArray<WeightsFile> files)
    {
        string name = plan.Weights ?? "";
        string wanted = Normalize(name);
        var candidates = files.Where(f => Normalize(f.Path) is { } path
            && (string.Equals(path, wanted, StringComparison.OrdinalIgnoreCase) || path.EndsWith("/" + wanted, StringComparison.OrdinalIgnoreCase))).ToList();
        if (wanted.Length == 0)
        {
            Problem(Descriptors.WeightsFileNotFound, name, plan.TypeName, "is empty: name a .safetensors AdditionalFiles item of the project");
            return;
        }
        if (candidates.Count == 0)
        {
            Problem(Descriptors.WeightsFileNotFound, name, plan.TypeName,
                $"is not an AdditionalFiles item of the project: add <AdditionalFiles Include=\"{name}\" /> to it");
            return;
        }
        if (candidates.Count > 1)
        {
            Problem(Descriptors.WeightsFileNotFound, name, plan.TypeName,
                $"matches {candidates.Count} AdditionalFiles items ({string.Join(", ", candidates.Select(c => c.Path))}): name it by more of its path");
            return;
        }

        File = candidates[0];
        if (File.Missing)
        {
            Problem(Descriptors.WeightsFileNotWrittenYet, name, plan.TypeName);
            NotWrittenYet = true;
            return;
        }
        if (File.Bytes is null)
        {
            Problem(Descriptors.WeightsFileUnusable, name, plan.TypeName, "it cannot be read: " + File.Error);
            return;
        }
        try
        {
            Header = SafetensorsHeader.Read(File.Bytes);
        }
        catch (FormatException e)
        {
            Problem(Descriptors.WeightsFileUnusable, name, plan.TypeName, "it is not a valid safetensors file: " + e.Message);
            return;
        }
        if (plan.ParameterCount > MaxFloats)
        {
            Problem(Descriptors.WeightsFileUnusable, name, plan.TypeName,
                FormattableString.Invariant($"its {plan.ParameterCount:N0} parameters are more than the {MaxFloats:N0} an assembly's read-only strings hold: load them at run time with LoadSafetensors"));
            return;
        }

        var tensors = Header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (ParameterPlan parameter in plan.Parameters)
        {
            string shape = SafetensorsHeader.Format(parameter.Shape);
            if (!tensors.TryGetValue(parameter.Name, out TensorEntry? tensor))
            {
                Problem(Descriptors.WeightsDoNotFit, name, plan.TypeName, $"it has no tensor '{parameter.Name}' (the model's is {shape})");
            }
            else if (!tensor.Shape.SequenceEqual(parameter.Shape))
            {
                Problem(Descriptors.WeightsDoNotFit, name, plan.TypeName, $"tensor '{parameter.Name}' has shape {SafetensorsHeader.Format(tensor.Shape)}, but the model's is {shape}");
            }
            else if (parameter.Integer && tensor.Dtype is "I64" or "I32")
            {
                // A count (num_batches_tracked): whole values within ±2^24 convert to float32 exactly.
                if (Enumerable.Range(0, (int)tensor.Count).Any(i => Math.Abs(Integer(tensor, i)) > 1 << 24))
                    Problem(Descriptors.WeightsDoNotFit, name, plan.TypeName, $"tensor '{parameter.Name}' holds an integer beyond the ±2^24 a float32 holds exactly");
                else Tensors.Add(tensor);
            }
            else if (tensor.Dtype is not ("F32" or "F64" or "F16" or "BF16"))
            {
                Problem(Descriptors.WeightsDoNotFit, name, plan.TypeName, $"tensor '{parameter.Name}' is {tensor.Dtype}, but only F32, F64, F16 and BF16 convert to float32");
            }
            else
            {
                Tensors.Add(tensor);
            }
        }
        var parameters = new HashSet<string>(plan.Parameters.Select(p => p.Name), StringComparer.Ordinal);
        var extra = Header.Tensors.Where(t => !parameters.Contains(t.Name)).Select(t => t.Name).ToList();
        if (extra.Count > 0)
        {
            const int Listed = 5;
            string names = string.Join(", ", extra.Take(Listed).Select(n => "'" + n + "'")) + (extra.Count > Listed ? $" and {extra.Count - Listed} more" : "");
            Problem(Descriptors.WeightsFileExtraTensors, name, extra.Count, plan.TypeName, names);
        }
    }

    /// <summary>The file named by the declaration; null when none matched.</summary>
    public WeightsFile? File { get; }

    /// <summary>Its header; null when it could not be read.</summary>
    public SafetensorsHeader? Header { get; }

    /// <summary>The model's tensors found in the file, in parameter order (complete when <see cref="IsValid"/>).</summary>
    public List<TensorEntry> Tensors { get; } = new();

    /// <summary>The file is an item of the project but does not exist yet (warning UNR0029): nothing to compile in.</summary>
    public bool NotWrittenYet { get; }

    /// <summary>No error and a file: every parameter can be compiled in (warnings allowed).</summary>
    public bool IsValid => !NotWrittenYet && _problems.All(p => p.Descriptor.DefaultSeverity != DiagnosticSeverity.Error);

    /// <summary>The errors and warnings, in the order found.</summary>
    public IEnumerable<string> Messages => _problems.Select(p => string.Format(CultureInfo.InvariantCulture, p.Descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture), p.Arguments));

    public static WeightsMatch Find(ModelPlan plan, ImmutableArray<WeightsFile> files) => new(plan, files);

    public EquatableArray<DiagnosticInfo> Diagnostics(LocationInfo? location) =>
        _problems.Select(p => DiagnosticInfo.Create(p.Descriptor, location, p.Arguments)).ToEquatableArray();

    /// <summary>A tensor's values as float32 bits: F32 as stored, F64 rounded to nearest, F16, BF16, I64 and I32 exactly.</summary>
    public uint[] Float32Bits(TensorEntry tensor)
    {
        byte[] bytes = File!.Bytes!;
        int offset = checked((int)(Header!.DataStart + tensor.Begin));
        var bits = new uint[tensor.Count];
        for (int i = 0; i < bits.Length; i++)
        {
            switch (tensor.Dtype)
            {
                case "I64" or "I32": // within ±2^24 (checked): exact
                    bits[i] = new FloatBits { Float = Integer(tensor, i) }.Bits;
                    break;
                case "F32":
                    bits[i] = ReadUInt32(bytes, offset + 4 * i);
                    break;
                case "F64":
                    double value = BitConverter.Int64BitsToDouble((long)((ulong)ReadUInt32(bytes, offset + 8 * i + 4) << 32 | ReadUInt32(bytes, offset + 8 * i)));
                    bits[i] = new FloatBits { Float = (float)value }.Bits;
                    break;
                case "F16":
                    bits[i] = HalfToSingleBits((ushort)(bytes[offset + 2 * i] | bytes[offset + 2 * i + 1] << 8));
                    break;
                default: // BF16: the upper half of a float32
                    bits[i] = (uint)(bytes[offset + 2 * i] | bytes[offset + 2 * i + 1] << 8) << 16;
                    break;
            }
        }
        return bits;
    }

    /// <summary>Value <paramref name="i"/> of an I64 or I32 tensor.</summary>
    private long Integer(TensorEntry tensor, int i)
    {
        byte[] bytes = File!.Bytes!;
        int offset = checked((int)(Header!.DataStart + tensor.Begin));
        return tensor.Dtype == "I32"
            ? (int)ReadUInt32(bytes, offset + 4 * i)
            : (long)((ulong)ReadUInt32(bytes, offset + 8 * i + 4) << 32 | ReadUInt32(bytes, offset + 8 * i));
    }

    /// <summary>The float whose bits these are.</summary>
    public static float ToSingle(uint bits) => new FloatBits { Bits = bits }.Float;

    private static uint ReadUInt32(byte[] bytes, int offset) =>
        (uint)(bytes[offset] | bytes[offset + 1] << 8 | bytes[offset + 2] << 16 | bytes[offset + 3] << 24);

    /// <summary>IEEE half → single, exactly (netstandard2.0 has no <c>System.Half</c>).</summary>
    public static uint HalfToSingleBits(ushort half)
    {
        uint sign = (uint)(half & 0x8000) << 16;
        int exponent = half >> 10 & 0x1F;
        uint mantissa = (uint)(half & 0x3FF);
        if (exponent == 0x1F) return sign | 0x7F800000 | mantissa << 13; // infinity, NaN (payload kept)
        if (exponent != 0) return sign | (uint)(exponent + 112) << 23 | mantissa << 13;
        if (mantissa == 0) return sign; // ±0
        // Subnormal: shift the mantissa up to its leading one, lowering the exponent as it goes.
        exponent = 113;
        while ((mantissa & 0x400) == 0)
        {
            mantissa <<= 1;
            exponent--;
        }
        return sign | (uint)exponent << 23 | (mantissa & 0x3FF) << 13;
    }

    private static string Normalize(string path)
    {
        path = path.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal)) path = path.Substring(2);
        return path;
    }

    private void Problem(DiagnosticDescriptor descriptor, params object[] arguments) => _problems.Add((descriptor, arguments));

    [StructLayout(LayoutKind.Explicit)]
    private struct FloatBits
    {
        [FieldOffset(0)] public float Float;
        [FieldOffset(0)] public uint Bits;
    }
}
