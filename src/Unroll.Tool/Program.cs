// unroll: brings models into Unroll and out of it.
//
//     unroll import model.onnx -o Models/ [--name Name] [--namespace Ns] [--sequence-length N] [--batch-size B]
//     unroll export App.dll --model Namespace.Model [--weights model.safetensors] [--graph sequence|step|encode] [--row-lengths] -o model.onnx
//     unroll inspect weights.safetensors | model.onnx | model.h5 | model.keras
//
// import writes a [Model] declaration (Name.cs, a comment per layer naming the node it came from) and its weights
// (Name.safetensors, PyTorch's state-dict names), or, when the file holds what Unroll cannot declare, an error naming
// the node and writes nothing.

using System.CommandLine;
using Unroll;
using Unroll.Tool.Exporting;
using Unroll.Tool.Importing;
using Unroll.Tool.Inspecting;

var file = new Argument<FileInfo>("file") { Description = "the model to import" };
var output = new Option<DirectoryInfo>("--output", "-o") { Description = "where to write Name.cs and Name.safetensors", DefaultValueFactory = _ => new DirectoryInfo("."), HelpName = "DIR" };
var name = new Option<string?>("--name") { Description = "the model class's name (default: from the file's name)", HelpName = "NAME" };
var @namespace = new Option<string>("--namespace") { Description = "the declaration's namespace", DefaultValueFactory = _ => "Models", HelpName = "NAMESPACE" };
var sequenceLength = new Option<int?>("--sequence-length") { Description = "the longest sequence (needed when the file leaves the time axis open)", HelpName = "N" };
var batchSize = new Option<int>("--batch-size") { Description = "the most rows a batch holds", DefaultValueFactory = _ => 1, HelpName = "N" };
var import = new Command("import", "Writes a [Model] declaration and its safetensors weights from an ONNX, Keras (.keras, .h5) or RTNeural (.json) model.")
{
    file, output, name, @namespace, sequenceLength, batchSize,
};
import.SetAction(result =>
{
    FileInfo source = result.GetRequiredValue(file);
    try
    {
        if (!source.Exists) throw new ImportException($"'{source.FullName}' does not exist.");
        if (result.GetValue(sequenceLength) is < 1) throw new ImportException("--sequence-length must be positive.");
        if (result.GetValue(batchSize) < 1) throw new ImportException("--batch-size must be positive.");
        var options = new ImportOptions(DeclarationWriter.ClassName(result.GetValue(name), source.Name), result.GetValue(sequenceLength), result.GetValue(batchSize));
        ImportedModel model = Importers.For(source.FullName).Import(source.FullName, options);
        var (declaration, weights) = DeclarationWriter.Write(model, result.GetRequiredValue(output).FullName, result.GetRequiredValue(@namespace));
        Console.WriteLine($"Wrote {declaration} ({model.Layers.Count} layers) and {weights} ({model.Tensors.Count} tensors, {model.Tensors.Sum(t => (long)t.Values.Length):N0} values).");
        return 0;
    }
    catch (Exception e) when (e is ImportException or InvalidDataException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        Console.Error.WriteLine("Nothing was written.");
        return 1;
    }
});

var weightsFile = new Argument<FileInfo>("file") { Description = "a .safetensors, .onnx, .h5 or .keras (Keras) file" };
var inspect = new Command("inspect", "Lists a weights file's tensors (names, shapes, dtypes) and counts its parameters.") { weightsFile };
inspect.SetAction(result =>
{
    FileInfo source = result.GetRequiredValue(weightsFile);
    try
    {
        if (!source.Exists) throw new InvalidDataException($"'{source.FullName}' does not exist.");
        Console.Write(Inspector.Format(source.Name, Inspector.Read(source.FullName)));
        return 0;
    }
    catch (InvalidDataException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});

var assembly = new Argument<FileInfo>("assembly") { Description = "the compiled app or library (.dll) that declares the model" };
var modelName = new Option<string>("--model") { Description = "the model class (its full name, or its name when that is unique)", Required = true, HelpName = "CLASS" };
var weights = new Option<FileInfo?>("--weights") { Description = "its weights (else the initial or compiled-in ones)", HelpName = "FILE" };
var graph = new Option<OnnxGraph>("--graph")
{
    Description = "sequence: the whole sequence (the default); step: one step, the states as inputs and outputs; encode: an encoder–decoder's encoder, whose outputs the step reads",
    DefaultValueFactory = _ => OnnxGraph.Sequence,
};
var rowLengths = new Option<bool>("--row-lengths") { Description = "the graph takes each row's length (input lengths, int64 [batch]), as Forward's lengths" };
var onnxFile = new Option<FileInfo>("--output", "-o") { Description = "the .onnx file to write", Required = true, HelpName = "FILE" };
var export = new Command("export", "Writes a compiled model's ONNX graph (opset 17) with its weights.") { assembly, modelName, weights, graph, rowLengths, onnxFile };
export.SetAction(result =>
{
    FileInfo target = result.GetRequiredValue(onnxFile);
    try
    {
        IInferenceModel model = ModelExporter.Export(result.GetRequiredValue(assembly).FullName, result.GetRequiredValue(modelName), result.GetValue(weights)?.FullName,
            result.GetValue(graph), target.FullName, result.GetValue(rowLengths));
        string what = result.GetValue(graph) switch { OnnxGraph.Step => "one step", OnnxGraph.Encode => "the encoder", _ => "the whole sequence" };
        Console.WriteLine($"Wrote {target.FullName} ({model.GetType().FullName}, {model.ParameterCount:N0} parameters, {what}).");
        return 0;
    }
    catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});

var root = new RootCommand("unroll: imports ONNX, Keras and RTNeural models as Unroll declarations with their weights, exports ONNX, inspects weight files.") { import, export, inspect };
return root.Parse(args).Invoke();
