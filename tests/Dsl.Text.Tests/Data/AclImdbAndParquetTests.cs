using Dsl.Text.Data;
using Parquet;
using Parquet.Schema;

namespace Dsl.Text.Tests.Data;

public class AclImdbAndParquetTests
{
    [Fact]
    public void AclImdb_folders_read_neg_then_pos_in_review_id_order()
    {
        using var temp = new TempFolder();
        temp.Write("aclImdb/train/neg/10_2.txt", "awful");
        temp.Write("aclImdb/train/neg/9_1.txt", "dull");
        temp.Write("aclImdb/train/pos/3_9.txt", "great<br />fun");
        temp.Write("aclImdb/test/pos/0_10.txt", "superb");
        temp.Write("aclImdb/test/neg/0_3.txt", "meh");
        string root = temp.File("aclImdb");

        var train = TextDatasets.LoadAclImdb(root);
        Assert.Equal([new TextExample("dull", 0), new TextExample("awful", 0), new TextExample("great<br />fun", 1)], train.ToArray());
        Assert.Equal([0, 1], TextDatasets.Load(root, split: "test").Select(e => e.Label!.Value));
    }

    [Fact]
    public void AclImdb_errors_name_the_missing_or_empty_folder()
    {
        using var temp = new TempFolder();
        temp.Write("aclImdb/train/neg/1_1.txt", "bad");
        Directory.CreateDirectory(temp.File("aclImdb/test/neg"));
        Directory.CreateDirectory(temp.File("aclImdb/test/pos"));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => TextDatasets.LoadAclImdb(temp.File("aclImdb")));
        Assert.Contains(Path.Combine(temp.File("aclImdb"), "train", "pos"), missing.Message);
        var empty = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadAclImdb(temp.File("aclImdb"), "test"));
        Assert.Contains("no .txt reviews", empty.Message);
        Assert.Throws<ArgumentException>(() => TextDatasets.LoadAclImdb(temp.File("aclImdb"), "dev"));
    }

    private static async Task WriteParquet(string path, string?[] texts, long?[] labels, int rowGroups = 1)
    {
        var text = new DataField<string>("text", true);
        var label = new DataField<long?>("label");
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text, label), stream);
        int size = (texts.Length + rowGroups - 1) / rowGroups;
        for (int start = 0; start < texts.Length; start += size)
        {
            int end = Math.Min(texts.Length, start + size);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(text, texts[start..end]);
            await group.WriteAsync<long>(label, labels[start..end].AsMemory());
        }
    }

    [Fact]
    public async Task Parquet_exports_read_every_row_group_in_order()
    {
        using var temp = new TempFolder();
        string path = temp.File("train.parquet");
        await WriteParquet(path, ["one", "two", "three"], [1, 0, 1], rowGroups: 2);
        var data = TextDatasets.Load(path);
        Assert.Equal([new TextExample("one", 1), new TextExample("two", 0), new TextExample("three", 1)], data.ToArray());
    }

    [Fact]
    public async Task Parquet_int32_labels_read_too()
    {
        using var temp = new TempFolder();
        string path = temp.File("int.parquet");
        var text = new DataField<string>("text");
        var label = new DataField<int>("label");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text, label), stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(text, new[] { "a", "b" });
            await group.WriteAsync<int>(label, new[] { 0, 1 }.AsMemory());
        }
        Assert.Equal([0, 1], TextDatasets.LoadParquet(path).Select(e => e.Label!.Value));
    }

    [Fact]
    public async Task Bad_parquet_names_the_file_row_and_column()
    {
        using var temp = new TempFolder();
        string nulls = temp.File("nulls.parquet");
        await WriteParquet(nulls, ["a", "b", "c"], [0, null, 1], rowGroups: 2);
        var e = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadParquet(nulls));
        Assert.Equal((2L, "label"), (e.Line!.Value, e.Field));
        Assert.Contains("null label", e.Message);

        string range = temp.File("range.parquet");
        await WriteParquet(range, ["a", "b", "c"], [0, 1, 4], rowGroups: 2);
        var r = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadParquet(range, new TextColumns { NumLabels = 2 }));
        Assert.StartsWith(range + ":3: field 'label': label 4 is out of range", r.Message);

        var column = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadParquet(range, new TextColumns { Text = "sentence" }));
        Assert.Contains("field 'sentence': no such column; the file has 'text', 'label'", column.Message);

        var type = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadParquet(range, new TextColumns { Text = "label" }));
        Assert.Contains("expected strings", type.Message);

        string notParquet = temp.Write("fake.parquet", "text,label\nx,1\n");
        Assert.Contains("not a Parquet file", Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadParquet(notParquet)).Message);
    }
}
