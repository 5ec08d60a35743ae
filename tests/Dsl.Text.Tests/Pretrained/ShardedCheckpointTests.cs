using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Logging;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Pretrained;

/// <summary>HF's sharded checkpoints: <c>model.safetensors.index.json</c> and the shards its <c>weight_map</c> names.</summary>
public class ShardedCheckpointTests
{
    private static readonly BertConfig Small = PretrainedTests.Small;

    /// <summary>Saves <paramref name="model"/> as HF's save_pretrained does past max_shard_size: layer 0 and the rest in two shards.</summary>
    private static Dictionary<string, string> SaveSharded(BertForSequenceClassification model, string dir)
    {
        Directory.CreateDirectory(dir);
        var state = model.state_dict();
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var (key, tensor) in state)
        {
            weightMap[key] = key.Contains("layer.0.", StringComparison.Ordinal) ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            total += tensor.NumberOfElements * tensor.ElementSize;
        }
        foreach (var shard in weightMap.Values.Distinct())
            SafeTensors.Save(state.Where(kv => weightMap[kv.Key] == shard), Path.Combine(dir, shard), new Dictionary<string, string> { ["format"] = "pt" });
        WriteIndex(dir, weightMap, total);
        File.WriteAllText(Path.Combine(dir, BertConfig.FileName), PythonJson.Serialize(model.ToConfigJson()));
        return weightMap;
    }

    private static void WriteIndex(string dir, Dictionary<string, string> weightMap, long total = 0)
    {
        var map = new JsonObject();
        foreach (var (key, file) in weightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal)) map[key] = file;
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = map };
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), PythonJson.Serialize(index));
    }

    [Fact]
    public void A_config_that_does_not_match_a_shard_is_refused_before_building_naming_the_shard()
    {
        using var temp = new TempFolder();
        torch.manual_seed(3);
        using var model = new BertForSequenceClassification(Small);
        SaveSharded(model, temp.Path);
        var config = JsonNode.Parse(File.ReadAllText(temp.File(BertConfig.FileName)))!.AsObject();
        config["intermediate_size"] = 16;
        File.WriteAllText(temp.File(BertConfig.FileName), config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("config.json does not match", error.Message);
        Assert.Contains("model-00001-of-00002.safetensors", error.Message);
        Assert.Contains("intermediate_size 16", error.Message);
    }

    [Fact]
    public void A_sharded_checkpoint_loads_exactly_as_one_file_does()
    {
        using var temp = new TempFolder();
        torch.manual_seed(3);
        using var model = new BertForSequenceClassification(Small);
        SaveSharded(model, temp.Path);
        Assert.False(File.Exists(temp.File("model.safetensors")));

        using var loaded = BertForSequenceClassification.FromPretrained(temp.Path, out var report);
        Assert.True(report.IsExact, report.ToString());
        Assert.Equal(model.state_dict().Count, report.LoadedCount);
        foreach (var (name, tensor) in model.state_dict())
            Assert.True(tensor.eq(loaded.state_dict()[name]).all().item<bool>(), name);
    }

    [Fact]
    public void A_missing_shard_is_named()
    {
        using var temp = new TempFolder();
        using var model = new BertForSequenceClassification(Small);
        SaveSharded(model, temp.Path);
        File.Delete(temp.File("model-00002-of-00002.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
        Assert.Contains("model.safetensors.index.json", e.Message);
    }

    [Fact]
    public void A_weight_the_index_places_in_the_wrong_shard_is_named()
    {
        using var temp = new TempFolder();
        using var model = new BertForSequenceClassification(Small);
        var map = SaveSharded(model, temp.Path);
        map["classifier.weight"] = "model-00001-of-00002.safetensors";
        WriteIndex(temp.Path, map);
        var e = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("'classifier.weight'", e.Message);
        Assert.Contains("model-00001-of-00002.safetensors", e.Message);
    }

    [Fact]
    public void A_shard_holding_a_weight_the_index_does_not_list_is_named()
    {
        using var temp = new TempFolder();
        using var model = new BertForSequenceClassification(Small);
        var map = SaveSharded(model, temp.Path);
        map.Remove("classifier.bias");
        WriteIndex(temp.Path, map);
        var e = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("'classifier.bias'", e.Message);
        Assert.Contains("does not list", e.Message);
    }

    [Theory]
    [InlineData("../model-00001-of-00002.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public void A_shard_outside_the_folder_is_refused(string file)
    {
        using var temp = new TempFolder();
        using var model = new BertForSequenceClassification(Small);
        var map = SaveSharded(model, temp.Path);
        map["classifier.bias"] = file;
        WriteIndex(temp.Path, map);
        var e = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("model.safetensors.index.json", e.Message);
        Assert.Contains("not a file name in the same folder", e.Message);
    }

    [Fact]
    public void An_index_that_is_not_json_is_named()
    {
        using var temp = new TempFolder();
        using var model = new BertForSequenceClassification(Small);
        SaveSharded(model, temp.Path);
        File.WriteAllText(temp.File("model.safetensors.index.json"), "{\"weight_map\": [1, 2");
        var e = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("model.safetensors.index.json: not a safetensors index", e.Message);
    }
}
