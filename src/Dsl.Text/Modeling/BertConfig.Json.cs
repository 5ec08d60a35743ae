using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsl.Logging;

namespace Dsl.Text.Modeling;

public sealed partial record BertConfig
{
    /// <summary>The file name HF uses.</summary>
    public const string FileName = "config.json";

    private static readonly HashSet<string> Known =
    [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
        "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size",
        "initializer_range", "layer_norm_eps", "pad_token_id", "position_embedding_type", "num_labels", "id2label",
        "label2id", "problem_type", "classifier_dropout", "model_type", "architectures", "torch_dtype", "attn_implementation", "classifier_pooling",
    ];

    /// <summary>
    /// The <c>config.json</c> content: every field HF's <c>BertConfig</c> reads, plus <see cref="Extra"/>.
    /// Write it with <see cref="PythonJson.Serialize"/> (indent 2, sorted keys), as HF's <c>save_pretrained</c> does.
    /// </summary>
    public JsonObject ToJson()
    {
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < NumLabels; i++) id2label[i.ToString(CultureInfo.InvariantCulture)] = LabelName(i);
        if (Label2Id is not null)
            foreach (var (name, id) in Label2Id) label2id[name] = id;
        else
            for (int i = 0; i < NumLabels; i++) label2id[LabelName(i)] = i;

        var json = new JsonObject();
        foreach (var (key, value) in Extra) json[key] = value?.DeepClone();
        json["architectures"] = Architectures is null ? null : new JsonArray(Architectures.Select(a => (JsonNode?)a).ToArray());
        json["attention_probs_dropout_prob"] = AttentionProbsDropoutProb;
        json["classifier_dropout"] = ClassifierDropout;
        json["hidden_act"] = HiddenAct;
        json["hidden_dropout_prob"] = HiddenDropoutProb;
        json["hidden_size"] = HiddenSize;
        json["id2label"] = id2label;
        json["initializer_range"] = InitializerRange;
        json["intermediate_size"] = IntermediateSize;
        json["label2id"] = label2id;
        json["layer_norm_eps"] = LayerNormEps;
        json["max_position_embeddings"] = MaxPositionEmbeddings;
        json["model_type"] = ModelType;
        json["num_attention_heads"] = NumAttentionHeads;
        json["num_hidden_layers"] = NumHiddenLayers;
        json["pad_token_id"] = PadTokenId;
        json["position_embedding_type"] = PositionEmbeddingType;
        json["problem_type"] = ProblemType;
        json["torch_dtype"] = TorchDtype;
        json["type_vocab_size"] = TypeVocabSize;
        json["vocab_size"] = VocabSize;
        if (ClassifierPooling is not null) json["classifier_pooling"] = ClassifierPooling;
        return json;
    }

    /// <summary>Writes <c>config.json</c> the way HF's <c>save_pretrained</c> does (indent 2, sorted keys, final newline).</summary>
    public void Save(string path) => File.WriteAllText(path, PythonJson.Serialize(ToJson()) + "\n");

    /// <summary>Reads a BERT <c>config.json</c>; missing fields take HF's defaults.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a BERT config; the message names the file and the field.</exception>
    public static BertConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No model configuration at {path}.", path);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: expected a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
        return FromJson(json, path);
    }

    /// <summary>Reads the fields of a parsed <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">A field has the wrong type, or the model type is not BERT.</exception>
    public static BertConfig FromJson(JsonObject json, string source = "config.json")
    {
        var reader = new FieldReader(json, source);
        string modelType = reader.String("model_type") ?? "bert";
        if (modelType != "bert")
            throw new InvalidDataException($"{source}: model_type is '{modelType}', but this is a BERT configuration.");

        var id2label = reader.Id2Label();
        var defaults = new BertConfig();
        var config = new BertConfig
        {
            VocabSize = reader.Int("vocab_size") ?? defaults.VocabSize,
            HiddenSize = reader.Int("hidden_size") ?? defaults.HiddenSize,
            NumHiddenLayers = reader.Int("num_hidden_layers") ?? defaults.NumHiddenLayers,
            NumAttentionHeads = reader.Int("num_attention_heads") ?? defaults.NumAttentionHeads,
            IntermediateSize = reader.Int("intermediate_size") ?? defaults.IntermediateSize,
            HiddenAct = reader.String("hidden_act") ?? defaults.HiddenAct,
            HiddenDropoutProb = reader.Double("hidden_dropout_prob") ?? defaults.HiddenDropoutProb,
            AttentionProbsDropoutProb = reader.Double("attention_probs_dropout_prob") ?? defaults.AttentionProbsDropoutProb,
            MaxPositionEmbeddings = reader.Int("max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
            TypeVocabSize = reader.Int("type_vocab_size") ?? defaults.TypeVocabSize,
            InitializerRange = reader.Double("initializer_range") ?? defaults.InitializerRange,
            LayerNormEps = reader.Double("layer_norm_eps") ?? defaults.LayerNormEps,
            PadTokenId = reader.Int("pad_token_id") ?? defaults.PadTokenId,
            PositionEmbeddingType = reader.String("position_embedding_type") ?? defaults.PositionEmbeddingType,
            // HF: num_labels follows id2label when both are given.
            NumLabels = id2label?.Count ?? reader.Int("num_labels") ?? defaults.NumLabels,
            Id2Label = id2label,
            Label2Id = reader.Label2Id(),
            ProblemType = reader.String("problem_type"),
            ClassifierDropout = reader.Double("classifier_dropout"),
            ModelType = modelType,
            Architectures = reader.Strings("architectures"),
            TorchDtype = reader.String("torch_dtype") ?? defaults.TorchDtype,
            // HF's PretrainedConfig takes attn_implementation as a keyword and never writes it back.
            AttnImplementation = reader.String("attn_implementation"),
            ClassifierPooling = reader.String("classifier_pooling"),
            Extra = json.Where(kv => !Known.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone()),
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        return config;
    }

    private readonly struct FieldReader(JsonObject json, string source)
    {
        public int? Int(string name) => Read(name, n => (int?)n.Deserialize<int>(), "an integer");

        public double? Double(string name) => Read(name, n => (double?)n.Deserialize<double>(), "a number");

        public string? String(string name) => Read(name, n => n.Deserialize<string>()!, "a string");

        public IReadOnlyList<string>? Strings(string name) =>
            Read(name, n => (IReadOnlyList<string>)n.AsArray().Select(s => s!.Deserialize<string>()!).ToList(), "a list of strings");

        public IReadOnlyDictionary<int, string>? Id2Label() => Read("id2label",
            n => (IReadOnlyDictionary<int, string>)n.AsObject().ToDictionary(
                kv => int.Parse(kv.Key, NumberStyles.None, CultureInfo.InvariantCulture), kv => kv.Value!.Deserialize<string>()!),
            "an object from integer ids to names");

        public IReadOnlyDictionary<string, int>? Label2Id() => Read("label2id",
            n => (IReadOnlyDictionary<string, int>)n.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.Deserialize<int>()),
            "an object from names to integer ids");

        private T? Read<T>(string name, Func<JsonNode, T> read, string expected)
        {
            if (!json.TryGetPropertyValue(name, out var node) || node is null) return default;
            try
            {
                return read(node);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or OverflowException or ArgumentException)
            {
                throw new InvalidDataException($"{source}: '{name}' should be {expected}, not {node.ToJsonString()}.", e);
            }
        }
    }
}
