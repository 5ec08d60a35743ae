using Dsl.Checkpoints;
using Dsl.Onnx.Graph;
using Dsl.Onnx.Tokenization;
using Dsl.Onnx.Writing;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Bert;

/// <summary>Writes Dsl.Text's <see cref="BertModel"/> or <see cref="BertForSequenceClassification"/> as ONNX, with or without a tokenizer in front.</summary>
internal static class BertExport
{
    /// <summary>HF's exporters' names for the inputs and outputs (optimum, transformers.onnx).</summary>
    public const string InputIds = "input_ids", AttentionMask = "attention_mask", TokenTypeIds = "token_type_ids";
    public const string LastHiddenState = "last_hidden_state", PoolerOutput = "pooler_output", Logits = "logits";
    public const string Batch = "batch_size", Sequence = "sequence_length";

    /// <summary>Exports <paramref name="model"/> (a BertModel or a BertForSequenceClassification); with a tokenizer, the graph takes strings.</summary>
    public static OnnxExportReport Save(nn.Module model, BertConfig config, string path, OnnxExportOptions options, BertTokenizer? tokenizer = null)
    {
        bool classifier = model is BertForSequenceClassification;
        var weights = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        var (floatType, computeType) = Precision(model, weights.Values, options.Precision);
        string architecture = classifier ? nameof(BertForSequenceClassification) : nameof(BertModel);
        var builder = new GraphBuilder(architecture);
        var layers = new Layers(builder, floatType, computeType);
        var bert = new BertGraph(layers, config, weights, classifier ? "bert." : "");

        string ids, mask, types;
        if (tokenizer is null)
        {
            foreach (string input in new[] { InputIds, AttentionMask, TokenTypeIds })
                builder.Input(input, TensorProto.Types.DataType.Int64, Batch, Sequence);
            (ids, mask, types) = (InputIds, AttentionMask, TokenTypeIds);
        }
        else
        {
            (ids, mask, types) = TokenizerGraph.Write(builder, tokenizer, config.MaxPositionEmbeddings);
        }
        var (last, pooled) = bert.Encoder(ids, mask, types);
        var outputs = new List<(string Name, object[] Dims)>();
        void Output(string name, string value, params object[] dims)
        {
            // Outputs are float32 whatever the graph computes in: widening float16 is exact.
            if (floatType == ScalarType.Float32) builder.NodeTo(name, "Identity", [value]);
            else builder.NodeTo(name, "Cast", [value], Attributes.To(TensorProto.Types.DataType.Float));
            builder.Output(name, TensorProto.Types.DataType.Float, dims);
            outputs.Add((name, dims));
        }
        if (classifier) Output(Logits, bert.Classifier(pooled!), Batch, config.NumLabels);
        else
        {
            Output(LastHiddenState, last, Batch, Sequence, config.HiddenSize);
            if (pooled is not null) Output(PoolerOutput, pooled, Batch, config.HiddenSize);
        }

        var metadata = Metadata(model, config, architecture, floatType, computeType, tokenizer, options);
        var onnx = OnnxFile.Model(builder.Graph, metadata, extensions: tokenizer is not null);
        double tolerance = options.Tolerance ?? (floatType == ScalarType.Float32 && computeType is null ? 1e-4 : 2e-2);
        var (difference, dataPath, bytes) = OnnxFile.Write(onnx, path, options.ExternalData,
            session => options.Verify ? Verify(session, model, config, options.Precision is null ? null : floatType, tokenizer, tolerance) : null);

        string precision = computeType is { } c ? $"{Name(floatType)} with {Name(c)} products" : Name(floatType);
        string[] inputs = tokenizer is null
            ? [$"{InputIds}: int64 [{Batch}, {Sequence}]", $"{AttentionMask}: int64 [{Batch}, {Sequence}]", $"{TokenTypeIds}: int64 [{Batch}, {Sequence}]"]
            : [$"{TokenizerGraph.Text}: string [{Batch}]"];
        return new OnnxExportReport(Path.GetFullPath(path), dataPath, OnnxExport.Opset, OnnxExport.IrVersion, precision, inputs,
            outputs.Select(o => $"{o.Name}: float32 [{string.Join(", ", o.Dims)}]").ToArray(),
            weights.Values.Sum(w => w.numel()), bytes, difference);
    }

    /// <summary>The dtype activations flow in and the dtype products run in (null: the same).</summary>
    public static (ScalarType Float, ScalarType? Compute) Precision(nn.Module model, IEnumerable<Tensor> weights, OnnxPrecision? requested)
    {
        if (requested is { } precision) return (precision == OnnxPrecision.Float16 ? ScalarType.Float16 : ScalarType.Float32, null);
        var dtypes = weights.Select(w => w.dtype).Distinct().ToArray();
        if (dtypes.Length != 1 || dtypes[0] is not (ScalarType.Float32 or ScalarType.Float16))
            throw new NotSupportedException(
                $"The model's weights are {string.Join(" and ", dtypes)}; the exporter writes float32 or float16 graphs. " +
                "Set OnnxExportOptions.Precision to Float32 or Float16 to convert them while exporting.");
        ScalarType? compute = model is IMixedPrecisionModel mixed ? mixed.ComputeDType : null;
        if (compute == dtypes[0]) compute = null;
        if (compute is { } c && c != ScalarType.Float16)
            throw new NotSupportedException(
                $"The model computes its products in {c} (ComputeDType). ONNX Runtime's CPU provider has no {c} kernels for them; " +
                "set ComputeDType to null (float32) or Float16 before exporting, or set OnnxExportOptions.Precision.");
        return (dtypes[0], compute);
    }

    private static string Name(ScalarType dtype) => dtype == ScalarType.Float16 ? "float16" : "float32";

    private static Dictionary<string, string> Metadata(nn.Module model, BertConfig config, string architecture, ScalarType floatType,
        ScalarType? computeType, BertTokenizer? tokenizer, OnnxExportOptions options)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["architecture"] = architecture,
            // HF's config.json, so a service reads num_labels and id2label (labels by index) from the graph itself.
            ["config.json"] = Dsl.Logging.PythonJson.Serialize(((IModelConfig)model).ToConfigJson()),
            ["precision"] = computeType is { } c ? $"{Name(floatType)}, products in {Name(c)}" : Name(floatType),
        };
        if (tokenizer is not null) metadata["max_length"] = TokenizerGraph.MaxLength(tokenizer, config.MaxPositionEmbeddings).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in options.Metadata) metadata[key] = value;
        return metadata;
    }

    private static double Verify(InferenceSession session, nn.Module model, BertConfig config, ScalarType? convertTo,
        BertTokenizer? tokenizer, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        using var reference = ReferenceModel.For(model, config, convertTo);
        var device = model.parameters().First().device;
        var probe = tokenizer is null ? BertProbe.Ids(config) : BertProbe.FromTexts(tokenizer);
        var ours = reference.Forward(probe.InputIds.to(device), probe.AttentionMask.to(device), probe.TokenTypeIds.to(device));
        var inputs = tokenizer is null
            ? new Dictionary<string, OrtValue>
            {
                [InputIds] = OrtValues.From(probe.InputIds),
                [AttentionMask] = OrtValues.From(probe.AttentionMask),
                [TokenTypeIds] = OrtValues.From(probe.TokenTypeIds),
            }
            : new Dictionary<string, OrtValue> { [TokenizerGraph.Text] = OrtValues.Strings(probe.Texts) };
        try
        {
            return OrtValues.Compare(ours, OrtValues.Run(session, inputs), tolerance);
        }
        finally
        {
            foreach (var value in inputs.Values) value.Dispose();
        }
    }
}
