using System.Text.Json.Nodes;
using Dsl.Adapters;
using Dsl.Logging;
using Dsl.Tests.Support;

namespace Dsl.Tests.Adapters;

/// <summary>LoraConfig's own checks, its scaling, and adapter_config.json both ways.</summary>
public sealed class LoraConfigTests
{
    [Theory]
    [InlineData(0, 8, 0.0, "LoraConfig.R is 0; it must be a rank of at least 1.")]
    [InlineData(-4, 8, 0.0, "LoraConfig.R is -4; it must be a rank of at least 1.")]
    [InlineData(8, 0, 0.0, "LoraConfig.LoraAlpha is 0; it must be a finite number above 0.")]
    [InlineData(8, -16, 0.0, "LoraConfig.LoraAlpha is -16; it must be a finite number above 0.")]
    [InlineData(8, double.NaN, 0.0, "LoraConfig.LoraAlpha is NaN; it must be a finite number above 0.")]
    [InlineData(8, 8, 1.0, "LoraConfig.LoraDropout is 1; it must be a probability in [0, 1).")]
    [InlineData(8, 8, -0.1, "LoraConfig.LoraDropout is -0.1; it must be a probability in [0, 1).")]
    public void An_impossible_rank_alpha_or_dropout_is_one_clear_error(int r, double alpha, double dropout, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new LoraConfig { R = r, LoraAlpha = alpha, LoraDropout = dropout }.Validate());
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Contradictory_or_empty_targets_are_refused()
    {
#pragma warning disable DSL055 // deliberately impossible: the run-time check is what this test is about
        Assert.Contains("sets both TargetModules and TargetModulesRegex",
            Assert.Throws<ArgumentException>(() => new LoraConfig { TargetModules = ["query"], TargetModulesRegex = ".*" }.Validate()).Message);
        Assert.Contains("TargetModules is empty", Assert.Throws<ArgumentException>(() => new LoraConfig { TargetModules = [] }.Validate()).Message);
        Assert.Contains("TargetModules[1] is empty", Assert.Throws<ArgumentException>(() => new LoraConfig { TargetModules = ["query", " "] }.Validate()).Message);
        Assert.Contains("is not a regular expression", Assert.Throws<ArgumentException>(() => new LoraConfig { TargetModulesRegex = "(query" }.Validate()).Message);
        Assert.Contains("FanInFanOut is true", Assert.Throws<ArgumentException>(() => new LoraConfig { FanInFanOut = true }.Validate()).Message);
        Assert.Contains("Bias is 7", Assert.Throws<ArgumentException>(() => new LoraConfig { Bias = (LoraBias)7 }.Validate()).Message);
#pragma warning restore DSL055
    }

    [Fact]
    public void Scaling_is_alpha_over_r_or_over_the_root_of_r_with_rslora()
    {
        Assert.Equal(2.0, new LoraConfig { R = 8, LoraAlpha = 16 }.Scaling);
        Assert.Equal(4.0, new LoraConfig { R = 16, LoraAlpha = 16, UseRslora = true }.Scaling);
        Assert.Equal(1.0, new LoraConfig().Scaling);   // PEFT's defaults: r 8, alpha 8
    }

    [Fact]
    public void Adapter_config_json_has_PEFTs_fields_sorted_and_indented_as_json_dumps_writes_them()
    {
        var config = new LoraConfig
        {
            R = 16, LoraAlpha = 32, LoraDropout = 0.1, TargetModules = ["query", "value"], TaskType = PeftTaskType.SeqCls,
            BaseModelNameOrPath = "sentence-transformers/all-MiniLM-L6-v2",
        };
        string json = PythonJson.Serialize(AdapterConfigJson.Write(config, config.TargetModules!));
        Assert.Equal("""
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
              "bias": "none",
              "exclude_modules": null,
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layers_pattern": null,
              "layers_to_transform": null,
              "lora_alpha": 32,
              "lora_bias": false,
              "lora_dropout": 0.1,
              "modules_to_save": [
                "classifier",
                "score"
              ],
              "peft_type": "LORA",
              "r": 16,
              "rank_pattern": {},
              "revision": null,
              "target_modules": [
                "query",
                "value"
              ],
              "task_type": "SEQ_CLS",
              "use_dora": false,
              "use_rslora": false
            }
            """, json);
    }

    [Fact]
    public void A_config_PEFT_wrote_reads_back_with_its_values()
    {
        using var temp = new TempDirectory();
        // What PEFT 0.13's save_pretrained wrote for a LoraConfig(r=4, lora_alpha=8, target_modules=".*query", bias="lora_only", use_rslora=True).
        string path = temp["adapter_config.json"];
        File.WriteAllText(path, """
            {"alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "bert-base-uncased", "bias": "lora_only",
             "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": "gaussian", "layer_replication": null,
             "layers_pattern": null, "layers_to_transform": null, "loftq_config": {}, "lora_alpha": 8, "lora_dropout": 0.05,
             "megatron_config": null, "megatron_core": "megatron.core", "modules_to_save": null, "peft_type": "LORA", "r": 4,
             "rank_pattern": {}, "revision": null, "target_modules": ".*query", "task_type": "TOKEN_CLS", "use_dora": false, "use_rslora": true}
            """);
        var config = AdapterConfigJson.Read(path);
        Assert.Equal(4, config.R);
        Assert.Equal(8.0, config.LoraAlpha);
        Assert.Equal(0.05, config.LoraDropout);
        Assert.Equal(".*query", config.TargetModulesRegex);
        Assert.Null(config.TargetModules);
        Assert.Equal(LoraBias.LoraOnly, config.Bias);
        Assert.Equal(LoraInit.Gaussian, config.InitLoraWeights);
        Assert.Equal(PeftTaskType.TokenCls, config.TaskType);
        Assert.True(config.UseRslora);
        Assert.Equal("bert-base-uncased", config.BaseModelNameOrPath);
        Assert.Equal(["classifier", "score"], config.ResolvedModulesToSave);
    }

    [Theory]
    [InlineData("\"peft_type\": \"IA3\"", "peft_type is 'IA3'; only LORA adapters are supported")]
    [InlineData("\"peft_type\": \"LORA\", \"use_dora\": true", "use_dora is set, but DoRA is not supported here")]
    [InlineData("\"peft_type\": \"LORA\", \"rank_pattern\": {\"query\": 4}", "rank_pattern is set, but per-layer ranks is not supported here")]
    [InlineData("\"peft_type\": \"LORA\", \"r\": 0", "LoraConfig.R is 0; it must be a rank of at least 1")]
    [InlineData("\"peft_type\": \"LORA\", \"bias\": \"some\"", "bias is 'some'; expected one of none, all, lora_only")]
    [InlineData("\"peft_type\": \"LORA\", \"r\": \"eight\"", "a field has the wrong type")]
    [InlineData("\"r\": 8", "'peft_type' is missing")]
    public void A_config_that_cannot_be_loaded_says_which_field(string fields, string message)
    {
        using var temp = new TempDirectory();
        string path = temp["adapter_config.json"];
        File.WriteAllText(path, "{" + fields + "}");
        var error = Assert.Throws<InvalidDataException>(() => AdapterConfigJson.Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_config_round_trips_through_its_file()
    {
        using var temp = new TempDirectory();
        var config = new LoraConfig { R = 2, LoraAlpha = 3.5, TargetModulesRegex = "fc[12]", Bias = LoraBias.All, InitLoraWeights = LoraInit.Random, ModulesToSave = ["head"] };
        File.WriteAllText(temp["adapter_config.json"], PythonJson.Serialize(AdapterConfigJson.Write(config, config.TargetModulesRegex!)));
        var read = AdapterConfigJson.Read(temp["adapter_config.json"]);
        Assert.Equal(config with { ModulesToSave = read.ModulesToSave }, read);
        Assert.Equal(["head"], read.ModulesToSave);
        Assert.Equal(3.5, JsonNode.Parse(File.ReadAllText(temp["adapter_config.json"]))!["lora_alpha"]!.GetValue<double>());
    }
}
