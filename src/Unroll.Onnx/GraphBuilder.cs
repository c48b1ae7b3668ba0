using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Unroll;

/// <summary>
/// An ONNX graph under construction: nodes (each output a fresh value name), initializers (the model's parameters,
/// laid out as ONNX wants them, and small constants), and the graph's inputs and outputs with their dynamic dimensions.
/// </summary>
internal sealed class GraphBuilder(NamedParameterCollection parameters, string name, bool step)
{
    private readonly GraphProto _graph = new() { Name = name };
    private int _values;

    /// <summary>Whether this is the one-step graph (<see cref="OnnxGraph.Step"/>).</summary>
    public bool Step { get; } = step;

    /// <summary>The model's parameter <paramref name="name"/>: its values and shape.</summary>
    public NamedParameter Parameter(string name) => parameters[name];

    /// <summary>Adds the graph input: token ids (int64) or float features, <c>[batch, time, …]</c> or one step's <c>[batch, …]</c>.</summary>
    public string Input(string name, bool tokens, int features, string time = "time")
    {
        var dims = new List<object> { "batch" };
        if (!Step) dims.Add(time);
        if (!tokens) dims.Add(features);
        AddValue(_graph.Input, name, tokens ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float, dims);
        return name;
    }

    /// <summary>Adds a float graph input of shape <paramref name="dims"/>: each a fixed size (an int) or a named dynamic one (a string).</summary>
    public string FloatInput(string name, params object[] dims)
    {
        AddValue(_graph.Input, name, TensorProto.Types.DataType.Float, dims);
        return name;
    }

    /// <summary>Names <paramref name="value"/> as float graph output <paramref name="name"/> (through an Identity node) of shape <paramref name="dims"/>.</summary>
    public void FloatOutput(string value, string name, params object[] dims) => Output(value, name, TensorProto.Types.DataType.Float, dims);

    private void Output(string value, string name, TensorProto.Types.DataType type, object[] dims)
    {
        _graph.Node.Add(new NodeProto { OpType = "Identity", Name = name, Input = { value }, Output = { name } });
        AddValue(_graph.Output, name, type, dims);
    }

    /// <summary>
    /// The row lengths (int64 <c>[batch]</c>) of the value the layers are at, when the graph takes them (input
    /// <c>lengths</c>); a layer that maps the time axis maps them too. Null: every row runs its full length.
    /// </summary>
    public string? Lengths { get; set; }

    /// <summary>Adds an int64 <c>[batch]</c> graph input of row lengths.</summary>
    public string LengthsInput(string name)
    {
        AddValue(_graph.Input, name, TensorProto.Types.DataType.Int64, ["batch"]);
        return name;
    }

    /// <summary>Names <paramref name="value"/> as an int64 <c>[batch]</c> graph output of row lengths.</summary>
    public void LengthsOutput(string value, string name) => Output(value, name, TensorProto.Types.DataType.Int64, ["batch"]);

    /// <summary>Adds a state input <c>[leading, batch, hidden]</c> (a recurrent layer's: <c>[layers, batch, hidden]</c>).</summary>
    public string StateInput(string name, int leading, int hidden) => FloatInput(name, leading, "batch", hidden);

    /// <summary>Names <paramref name="value"/> as a state output <c>[leading, batch, hidden]</c>.</summary>
    public void StateOutput(string value, string name, int leading, int hidden) => FloatOutput(value, name, leading, "batch", hidden);

    private bool _position;

    /// <summary>The one-step graph's input <c>position</c>, int64 <c>[1]</c>: the steps since the state was reset (added once).</summary>
    public string Position()
    {
        if (!_position) AddValue(_graph.Input, "position", TensorProto.Types.DataType.Int64, [1]);
        _position = true;
        return "position";
    }

    /// <summary>Adds a cache input <c>[batch, positions, width]</c>: every earlier step's keys or values (no positions at the first step).</summary>
    public string CacheInput(string name, int width) => FloatInput(name, "batch", "positions", width);

    /// <summary>Names <paramref name="value"/> as a cache output <c>[batch, positions + 1, width]</c>.</summary>
    public void CacheOutput(string value, string name, int width) => FloatOutput(value, name, "batch", "positions_next", width);

    /// <summary>Names <paramref name="value"/> as graph output <paramref name="name"/> (through an Identity node), <c>[batch, (time,) width]</c>.</summary>
    public void Output(string value, string name, int width, bool timeAxis, string time = "time") =>
        FloatOutput(value, name, timeAxis ? ["batch", time, width] : ["batch", width]);

    /// <summary>
    /// The final states <c>[1, batch, directions · hidden]</c> of the last recurrent layer written so far (<c>C</c>: an
    /// LSTM's cell state, else null): where an attention decoder starts.
    /// </summary>
    public (string H, string? C)? FinalStates { get; set; }

    /// <summary>The subgraph being written, if any (its nodes go there).</summary>
    private GraphProto? _body;

    /// <summary>
    /// A subgraph (a Scan's body): its float inputs <paramref name="inputs"/>, the nodes <paramref name="body"/> writes
    /// (which may read the outer graph's values; initializers stay in the outer graph) and the outputs it returns.
    /// </summary>
    public GraphProto Subgraph(string name, string[] inputs, Func<string[]> body)
    {
        var graph = new GraphProto { Name = name };
        foreach (string input in inputs) AddValue(graph.Input, input, TensorProto.Types.DataType.Float, null);
        GraphProto? outer = _body;
        _body = graph;
        try
        {
            foreach (string output in body())
            {
                string named = $"{name}.{output}";
                graph.Node.Add(new NodeProto { OpType = "Identity", Name = named, Input = { output }, Output = { named } });
                AddValue(graph.Output, named, TensorProto.Types.DataType.Float, null);
            }
        }
        finally
        {
            _body = outer;
        }
        return graph;
    }

    /// <summary>A node of one output; returns the output's name (<c>{hint}:{n}</c>). An empty input name is an omitted optional input.</summary>
    public string Node(string op, string hint, IEnumerable<string> inputs, params AttributeProto[] attributes) => Nodes(op, hint, inputs, 1, attributes)[0];

    /// <summary>A node of <paramref name="outputs"/> outputs; returns their names.</summary>
    public string[] Nodes(string op, string hint, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        int id = _values++;
        string[] names = Enumerable.Range(0, outputs).Select(o => outputs == 1 ? $"{hint}:{id}" : $"{hint}:{id}.{o}").ToArray();
        var node = new NodeProto { OpType = op, Name = $"{hint}/{op}:{id}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        (_body ?? _graph).Node.Add(node);
        return names;
    }

    private readonly Dictionary<string, TensorProto> _initializers = [];

    /// <summary>A float initializer (written once: asking again for the same name and values gives the same one).</summary>
    public string Floats(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        foreach (int d in shape) tensor.Dims.Add(d);
        return Initializer(tensor);
    }

    private string Initializer(TensorProto tensor)
    {
        if (_initializers.TryGetValue(tensor.Name, out TensorProto? existing))
        {
            return existing.Equals(tensor) ? tensor.Name : throw new InvalidOperationException($"Two different initializers are named '{tensor.Name}'.");
        }
        _initializers.Add(tensor.Name, tensor);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float scalar initializer (a constant of a formula).</summary>
    public string Scalar(string hint, float value) => Floats($"{hint}.constant{_values++}", [], [value]);

    /// <summary>An int64 initializer of one axis (shapes, axes, indices), written once as <see cref="Floats"/>.</summary>
    public string Longs(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(values.Length);
        return Initializer(tensor);
    }

    /// <summary>An int64 scalar initializer (Range's bounds).</summary>
    public string LongScalar(string name, long value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(BitConverter.GetBytes(value)) };
        return Initializer(tensor);
    }

    /// <summary>A model parameter as an initializer under its own name, in its own shape.</summary>
    public string Parameter(NamedParameter parameter) => Floats(parameter.Name, parameter.Shape, parameter.Values);

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Strings(string name, params string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    /// <summary>The model: this graph, opset <see cref="OnnxExport.Opset"/>, IR version 8.</summary>
    public ModelProto Model(string doc)
    {
        _graph.DocString = doc;
        var model = new ModelProto { IrVersion = 8, ProducerName = "Unroll", ProducerVersion = typeof(IInferenceModel).Assembly.GetName().Version?.ToString() ?? "", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExport.Opset });
        return model;
    }

    public static AttributeProto Graph(string name, GraphProto graph) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph };

    /// <summary>Declares value <paramref name="name"/>: its element type and shape, each dimension a size (int) or a dynamic name (string); no shape when null.</summary>
    private static void AddValue(Google.Protobuf.Collections.RepeatedField<ValueInfoProto> list, string name, TensorProto.Types.DataType type, IEnumerable<object>? dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (dims is not null)
        {
            tensor.Shape = new TensorShapeProto();
            tensor.Shape.Dim.AddRange(dims.Select(d => d is int size ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = (string)d }));
        }
        list.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } });
    }
}
