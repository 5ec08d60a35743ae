using System.Text.Json.Nodes;
using Dsl.Logging;
using Dsl.Text.Modeling;

namespace Dsl.Text.Tests.Modeling;

public class BertConfigTests
{
    [Fact]
    public void Defaults_are_huggingfaces()
    {
        var config = new BertConfig();
        Assert.Equal(30522, config.VocabSize);
        Assert.Equal(768, config.HiddenSize);
        Assert.Equal(12, config.NumHiddenLayers);
        Assert.Equal(12, config.NumAttentionHeads);
        Assert.Equal(3072, config.IntermediateSize);
        Assert.Equal("gelu", config.HiddenAct);
        Assert.Equal(0.1, config.HiddenDropoutProb);
        Assert.Equal(0.1, config.AttentionProbsDropoutProb);
        Assert.Equal(512, config.MaxPositionEmbeddings);
        Assert.Equal(2, config.TypeVocabSize);
        Assert.Equal(0.02, config.InitializerRange);
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal(0, config.PadTokenId);
        Assert.Equal(2, config.NumLabels);
        Assert.Null(config.ClassifierDropout);
        Assert.Null(config.ProblemType);
        Assert.Equal("bert", config.ModelType);
    }

    [Fact]
    public void Presets_match_googles_miniature_berts()
    {
        Assert.Equal((2, 128, 2, 512), Shape(BertConfig.Tiny));
        Assert.Equal((4, 256, 4, 1024), Shape(BertConfig.Mini));
        Assert.Equal((4, 512, 8, 2048), Shape(BertConfig.Small));
        Assert.Equal((12, 768, 12, 3072), Shape(BertConfig.Base));

        static (int, int, int, int) Shape(BertConfig c) => (c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize);
    }

    [Fact]
    public void Config_json_round_trips_with_labels_and_unknown_fields()
    {
        using var temp = new TempFolder();
        var config = BertConfig.Mini with
        {
            NumLabels = 3,
            Id2Label = new Dictionary<int, string> { [0] = "neg", [1] = "neutral", [2] = "pos" },
            ProblemType = BertConfig.Problems.SingleLabel,
            ClassifierDropout = 0.2,
            Architectures = ["BertForSequenceClassification"],
            Extra = new Dictionary<string, JsonNode?> { ["transformers_version"] = "4.46.0", ["use_cache"] = true },
        };
        string path = temp.File("config.json");
        config.Save(path);
        var loaded = BertConfig.Load(path);

        Assert.Equal(File.ReadAllText(path), PythonJson.Serialize(loaded.ToJson()) + "\n");
        Assert.Equal(config with { Id2Label = null, Label2Id = null, Architectures = null, Extra = null! }, loaded with { Id2Label = null, Label2Id = null, Architectures = null, Extra = null! });
        Assert.Equal(config.Architectures, loaded.Architectures);
        Assert.Equal("neutral", loaded.LabelName(1));
        Assert.Equal(1, loaded.Label2Id!["neutral"]);
        Assert.Equal("4.46.0", loaded.Extra["transformers_version"]!.GetValue<string>());
        // HF writes sorted keys, indent 2, and repr floats.
        Assert.Contains("\n  \"layer_norm_eps\": 1e-12,\n", File.ReadAllText(path));
        Assert.Contains("\"id2label\": {\n    \"0\": \"neg\",", File.ReadAllText(path));
    }

    [Fact]
    public void Hf_config_json_of_bert_base_reads_with_defaults_for_absent_fields()
    {
        using var temp = new TempFolder();
        string path = temp.Write("config.json", """
            {
              "architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false,
              "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
              "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
              "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 0, "position_embedding_type": "absolute",
              "transformers_version": "4.6.0.dev0", "type_vocab_size": 2, "use_cache": true, "vocab_size": 30522
            }
            """);
        var config = BertConfig.Load(path);
        Assert.Equal(BertConfig.Base with { Architectures = config.Architectures, Extra = config.Extra }, config);
        Assert.Equal(2, config.NumLabels);
        Assert.False(config.Extra["gradient_checkpointing"]!.GetValue<bool>());
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_named_with_the_file()
    {
        using var temp = new TempFolder();
        string path = temp.Write("config.json", """{"hidden_size": "big"}""");
        var e = Assert.Throws<InvalidDataException>(() => BertConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'hidden_size' should be an integer", e.Message);
    }

    [Fact]
    public void Inconsistent_sizes_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => (BertConfig.Tiny with { NumAttentionHeads = 3 }).Validate());
        Assert.Contains("not a multiple of num_attention_heads", e.Message);
        Assert.Throws<ArgumentException>(() => (BertConfig.Tiny with { HiddenAct = "mish" }).Validate());
    }
}
