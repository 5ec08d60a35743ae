using Dsl.Checkpoints;
using Dsl.Tests.Support;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;

namespace Dsl.Text.Tests.Reliability;

/// <summary>The final model save on a full disk or a read-only folder (issue 25, item 1): named, and the model saved there before stays whole.</summary>
public class FullDiskSaveTests
{
    private static readonly BertConfig Tiny = BertConfig.Tiny with { VocabSize = 64, NumLabels = 2 };

    private static Dictionary<string, byte[]> Files(string dir) =>
        Directory.GetFiles(dir).Where(f => !f.EndsWith(".filler", StringComparison.Ordinal)).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    [SmallDiskFact]
    public void SavePretrained_on_a_full_disk_names_the_file_and_leaves_the_model_saved_before_whole()
    {
        using var disk = new SmallDisk(4 << 20);
        string dir = disk["model"];
        torch.manual_seed(1);
        using var first = new BertForSequenceClassification(Tiny);
        first.SavePretrained(dir);
        var before = Files(dir);

        torch.manual_seed(2);
        using var second = new BertForSequenceClassification(Tiny with { NumLabels = 3 });
        disk.Fill();
        var error = Assert.Throws<IOException>(() => second.SavePretrained(dir));
        Assert.StartsWith($"No space left on device writing {Path.Combine(dir, "config.json")}.", error.Message);
        Assert.Contains("(it needs about ", error.Message);
        Assert.Contains($"the model was not saved; the files already in {dir} are unchanged", error.Message);

        var after = Files(dir);   // no temporary file left, and config.json and model.safetensors still of the first save
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.Equal(bytes, after[file]);
        using var loaded = BertForSequenceClassification.FromPretrained(dir, out var report);
        Assert.True(report.IsExact, report.ToString());
        Assert.Equal(2, loaded.Config.NumLabels);
    }

    [SmallDiskFact]
    public void SavePretrained_into_a_read_only_folder_names_it()
    {
        using var disk = new SmallDisk(1 << 20);
        Directory.CreateDirectory(disk["model"]);
        disk.MakeReadOnly();
        using var model = new BertForSequenceClassification(Tiny);
        var error = Assert.Throws<IOException>(() => model.SavePretrained(disk["model"]));
        Assert.Equal($"Cannot save the model to {disk["model"]}: it is on a read-only file system. Remount it writable or save to another folder.", error.Message);
    }

    [SmallDiskFact]
    public void A_tokenizer_saved_on_a_full_disk_leaves_the_one_saved_before_whole()
    {
        using var folder = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(folder);
        using var disk = new SmallDisk(1 << 20);
        string dir = disk["model"];
        tokenizer.SavePretrained(dir);
        var before = Files(dir);
        disk.Fill();
        var error = Assert.Throws<IOException>(() => tokenizer.SavePretrained(dir));
        Assert.StartsWith($"No space left on device writing {Path.Combine(dir, BertTokenizer.VocabularyFile)}.", error.Message);
        var after = Files(dir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.Equal(bytes, after[file]);
    }
}
