using Dsl.Onnx.Graph;
using Dsl.Onnx.Writing;
using Dsl.Text.Tokenization;
using Onnx;

namespace Dsl.Onnx.Tokenization;

/// <summary>
/// Tokenisation inside the graph, with ONNX Runtime Extensions' <c>BertTokenizer</c> operator
/// configured as our <see cref="BertTokenizer"/> is (vocabulary, lower-casing, accent stripping,
/// CJK splitting, truncation to <c>max_length</c>). The operator takes one text at a time, so a
/// <c>Loop</c> runs it over the batch, pads each row to <c>max_length</c>, and the batch is then cut
/// to its longest row: the same ids, mask and token types as our tokenizer padded to the longest.
/// </summary>
internal static class TokenizerGraph
{
    /// <summary>The graph's input: a batch of strings.</summary>
    public const string Text = "text";

    /// <summary>The longest encoding the graph makes: the tokenizer's <c>max_length</c>, at most the model's positions.</summary>
    public static int MaxLength(BertTokenizer tokenizer, int maxPositions) => Math.Min(tokenizer.Options.MaxLength, maxPositions);

    /// <summary>Declares the <see cref="Text"/> input and writes the tokenizer; returns the int64 [batch, longest] ids, mask and token types.</summary>
    /// <exception cref="ArgumentException">The tokenizer does not truncate (the graph needs a longest encoding).</exception>
    public static (string InputIds, string AttentionMask, string TokenTypeIds) Write(GraphBuilder graph, BertTokenizer tokenizer, int maxPositions)
    {
        if (!tokenizer.Options.Truncation)
            throw new ArgumentException(
                "The tokenizer does not truncate (BertTokenizerOptions.Truncation is false); a graph that tokenises needs a longest " +
                "encoding. Build the tokenizer with Truncation = true and the MaxLength the model was trained with.", nameof(tokenizer));
        int maxLength = MaxLength(tokenizer, maxPositions);
        graph.Input(Text, TensorProto.Types.DataType.String, Bert.BertExport.Batch);
        using var scope = graph.Scope("tokenizer");
        string count = graph.Node("Squeeze", [graph.Node("Shape", [Text]), graph.Int64s(0)]);
        string[] rows = graph.Node("Loop", [count, ""], 3, "", Attributes.Graph("body", Body(tokenizer, maxLength)));
        // Cut the rows, padded to max_length, to the longest text in the batch.
        string lengths = graph.Node("ReduceSum", [rows[1], graph.Int64s(1)], Attributes.Int("keepdims", 0));
        string longest = graph.Node("ReduceMax", [lengths], Attributes.Int("keepdims", 1));
        string Cut(string rowsOf) => graph.Node("Slice", [rowsOf, graph.Int64s(0), longest, graph.Int64s(1)]);
        return (Cut(rows[0]), Cut(rows[1]), Cut(rows[2]));
    }

    // One text: its ids, mask and token types from the operator, each padded to max_length.
    private static GraphProto Body(BertTokenizer tokenizer, int maxLength)
    {
        var body = new GraphBuilder("tokenize_one", prefix: "tokenize_one/");
        string i = body.Unique("i"), condition = body.Unique("condition_in");
        body.Graph.Input.Add(GraphBuilder.ValueInfo(i, TensorProto.Types.DataType.Int64));
        body.Graph.Input.Add(GraphBuilder.ValueInfo(condition, TensorProto.Types.DataType.Bool));
        string one = body.Node("Unsqueeze", [body.Node("Gather", [Text, i], Attributes.Int("axis", 0)), body.Int64s(0)]);
        var options = tokenizer.Options;
        // The operator's outputs are input_ids, token_type_ids, attention_mask, in that order.
        string[] encoded = body.Node("BertTokenizer", [one], 3, OnnxFile.ExtensionsDomain,
            Attributes.String("vocab_file", string.Join('\n', Enumerable.Range(0, tokenizer.VocabularySize).Select(tokenizer.IdToToken))),
            Attributes.Int("do_lower_case", options.LowerCase == true ? 1 : 0),
            Attributes.Int("strip_accents", options.StripAccents == true ? 1 : 0),
            Attributes.Int("tokenize_chinese_chars", options.TokenizeChineseChars ? 1 : 0),
            Attributes.Int("max_length", maxLength),
            Attributes.String("suffix_indicator", "##"));
        string pads = body.Node("Concat", [body.Int64s(0), body.Node("Sub", [body.Int64s(maxLength), body.Node("Shape", [encoded[0]])])],
            Attributes.Int("axis", 0));
        string conditionOut = body.Unique("condition_out");
        body.NodeTo(conditionOut, "Identity", [condition]);
        string Padded(string name, string values, long with)
        {
            string output = body.Unique(name);
            body.NodeTo(output, "Pad", [values, pads, body.Int64Scalar(with)]);
            return output;
        }
        string ids = Padded("input_ids_row", encoded[0], tokenizer.PadTokenId);
        string mask = Padded("attention_mask_row", encoded[2], 0);
        string types = Padded("token_type_ids_row", encoded[1], 0);
        body.Graph.Output.Add(GraphBuilder.ValueInfo(conditionOut, TensorProto.Types.DataType.Bool));
        foreach (string row in new[] { ids, mask, types })
            body.Graph.Output.Add(GraphBuilder.ValueInfo(row, TensorProto.Types.DataType.Int64, maxLength));
        return body.Graph;
    }
}
