using Dsl.Checkpoints;
using Dsl.Text.Modeling;
using Dsl.Text.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Pretrained;

public class PretrainedTests
{
    private static readonly string Fixture = TestPaths.Fixture("tiny-bert");

    internal static readonly BertConfig Small = new()
    {
        VocabSize = 30, HiddenSize = 8, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 12, MaxPositionEmbeddings = 10,
    };

    /// <summary>Writes a checkpoint folder holding <paramref name="tensors"/> and the fixture's config.</summary>
    private static string Checkpoint(TempFolder temp, Dictionary<string, Tensor> tensors, string name = "ckpt")
    {
        string dir = Path.Combine(temp.Path, name);
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(Fixture, "config.json"), Path.Combine(dir, "config.json"));
        SafeTensors.Save(tensors, Path.Combine(dir, "model.safetensors"), new Dictionary<string, string> { ["format"] = "pt" });
        return dir;
    }

    private static void AssertSameWeights(IDictionary<string, Tensor> expected, IDictionary<string, Tensor> actual, Func<string, string>? rename = null)
    {
        foreach (var (name, tensor) in expected)
        {
            var other = actual[rename?.Invoke(name) ?? name];
            Assert.Equal(tensor.shape, other.shape);
            Assert.True(tensor.eq(other).all().item<bool>(), name);
        }
    }

    [Fact]
    public void SavePretrained_then_FromPretrained_is_bit_exact()
    {
        using var temp = new TempFolder();
        torch.manual_seed(7);
        using var model = new BertForSequenceClassification(Small with { NumLabels = 4 });
        model.SavePretrained(temp.Path);
        using var loaded = BertForSequenceClassification.FromPretrained(temp.Path, out var report);

        Assert.True(report.IsExact, report.ToString());
        Assert.Equal(model.state_dict().Count, report.LoadedCount);
        AssertSameWeights(model.state_dict(), loaded.state_dict());
        Assert.Equal(4, loaded.Config.NumLabels);
        Assert.False(loaded.training); // HF's from_pretrained returns the model in eval mode
        var header = SafeTensors.ReadHeader(temp.File("model.safetensors"));
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.DoesNotContain(header.Tensors, t => t.Name.Contains("position_ids"));
        Assert.Contains("\"BertForSequenceClassification\"", File.ReadAllText(temp.File("config.json")));
    }

    [Fact]
    public void Legacy_gamma_and_beta_names_load_as_weight_and_bias()
    {
        using var temp = new TempFolder();
        var tensors = SafeTensors.Load(Path.Combine(Fixture, "model.safetensors"));
        static string Legacy(string k) => k.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta");
        string dir = Checkpoint(temp, tensors.ToDictionary(kv => Legacy(kv.Key), kv => kv.Value));

        using var model = BertForSequenceClassification.FromPretrained(dir, out var report);
        Assert.True(report.IsExact, report.ToString());
        Assert.Equal(2 + 2 * 2 * 2, report.RenamedKeys.Count); // embeddings + 2 per layer, weight and bias each
        Assert.Contains("bert.embeddings.LayerNorm.gamma", report.RenamedKeys);
        AssertSameWeights(tensors, model.state_dict());
    }

    [Fact]
    public void A_BertModel_checkpoint_loads_into_the_classifier_and_reports_the_new_head()
    {
        using var temp = new TempFolder();
        torch.manual_seed(8);
        using var encoder = new BertModel(Small);
        encoder.SavePretrained(temp.Path);
        Assert.DoesNotContain(SafeTensors.ReadHeader(temp.File("model.safetensors")).Tensors, t => t.Name.StartsWith("bert."));

        var log = new StringWriter();
        using var model = BertForSequenceClassification.FromPretrained(temp.Path, out var report, new PretrainedOptions { Log = log, NumLabels = 3 });

        Assert.Equal(["classifier.bias", "classifier.weight"], report.MissingKeys);
        Assert.Empty(report.UnexpectedKeys);
        AssertSameWeights(encoder.state_dict(), model.state_dict(), name => "bert." + name);
        Assert.Contains("Some weights of BertForSequenceClassification were not initialized from the model checkpoint at " + temp.Path +
            " and are newly initialized: ['classifier.bias', 'classifier.weight']", log.ToString());
        Assert.Contains("You should probably TRAIN this model", log.ToString());
        Assert.Equal(new long[] { 3, 8 }, model.state_dict()["classifier.weight"].shape);
    }

    [Fact]
    public void A_classifier_checkpoint_loads_into_BertModel_without_its_head()
    {
        using var model = BertModel.FromPretrained(Fixture, out var report);
        Assert.Equal(["classifier.bias", "classifier.weight"], report.UnexpectedKeys);
        Assert.Empty(report.MissingKeys);
        var tensors = SafeTensors.Load(Path.Combine(Fixture, "model.safetensors"));
        AssertSameWeights(model.state_dict(), tensors, name => "bert." + name);
    }

    [Fact]
    public void Pretraining_heads_and_old_position_ids_are_ignored()
    {
        using var temp = new TempFolder();
        var tensors = SafeTensors.Load(Path.Combine(Fixture, "model.safetensors"));
        tensors.Remove("classifier.weight");
        tensors.Remove("classifier.bias");
        tensors["cls.predictions.bias"] = torch.zeros(40);
        tensors["cls.predictions.transform.dense.weight"] = torch.zeros(16, 16);
        tensors["cls.seq_relationship.weight"] = torch.zeros(2, 16);
        tensors["bert.embeddings.position_ids"] = torch.arange(12).unsqueeze(0); // transformers < 4.31 saved it
        string dir = Checkpoint(temp, tensors);

        var log = new StringWriter();
        using var model = BertForSequenceClassification.FromPretrained(dir, out var report, new PretrainedOptions { Log = log });
        Assert.Equal(["cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.seq_relationship.weight"], report.UnexpectedKeys);
        Assert.Equal(["classifier.bias", "classifier.weight"], report.MissingKeys);
        Assert.Contains("were not used when initializing BertForSequenceClassification: ['cls.predictions.bias'", log.ToString());
        Assert.DoesNotContain("position_ids", log.ToString());
    }

    [Fact]
    public void A_shape_mismatch_names_the_file_the_weight_and_both_shapes()
    {
        var e = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(Fixture, new PretrainedOptions { NumLabels = 2 }));
        Assert.Contains(Path.Combine(Fixture, "model.safetensors"), e.Message);
        Assert.Contains("'classifier.bias' has shape [3]", e.Message);
        Assert.Contains("'classifier.bias' has [2]", e.Message);
        Assert.Contains("IgnoreMismatchedSizes", e.Message);

        using var model = BertForSequenceClassification.FromPretrained(Fixture, out var report, new PretrainedOptions { NumLabels = 2, IgnoreMismatchedSizes = true });
        Assert.Equal(["classifier.bias", "classifier.weight"], report.MismatchedKeys.Select(m => m.Key).Order());
        Assert.Contains("- classifier.weight: found shape [3, 16] in the checkpoint and [2, 16] in the model instantiated", report.ToString());
    }

    [Fact]
    public void An_integer_tensor_where_a_float_weight_belongs_is_refused()
    {
        using var temp = new TempFolder();
        var tensors = SafeTensors.Load(Path.Combine(Fixture, "model.safetensors"));
        tensors["classifier.bias"] = torch.zeros(3, dtype: int64);
        string dir = Checkpoint(temp, tensors);
        var e = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(dir));
        Assert.Contains("'classifier.bias' is Int64", e.Message);
    }

    [Fact]
    public void A_pickle_is_refused_with_the_conversion_command_unless_allowed()
    {
        using var temp = new TempFolder();
        File.Copy(Path.Combine(Fixture, "config.json"), temp.File("config.json"));
        File.Copy(Path.Combine(Fixture, "pytorch_model.bin"), temp.File("pytorch_model.bin"));

        var e = Assert.Throws<NotSupportedException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("pytorch_model.bin", e.Message);
        Assert.Contains("from safetensors.torch import save_file", e.Message);
        Assert.Contains("AllowPickle", e.Message);

        using var model = BertForSequenceClassification.FromPretrained(temp.Path, out var report, new PretrainedOptions { AllowPickle = true });
        Assert.True(report.IsExact, report.ToString());
        AssertSameWeights(SafeTensors.Load(Path.Combine(Fixture, "model.safetensors")), model.state_dict());
    }

    [Fact]
    public void A_folder_without_weights_lists_what_it_has()
    {
        using var temp = new TempFolder();
        temp.Write("config.json", "{}");
        var e = Assert.Throws<FileNotFoundException>(() => BertForSequenceClassification.FromPretrained(temp.Path));
        Assert.Contains("no model.safetensors", e.Message);
        Assert.Contains("config.json", e.Message);
    }
}
