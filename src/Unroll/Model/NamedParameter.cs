using System.Collections;
using System.ComponentModel;

namespace Unroll;

/// <summary>
/// One parameter tensor of a model, named and shaped as in PyTorch's <c>state_dict()</c>
/// (for example <c>Rnn.weight_ih_l0</c>, <c>[512, 32]</c>), viewing the model's arena.
/// </summary>
public readonly struct NamedParameter
{
    private readonly float[] _arena;
    private readonly int[] _shape;
    private readonly int _values, _gradients, _changed;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public NamedParameter(string name, int[] shape, float[] arena, int valuesOffset, int gradientsOffset)
        : this(name, shape, arena, valuesOffset, gradientsOffset, -1)
    {
    }

    /// <summary>
    /// Used by generated code: <paramref name="changedFlag"/> is the arena slot set to 1 whenever
    /// <see cref="Values"/> is handed out (the model repacks what it derives from the weights), or -1;
    /// <paramref name="gradientsOffset"/> is -1 in a model compiled for inference only.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public NamedParameter(string name, int[] shape, float[] arena, int valuesOffset, int gradientsOffset, int changedFlag)
        : this(name, shape, arena, valuesOffset, gradientsOffset, changedFlag, isBuffer: false)
    {
    }

    /// <summary>
    /// Used by generated code: as the other constructor, and <paramref name="isBuffer"/> for a state-dict buffer (a layer's
    /// statistics, as PyTorch's <c>register_buffer</c>): saved, loaded and compiled in with the parameters, outside
    /// <c>Parameters</c> and <c>Gradients</c>, so never trained (its gradient offset is -1); <paramref name="isInteger"/>
    /// for a tensor PyTorch keeps as int64 (a count, such as BatchNorm's <c>num_batches_tracked</c>), held as a float;
    /// <paramref name="isFrozen"/> for a parameter of a layer declared <c>Trainable = false</c> (outside <c>Parameters</c> and
    /// <c>Gradients</c> too, with no gradient).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public NamedParameter(string name, int[] shape, float[] arena, int valuesOffset, int gradientsOffset, int changedFlag, bool isBuffer, bool isInteger = false, bool isFrozen = false)
    {
        IsBuffer = isBuffer;
        IsInteger = isInteger;
        IsFrozen = isFrozen;
        _changed = changedFlag;
        Name = name;
        _shape = shape;
        _arena = arena;
        _values = valuesOffset;
        _gradients = gradientsOffset;
        int length = 1;
        foreach (int d in shape) length *= d;
        Length = length;
    }

    /// <summary>The PyTorch state-dict name.</summary>
    public string Name { get; }

    /// <summary>
    /// Whether this is a buffer of the state dict (running statistics, never trained: no gradient, and not in the model's
    /// <c>Parameters</c>) rather than a trainable parameter.
    /// </summary>
    public bool IsBuffer { get; }

    /// <summary>
    /// Whether this is a parameter of a layer declared <c>Trainable = false</c> (frozen, as <c>requires_grad_(False)</c>):
    /// saved, loaded and compiled in as any parameter, but outside the model's <c>Parameters</c> and <c>Gradients</c>, and
    /// without a gradient.
    /// </summary>
    public bool IsFrozen { get; }

    /// <summary>
    /// Whether PyTorch keeps this tensor as int64 (a count such as <c>num_batches_tracked</c>): its whole values are held as
    /// floats (exact up to 2^24), and saved with dtype <c>I64</c>.
    /// </summary>
    public bool IsInteger { get; }

    /// <summary>The PyTorch shape, outermost dimension first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The values, row-major as in PyTorch.</summary>
    public Span<float> Values
    {
        get
        {
            if (_changed >= 0) _arena[_changed] = 1f;
            return _arena.AsSpan(_values, Length);
        }
    }

    /// <summary>The values, for reading: unlike <see cref="Values"/> this does not make the model repack its derived weights.</summary>
    internal ReadOnlySpan<float> ReadOnlyValues => _arena.AsSpan(_values, Length);

    /// <summary>The accumulated gradient, same layout as <see cref="Values"/>; empty for a buffer, a frozen parameter, and in a model compiled for inference only.</summary>
    public Span<float> Gradients => _gradients < 0 ? default : _arena.AsSpan(_gradients, Length);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", _shape)}]";
}

/// <summary>The parameters of a model in PyTorch's <c>state_dict()</c> order; <c>foreach</c> allocates nothing.</summary>
public readonly struct NamedParameterCollection : IReadOnlyList<NamedParameter>
{
    private readonly NamedParameter[] _items;

    /// <summary>Used by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public NamedParameterCollection(NamedParameter[] items) => _items = items;

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public NamedParameter this[int index] => _items[index];

    /// <summary>The parameter with this state-dict name.</summary>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public NamedParameter this[string name] =>
        TryGet(name, out NamedParameter parameter) ? parameter : throw new KeyNotFoundException($"The model has no parameter named '{name}'.");

    /// <summary>Finds the parameter with this state-dict name.</summary>
    public bool TryGet(string name, out NamedParameter parameter)
    {
        foreach (NamedParameter p in _items)
        {
            if (p.Name == name)
            {
                parameter = p;
                return true;
            }
        }
        parameter = default;
        return false;
    }

    /// <summary>Whether the model has a parameter with this state-dict name.</summary>
    public bool Contains(string name) => TryGet(name, out _);

    /// <summary>An allocation-free enumerator.</summary>
    public Enumerator GetEnumerator() => new(_items);

    IEnumerator<NamedParameter> IEnumerable<NamedParameter>.GetEnumerator() => ((IEnumerable<NamedParameter>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    /// <summary>Enumerates the parameters.</summary>
    public struct Enumerator
    {
        private readonly NamedParameter[] _items;
        private int _index;

        internal Enumerator(NamedParameter[] items)
        {
            _items = items;
            _index = -1;
        }

        /// <summary>The current parameter.</summary>
        public readonly NamedParameter Current => _items[_index];

        /// <summary>Advances to the next parameter.</summary>
        public bool MoveNext() => ++_index < _items.Length;
    }
}
