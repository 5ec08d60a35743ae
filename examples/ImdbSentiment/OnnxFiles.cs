using Dsl.Onnx;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;

namespace ImdbSentiment;

/// <summary>--export-onnx: the trained classifier for ONNX Runtime, as ids-in and as text-in graphs.</summary>
public static class OnnxFiles
{
    /// <summary>The text-in twin of <paramref name="path"/>: <c>model.onnx</c> → <c>model.text.onnx</c>.</summary>
    public static string TextGraph(string path) => Path.ChangeExtension(path, ".text.onnx");

    /// <summary>
    /// Writes <paramref name="path"/> (input_ids, attention_mask, token_type_ids → logits) and its text-in
    /// twin (text → logits, the tokenizer inside), each checked by ONNX Runtime against the model.
    /// </summary>
    public static void Export(BertForSequenceClassification model, BertTokenizer tokenizer, string path, TextWriter say)
    {
        say.WriteLine(OnnxExport.Save(model, path));
        say.WriteLine(OnnxExport.Save(model, tokenizer, TextGraph(path)));
        Console.WriteLine($"Exported to ONNX: {path} and {TextGraph(path)}");
    }
}
