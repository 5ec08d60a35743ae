using System.Text.Json.Nodes;
using Dsl.Text.Modeling;

namespace Dsl.Text.Tests.Reliability;

/// <summary>
/// A config.json that cannot fit in memory, or does not belong to its weights, is refused before the
/// model is built, with the estimate or the mismatching field in the message (issue 12, defect 5).
/// </summary>
public sealed class AbsurdConfigTests
{
    private static readonly string Fixture = TestPaths.Fixture("tiny-bert");

    private static string FolderWith(TempFolder temp, string field, JsonNode value)
    {
        string dir = temp.File("model");
        Directory.CreateDirectory(dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixture, "config.json")))!.AsObject();
        config[field] = value;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        File.Copy(Path.Combine(Fixture, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        return dir;
    }

    [Fact]
    public void The_estimate_is_the_models_parameter_count()
    {
        var config = new BertConfig { VocabSize = 50, HiddenSize = 8, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 12, MaxPositionEmbeddings = 10, NumLabels = 3 };
        using var model = new BertForSequenceClassification(config);
        long actual = model.parameters().Sum(p => p.NumberOfElements);
        Assert.Equal(actual, config.EstimatedParameterCount());
        Assert.Equal(actual * 4, config.EstimatedParameterBytes());
    }

    [Theory]
    [InlineData("num_hidden_layers", 100_000_000)]
    [InlineData("vocab_size", 2_000_000_000)]
    [InlineData("intermediate_size", 1_000_000_000)]
    [InlineData("max_position_embeddings", 2_000_000_000)]
    public void A_config_too_large_for_memory_is_refused_with_the_estimate(string field, int value)
    {
        using var temp = new TempFolder();
        string dir = FolderWith(temp, field, value);
        string config = Path.Combine(dir, "config.json");
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Load(config));
        Assert.StartsWith(config, error.Message);
        Assert.Contains("GiB of float32 weights", error.Message);
        Assert.Contains("more than the", error.Message);
        Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(dir));
        Assert.True(File.Exists(config));
    }

    [Fact]
    public void A_model_too_large_for_memory_is_refused_before_it_is_built()
    {
        Assert.Contains("of memory this process may use",
            Assert.Throws<ArgumentException>(() => new BertForSequenceClassification(new BertConfig { HiddenSize = 1_200_000_000 })).Message);
        // bert-base sizes with 10^5 layers: about 2.6 TiB.
        Assert.Contains("num_hidden_layers 100000", Assert.Throws<ArgumentException>(() => new BertConfig { NumHiddenLayers = 100_000 }.Validate()).Message);
    }

    [Theory]
    [InlineData("vocab_size", 31)]
    [InlineData("hidden_size", 20)]
    [InlineData("intermediate_size", 30)]
    [InlineData("max_position_embeddings", 64)]
    [InlineData("type_vocab_size", 3)]
    public void A_config_that_does_not_match_the_weights_is_refused_naming_the_field(string field, int value)
    {
        using var temp = new TempFolder();
        string dir = FolderWith(temp, field, value);
        var error = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(dir));
        Assert.Contains("config.json does not match", error.Message);
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains($"{field} {value}", error.Message);
    }
}
