using Dsl.Onnx.Graph;
using Dsl.Onnx.Writing;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Modules;

/// <summary>Writes a module tree of known layers (<see cref="ModuleGraph"/>), traced on a sample input as <c>torch.onnx.export</c> is.</summary>
internal static class ModuleExport
{
    public static OnnxExportReport Save(nn.Module module, Tensor sample, string path, OnnxExportOptions options)
    {
        if (module is not nn.Module<Tensor, Tensor> callable)
            throw new NotSupportedException($"{module.GetType().Name} does not take one tensor and return one (nn.Module<Tensor, Tensor>); the exporter writes such modules only.");
        if (sample.dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.Int64))
            throw new ArgumentException($"The sample input is {sample.dtype}; give float32 or float16 features, or int64 ids for a model that starts with an Embedding.", nameof(sample));
        if (sample.dim() == 0) throw new ArgumentException("The sample input is a scalar; give a batch, e.g. [batch, features].", nameof(sample));

        var weights = module.parameters().Select(p => (Tensor)p).ToArray();
        var dtypes = weights.Select(w => w.dtype).Distinct().ToArray();
        var floatType = dtypes.Length == 1 ? dtypes[0] : sample.dtype == ScalarType.Int64 ? ScalarType.Float32 : sample.dtype;
        if (dtypes.Length > 1 || floatType is not (ScalarType.Float32 or ScalarType.Float16))
            throw new NotSupportedException($"The module's weights are {string.Join(" and ", dtypes)}; the exporter writes modules whose weights are all float32 or all float16.");
        if (options.Precision is { } precision && (precision == OnnxPrecision.Float16) != (floatType == ScalarType.Float16))
            throw new NotSupportedException(
                $"The module computes in {floatType} and Precision asks for {precision}; convert the module itself (module.to(...)) " +
                "before exporting: the exporter compares the graph with the module's own forward.");
        if (sample.dtype != ScalarType.Int64 && sample.dtype != floatType)
            throw new ArgumentException($"The sample input is {sample.dtype} but the module computes in {floatType}; give an input of the module's dtype.", nameof(sample));

        var graph = new GraphBuilder(module.GetType().Name);
        // The batch and every axis but the features (the last of a floating-point input) are dynamic.
        var dims = new object[sample.dim()];
        for (int i = 0; i < dims.Length; i++)
            dims[i] = i == 0 ? "batch_size" : i == dims.Length - 1 && sample.dtype != ScalarType.Int64 ? sample.shape[i] : $"dim_{i}";
        graph.Input(options.InputName, TensorProtos.TypeOf(sample.dtype), dims);
        bool ids = sample.dtype == ScalarType.Int64;
        string output = ModuleGraph.Write(new Layers(graph, floatType, null), module, "", options.InputName, ref ids);
        if (ids) throw new NotSupportedException("The module returns its int64 input unchanged; there is nothing to export.");
        if (floatType == ScalarType.Float32) graph.NodeTo(options.OutputName, "Identity", [output]);
        else graph.NodeTo(options.OutputName, "Cast", [output], Attributes.To(TensorProto.Types.DataType.Float));
        graph.Graph.Output.Add(new ValueInfoProto
        {
            Name = options.OutputName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });

        var metadata = new Dictionary<string, string>(options.Metadata) { ["architecture"] = module.GetType().FullName ?? module.GetType().Name };
        var model = OnnxFile.Model(graph.Graph, metadata, extensions: false);
        double tolerance = options.Tolerance ?? (floatType == ScalarType.Float32 ? 1e-4 : 2e-2);
        var (difference, dataPath, bytes) = OnnxFile.Write(model, path, options.ExternalData,
            session => options.Verify ? Verify(session, callable, sample, options, tolerance) : null);
        string shape = string.Join(", ", dims);
        return new OnnxExportReport(Path.GetFullPath(path), dataPath, OnnxExport.Opset, OnnxExport.IrVersion,
            floatType == ScalarType.Float16 ? "float16" : "float32", [$"{options.InputName}: {Name(sample.dtype)} [{shape}]"],
            [$"{options.OutputName}: float32"], weights.Sum(w => w.numel()), bytes, difference);
    }

    private static string Name(ScalarType dtype) => dtype switch { ScalarType.Int64 => "int64", ScalarType.Float16 => "float16", _ => "float32" };

    private static double Verify(InferenceSession session, nn.Module<Tensor, Tensor> module, Tensor sample, OnnxExportOptions options, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        bool wasTraining = module.training;
        module.eval();
        Tensor ours;
        try
        {
            using var noGrad = torch.no_grad();
            ours = module.forward(sample);
        }
        finally
        {
            if (wasTraining) module.train();
        }
        using var input = OrtValues.From(sample);
        var theirs = OrtValues.Run(session, new Dictionary<string, OrtValue> { [options.InputName] = input });
        return OrtValues.Compare(new Dictionary<string, Tensor> { [options.OutputName] = ours }, theirs, tolerance);
    }
}
