using System.Reflection;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Dsl.Onnx.Writing;

/// <summary>
/// Writes a graph as an ONNX file the way checkpoints are written: into a temporary folder beside
/// the destination, loaded there by ONNX Runtime (which checks the graph: types, shapes, operators)
/// and compared with the model, then renamed into place. A failure leaves no file behind, and never
/// half of one.
/// </summary>
internal static class OnnxFile
{
    /// <summary>The domain of ONNX Runtime Extensions' operators.</summary>
    public const string ExtensionsDomain = "ai.onnx.contrib";

    // Protobuf cannot write one message over 2 GiB; keep a margin for the graph itself.
    private const long InlineLimit = (2L << 30) - (64L << 20);
    // External tensors start on 4 KiB boundaries, so a reader may map them.
    private const int Alignment = 4096;

    /// <summary>A model around <paramref name="graph"/>, with the opsets it uses and its metadata.</summary>
    public static ModelProto Model(GraphProto graph, IReadOnlyDictionary<string, string> metadata, bool extensions)
    {
        var model = new ModelProto
        {
            IrVersion = OnnxExport.IrVersion,
            ProducerName = "Dsl.Onnx",
            ProducerVersion = typeof(OnnxFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExport.Opset });
        if (extensions) model.OpsetImport.Add(new OperatorSetIdProto { Domain = ExtensionsDomain, Version = 1 });
        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> after ONNX Runtime has loaded it and
    /// <paramref name="verify"/> has accepted it; returns the verification's largest difference and the files.
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty or a folder.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime cannot load the graph, or it computes something else than the model.</exception>
    public static (double? MaxDifference, string? DataPath, long Bytes) Write(
        ModelProto model, string path, bool externalData, Func<InferenceSession, double?> verify)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("The ONNX file's path is empty.", nameof(path));
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"{path} is a folder; give the ONNX file's path, e.g. {Path.Combine(path, "model.onnx")}.", nameof(path));
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string name = Path.GetFileName(full);
        string temp = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            string tempFile = Path.Combine(temp, name);
            string dataName = name + ".data";
            bool external = externalData || InitializerBytes(model.Graph) > InlineLimit;
            if (external) MoveWeightsOut(model.Graph, Path.Combine(temp, dataName), dataName);
            using (var stream = File.Create(tempFile)) model.WriteTo(stream);

            double? difference;
            using (var session = Load(tempFile, model))
                difference = verify(session);

            string? dataPath = external ? Path.Combine(folder, dataName) : null;
            long bytes = new FileInfo(tempFile).Length + (external ? new FileInfo(Path.Combine(temp, dataName)).Length : 0);
            // The weights first: the graph that names them appears only once they are in place.
            if (dataPath is not null) File.Move(Path.Combine(temp, dataName), dataPath, overwrite: true);
            File.Move(tempFile, full, overwrite: true);
            return (difference, dataPath, bytes);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>An ONNX Runtime session on <paramref name="path"/>, with the Extensions' operators when the graph uses them.</summary>
    public static InferenceSession Load(string path, ModelProto model)
    {
        using var options = new SessionOptions();
        if (model.OpsetImport.Any(o => o.Domain == ExtensionsDomain)) options.RegisterOrtExtensions();
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException($"ONNX Runtime cannot load the exported graph, so it was not written: {e.Message}", e);
        }
    }

    private static long InitializerBytes(GraphProto graph) => graph.Initializer.Sum(t => (long)t.RawData.Length);

    // ONNX's external data: each large weight's bytes go to one file beside the graph, at an offset.
    private static void MoveWeightsOut(GraphProto graph, string dataFile, string location)
    {
        using var data = File.Create(dataFile);
        foreach (var tensor in graph.Initializer.Where(t => t.RawData.Length >= Alignment))
        {
            long padding = (Alignment - data.Position % Alignment) % Alignment;
            data.Write(new byte[padding]);
            long offset = data.Position;
            tensor.RawData.WriteTo(data);
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.RawData = ByteString.Empty;
        }
    }
}
