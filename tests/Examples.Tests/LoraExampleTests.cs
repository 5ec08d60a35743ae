using Dsl.Adapters;
using Dsl.Checkpoints;
using Dsl.Text.Modeling;

namespace Examples.Tests;

/// <summary>ImdbSentiment's --lora options: an adapter in PEFT's files, a merged Hugging Face folder, bad values refused.</summary>
public sealed class LoraExampleTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>, IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("dsl-lora-example-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("--lora-rank 0", "LoraConfig.R is 0; it must be a rank of at least 1.")]
    [InlineData("--lora --lora-alpha -2", "LoraConfig.LoraAlpha is -2; it must be a finite number above 0.")]
    [InlineData("--lora-dropout 1", "LoraConfig.LoraDropout is 1; it must be a probability in [0, 1).")]
    [InlineData("--lora-targets query vaule", "entry 'vaule' matches no module of BertForSequenceClassification; nearest Linear layers: value, dense, key.")]
    public void Impossible_LoRA_options_exit_with_2_before_training(string args, string message)
    {
        var (code, output) = CommandLineTests.Run([.. args.Split(' '), "--train-size", "16", "--eval-size", "4", "--output", Path.Combine(_temp, "results"), "--no-progress"]);
        Assert.True(code == 2, output);
        Assert.Contains(message, output);
        Assert.DoesNotContain("Training is Done", output);
    }

    [Fact]
    public void Help_lists_the_LoRA_options()
    {
        var (code, output) = CommandLineTests.Run("--help");
        Assert.Equal(0, code);
        foreach (string option in new[] { "--lora", "--lora-rank", "--lora-alpha", "--lora-targets", "--lora-dropout" })
            Assert.Contains(option, output);
    }

    [MiniLmFact]
    public void A_LoRA_run_on_MiniLM_saves_its_adapter_and_a_merged_model_that_loads_back()
    {
        string data = Directory.CreateDirectory(Path.Combine(_temp, "reviews")).FullName;
        foreach (string split in new[] { "train", "test" })
            File.WriteAllLines(Path.Combine(data, split + ".jsonl"),
                ["{\"text\": \"a wonderful, moving film\", \"label\": 1}", "{\"text\": \"a dull, tedious mess\", \"label\": 0}",
                 "{\"text\": \"i loved every minute\", \"label\": 1}", "{\"text\": \"i hated every minute\", \"label\": 0}"]);
        string output = Path.Combine(_temp, "results");

        var (code, log) = Programs.Run("ImdbSentiment.dll", 600, "--data", data, "--model", miniLm.Folder, "--train-size", "4", "--eval-size", "4",
            "--batch-size", "2", "--max-length", "16", "--epochs", "2", "--output", output, "--logging-dir", Path.Combine(_temp, "logs"),
            "--no-progress", "--lora", "--learning-rate", "1e-2");
        Assert.True(code == 0, log);
        // PEFT's line: 6 layers × (query + value) × (A 8 × 384 + B 384 × 8), and the classifier's 384 × 2 + 2.
        Assert.Contains("trainable params: 74,498 || all params: 22,787,714 || trainable%: 0.3269", log);
        Assert.Contains("Training is Done", log);

        Assert.True(File.Exists(Path.Combine(output, "adapter", LoraModel.WeightsFile)));
        Assert.Contains("\"peft_type\": \"LORA\"", File.ReadAllText(Path.Combine(output, "adapter", LoraModel.ConfigFile)));
        string checkpoint = Checkpoint.Last(output)!;
        Assert.True(File.Exists(Path.Combine(checkpoint, LoraModel.WeightsFile)));
        Assert.False(File.Exists(Path.Combine(checkpoint, Checkpoint.ModelFile)));

        using var merged = BertForSequenceClassification.FromPretrained(Path.Combine(output, "model"), out var report);
        Assert.True(report.IsExact, report.ToString());
        using var pretrained = BertForSequenceClassification.FromPretrained(miniLm.Folder);
        var tuned = merged.state_dict();
        var original = pretrained.state_dict();
        bool Same(string name) => tuned[name].equal(original[name]).all().item<bool>();
        Assert.False(Same("bert.encoder.layer.0.attention.self.query.weight"), "the update is merged into the adapted layers");
        Assert.True(Same("bert.encoder.layer.0.attention.self.key.weight"), "layers without an adapter are the base's");
        Assert.True(Same("bert.encoder.layer.5.output.dense.weight"), "layers without an adapter are the base's");

        // The adapter loads onto the pretrained base and predicts as the merged model does.
        using var based = BertForSequenceClassification.FromPretrained(miniLm.Folder);
        LoraModel.Load(based, Path.Combine(output, "adapter"));
        using var ids = Dsl.Data.Collation.Int64([101, 2023, 2143, 102], [1, 4], TorchSharp.torch.CPU);
        using var fromAdapter = based.forward(ids).Logits;
        using var fromMerged = merged.forward(ids).Logits;
        Assert.True(fromAdapter.allclose(fromMerged, rtol: 1e-4, atol: 1e-5));
    }
}
