using Microsoft.CodeAnalysis;

namespace Unroll.Generators.Layers;

/// <summary>
/// A layer attribute's arguments as written, for its handler to read (<see cref="LayerHandler.Read"/>): the
/// constructor's values in order (an enum's as its int), and the named ones, each of which the handler asks for by name
/// and type. A named argument no handler asked for, or of another type, is one the compiler reports: <see cref="AllRead"/>
/// is then false and the parser leaves the layer out.
/// </summary>
internal sealed class LayerArguments
{
    private readonly object?[] _constructor;
    private readonly List<(string Name, object? Value)> _named;
    private readonly HashSet<string> _read = new();

    public LayerArguments(object?[] constructor, IEnumerable<(string Name, object? Value)> named)
    {
        _constructor = constructor;
        _named = named.ToList();
    }

    /// <summary>From Roslyn's view of an attribute application.</summary>
    public static LayerArguments From(AttributeData data) => new(
        data.ConstructorArguments.Select(a => a.Kind is TypedConstantKind.Primitive or TypedConstantKind.Enum ? a.Value : null).ToArray(),
        data.NamedArguments.Select(a => (a.Key, a.Value.Kind == TypedConstantKind.Error ? null : a.Value.Value)));

    /// <summary>The constructor's arguments when they are <paramref name="count"/> ints, else null.</summary>
    public int[]? Ints(int count) =>
        _constructor.Length == count && _constructor.All(a => a is int) ? _constructor.Select(a => (int)a!).ToArray() : null;

    /// <summary>The constructor's one argument when it is a <typeparamref name="T"/>, else null.</summary>
    public T? Single<T>() where T : struct => _constructor.Length == 1 && _constructor[0] is T value ? value : null;

    /// <summary>The named argument <paramref name="name"/>, or <paramref name="fallback"/> (the attribute's default) when it is not written.</summary>
    public T Named<T>(string name, T fallback)
    {
        foreach (var (key, value) in _named)
        {
            if (key != name || value is not T typed) continue;
            _read.Add(name);
            return typed;
        }
        return fallback;
    }

    /// <summary>Whether every named argument was asked for, with its type.</summary>
    public bool AllRead => _named.All(n => _read.Contains(n.Name));
}
