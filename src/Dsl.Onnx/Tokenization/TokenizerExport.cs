using Dsl.Onnx.Bert;
using Dsl.Onnx.Graph;
using Dsl.Onnx.Writing;
using Dsl.Text.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Dsl.Onnx.Tokenization;

/// <summary>Writes a graph that only tokenises: strings in; input_ids, attention_mask and token_type_ids out.</summary>
internal static class TokenizerExport
{
    public static OnnxExportReport Save(BertTokenizer tokenizer, string path, OnnxExportOptions options)
    {
        int maxPositions = tokenizer.Options.MaxLength;
        var graph = new GraphBuilder("BertTokenizer");
        var (ids, mask, types) = TokenizerGraph.Write(graph, tokenizer, maxPositions);
        string[] names = [BertExport.InputIds, BertExport.AttentionMask, BertExport.TokenTypeIds];
        string[] values = [ids, mask, types];
        for (int i = 0; i < names.Length; i++)
        {
            graph.NodeTo(names[i], "Identity", [values[i]]);
            graph.Output(names[i], TensorProto.Types.DataType.Int64, BertExport.Batch, BertExport.Sequence);
        }
        var metadata = new Dictionary<string, string>(options.Metadata)
        {
            ["architecture"] = "BertTokenizer",
            ["max_length"] = TokenizerGraph.MaxLength(tokenizer, maxPositions).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var model = OnnxFile.Model(graph.Graph, metadata, extensions: true);
        var (difference, dataPath, bytes) = OnnxFile.Write(model, path, externalData: false,
            session => options.Verify ? Verify(session, tokenizer) : null);
        return new OnnxExportReport(Path.GetFullPath(path), dataPath, OnnxExport.Opset, OnnxExport.IrVersion, "int64", [$"{TokenizerGraph.Text}: string [{BertExport.Batch}]"],
            names.Select(n => $"{n}: int64 [{BertExport.Batch}, {BertExport.Sequence}]").ToArray(), 0, bytes, difference);
    }

    /// <summary>The graph's ids, mask and token types for <paramref name="texts"/>, padded to the longest.</summary>
    public static (long[,] InputIds, long[,] AttentionMask, long[,] TokenTypeIds) Run(InferenceSession session, IReadOnlyList<string> texts)
    {
        using var input = OrtValues.Strings(texts);
        string[] names = [BertExport.InputIds, BertExport.AttentionMask, BertExport.TokenTypeIds];
        using var options = new RunOptions();
        using var results = session.Run(options, [TokenizerGraph.Text], [input], names);
        long[,] Read(OrtValue value)
        {
            var shape = value.GetTensorTypeAndShape().Shape;
            var data = value.GetTensorDataAsSpan<long>();
            var matrix = new long[shape[0], shape[1]];
            for (int r = 0; r < shape[0]; r++)
                for (int c = 0; c < shape[1]; c++) matrix[r, c] = data[(int)(r * shape[1] + c)];
            return matrix;
        }
        return (Read(results[0]), Read(results[1]), Read(results[2]));
    }

    // Ids must be equal, not close: compare the graph with our tokenizer on the probe texts.
    private static double Verify(InferenceSession session, BertTokenizer tokenizer)
    {
        var texts = BertProbe.TextsFor(tokenizer);
        var (ids, mask, types) = Run(session, texts);
        var (ourIds, ourMask, ourTypes) = BertProbe.Pad(texts.Select(t => tokenizer.Encode(t)).ToArray(), tokenizer.PadTokenId);
        using (ourIds) using (ourMask) using (ourTypes)
        {
            if (ids.GetLength(1) != ourIds.shape[1])
                throw new InvalidOperationException(
                    $"The tokenizer graph encodes the check texts in {ids.GetLength(1)} tokens, the tokenizer in {ourIds.shape[1]}, so it was not written.");
            for (int row = 0; row < texts.Count; row++)
                for (int i = 0; i < ids.GetLength(1); i++)
                    if (ids[row, i] != ourIds[row, i].item<long>() || mask[row, i] != ourMask[row, i].item<long>() || types[row, i] != ourTypes[row, i].item<long>())
                    {
                        string Tokens(Func<int, long> id) => string.Join(" ", Enumerable.Range(0, ids.GetLength(1)).Select(j => tokenizer.IdToToken((int)id(j))));
                        throw new InvalidOperationException(
                            $"The tokenizer graph's ids differ from the tokenizer's at token {i} of \"{texts[row]}\", so it was not written: " +
                            $"ours [{Tokens(j => ourIds[row, j].item<long>())}], the operator's [{Tokens(j => ids[row, j])}]. " +
                            "docs/deployment.md lists where ONNX Runtime Extensions' BertTokenizer departs from HF's rules.");
                    }
        }
        return 0;
    }
}
