using Dsl.Onnx.Bert;
using Dsl.Onnx.Modules;
using Dsl.Onnx.Tokenization;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx;

/// <summary>
/// Writes a trained model as an ONNX graph for ONNX Runtime, in one call, as <c>SavePretrained</c>
/// writes a checkpoint. Every graph is loaded by ONNX Runtime before it is kept (which checks it)
/// and, unless <see cref="OnnxExportOptions.Verify"/> is off, run on a small batch and compared with
/// the model's own forward pass; a graph that fails either is never written. The file is written
/// beside its destination and renamed into place, so a failure leaves nothing half-written.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set every exported graph uses (17: the first with LayerNormalization).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version of every exported file (8, the version that goes with opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>
    /// Exports a classifier: inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>
    /// (int64 [batch_size, sequence_length], both axes dynamic), output <c>logits</c> (float32
    /// [batch_size, num_labels]), HF's names. The graph computes what <c>forward</c> computes in eval mode.
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty or a folder.</exception>
    /// <exception cref="NotSupportedException">The weights or compute dtype have no ONNX Runtime form here (bfloat16); the message says what to set.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime refused the graph or computed something else; nothing was written.</exception>
    public static OnnxExportReport Save(BertForSequenceClassification model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return BertExport.Save(model, model.Config, path, options ?? new());
    }

    /// <summary>
    /// Exports an encoder: HF's inputs (as for a classifier), outputs <c>last_hidden_state</c> (float32
    /// [batch_size, sequence_length, hidden_size]) and, when the model has a pooler, <c>pooler_output</c>
    /// ([batch_size, hidden_size]).
    /// </summary>
    /// <inheritdoc cref="Save(BertForSequenceClassification, string, OnnxExportOptions?)" path="/exception"/>
    public static OnnxExportReport Save(BertModel model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return BertExport.Save(model, model.Config, path, options ?? new());
    }

    /// <summary>
    /// Exports a classifier with its tokenizer in front, so the graph takes text: input <c>text</c>
    /// (string [batch_size]), output <c>logits</c>. Tokenisation is ONNX Runtime Extensions'
    /// <c>BertTokenizer</c> operator set up as <paramref name="tokenizer"/> is (docs/deployment.md says
    /// where its ids can differ from ours); a session that runs the graph registers the Extensions
    /// (<c>SessionOptions.RegisterOrtExtensions()</c>, package <c>Microsoft.ML.OnnxRuntime.Extensions</c>).
    /// </summary>
    /// <inheritdoc cref="Save(BertForSequenceClassification, string, OnnxExportOptions?)" path="/exception"/>
    public static OnnxExportReport Save(BertForSequenceClassification model, BertTokenizer tokenizer, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabularySize > model.Config.VocabSize)
            throw new ArgumentException(
                $"The tokenizer has {tokenizer.VocabularySize} tokens but the model's vocab_size is {model.Config.VocabSize}; they do not belong together.", nameof(tokenizer));
        return BertExport.Save(model, model.Config, path, options ?? new(), tokenizer);
    }

    /// <summary>
    /// Exports only the tokenizer: input <c>text</c> (string [batch_size]); outputs <c>input_ids</c>,
    /// <c>attention_mask</c>, <c>token_type_ids</c> (int64 [batch_size, sequence_length], padded to the
    /// longest text), to put in front of a graph that takes ids.
    /// </summary>
    /// <inheritdoc cref="Save(BertForSequenceClassification, string, OnnxExportOptions?)" path="/exception"/>
    public static OnnxExportReport SaveTokenizer(BertTokenizer tokenizer, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return TokenizerExport.Save(tokenizer, path, options ?? new());
    }

    /// <summary>
    /// Exports a TorchSharp module built from layers whose forward the exporter knows (a
    /// <c>Sequential</c> of <c>Linear</c>, <c>Embedding</c>, <c>LayerNorm</c>, activations, dropout, ...;
    /// docs/deployment.md lists them), as <c>torch.onnx.export</c> does: <paramref name="sample"/> gives the
    /// input's dtype and rank (the batch and every axis but the features are dynamic) and is the batch
    /// the graph is checked on. Input <see cref="OnnxExportOptions.InputName"/>, output
    /// <see cref="OnnxExportOptions.OutputName"/> (float32). A BERT goes to its own overload.
    /// </summary>
    /// <exception cref="NotSupportedException">A module the exporter does not know; the message names the first one by path and type.</exception>
    /// <inheritdoc cref="Save(BertForSequenceClassification, string, OnnxExportOptions?)" path="/exception"/>
    public static OnnxExportReport Save(nn.Module<Tensor, Tensor> module, Tensor sample, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(sample);
        return ModuleExport.Save(module, sample, path, options ?? new());
    }
}
