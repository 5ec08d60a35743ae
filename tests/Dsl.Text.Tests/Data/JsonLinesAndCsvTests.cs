using System.IO.Compression;
using System.Text;
using Dsl.Text.Data;

namespace Dsl.Text.Tests.Data;

public class JsonLinesAndCsvTests
{
    [Fact]
    public void Json_lines_read_text_and_label_skipping_blank_lines()
    {
        using var temp = new TempFolder();
        string path = temp.Write("train.jsonl", "{\"text\": \"good film\", \"label\": 1}\n\n{\"label\": 0, \"text\": \"bad \\\"film\\\"\", \"extra\": [1]}\n");
        var data = TextDatasets.LoadJsonLines(path);
        Assert.Equal([new TextExample("good film", 1), new TextExample("bad \"film\"", 0)], data.ToArray());
        Assert.Equal(path, data.Source);
    }

    [Fact]
    public void Gzipped_json_lines_read_the_same()
    {
        using var temp = new TempFolder();
        string path = temp.File("train.jsonl.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes("{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 0}\n"));
        Assert.Equal(["a", "b"], TextDatasets.Load(path).Select(e => e.Text));
    }

    [Fact]
    public void Pairs_and_other_column_names_are_configurable()
    {
        using var temp = new TempFolder();
        string path = temp.Write("nli.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"gold\": 2}\n");
        var columns = new TextColumns { Text = "premise", TextPair = "hypothesis", Label = "gold", NumLabels = 3 };
        Assert.Equal(new TextExample("p", 2, "h"), TextDatasets.LoadJsonLines(path, columns)[0]);
        Assert.Null(TextDatasets.LoadJsonLines(path, columns with { Label = null })[0].Label);
    }

    [Theory]
    [InlineData("{\"text\": \"ok\", \"label\": 1}\n{\"text\": \"broken\", \"label\": \n", 2, null, "malformed JSON")]
    [InlineData("{\"text\": \"ok\", \"label\": 1}\n[1, 2]\n", 2, null, "expected a JSON object")]
    [InlineData("{\"label\": 1, \"body\": \"x\"}\n", 1, "text", "missing; the object has 'label', 'body'")]
    [InlineData("{\"text\": 5, \"label\": 1}\n", 1, "text", "expected a string")]
    [InlineData("{\"text\": \"x\"}\n", 1, "label", "missing")]
    [InlineData("{\"text\": \"x\", \"label\": 1.5}\n", 1, "label", "expected an integer class id, found 1.5")]
    [InlineData("{\"text\": \"x\", \"label\": \"pos\"}\n", 1, "label", "expected an integer class id, found \"pos\"")]
    [InlineData("{\"text\": \"x\", \"label\": -1}\n", 1, "label", "label -1 is out of range")]
    [InlineData("{\"text\": \"x\", \"label\": 1}\n{\"text\": \"y\", \"label\": 2}\n", 2, "label", "label 2 is out of range; expected 0 .. 1")]
    public void Bad_json_lines_name_the_file_line_and_field(string content, long line, string? field, string problem)
    {
        using var temp = new TempFolder();
        string path = temp.Write("bad.jsonl", content);
        var e = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadJsonLines(path, new TextColumns { NumLabels = 2 }));
        Assert.Equal((path, line, field), (e.File, e.Line, e.Field));
        Assert.StartsWith(path + ":" + line + (field is null ? "" : $": field '{field}'"), e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_missing_or_empty_file_says_so()
    {
        using var temp = new TempFolder();
        var missing = Assert.Throws<FileNotFoundException>(() => TextDatasets.LoadJsonLines(temp.File("nope.jsonl")));
        Assert.Contains(temp.File("nope.jsonl"), missing.Message);
        string empty = temp.Write("empty.jsonl", "\n\n");
        Assert.Contains("no examples", Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadJsonLines(empty)).Message);
    }

    [Fact]
    public void Csv_follows_rfc_4180_quoting()
    {
        using var temp = new TempFolder();
        string path = temp.Write("data.csv",
            "id,text,label\r\n1,plain text,0\r\n2,\"with, comma and \"\"quotes\"\"\",1\r\n3,\"two\nlines\",0\r\n\r\n4,a \"quote\" inside,1");
        var data = TextDatasets.LoadCsv(path);
        Assert.Equal(["plain text", "with, comma and \"quotes\"", "two\nlines", "a \"quote\" inside"], data.Select(e => e.Text));
        Assert.Equal([0, 1, 0, 1], data.Select(e => e.Label!.Value));
    }

    [Fact]
    public void Tsv_is_read_by_extension_with_configurable_columns()
    {
        using var temp = new TempFolder();
        string path = temp.Write("dev.tsv", "sentence\tlabel\nit 's a charming journey . \t1\nbleak \t0\n");
        var data = TextDatasets.Load(path, new TextColumns { Text = "sentence" });
        Assert.Equal([new TextExample("it 's a charming journey . ", 1), new TextExample("bleak ", 0)], data.ToArray());
    }

    [Fact]
    public void Bad_csv_names_the_file_line_and_column()
    {
        using var temp = new TempFolder();
        var missing = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadCsv(temp.Write("a.csv", "body,label\nx,1\n")));
        Assert.Equal((1L, "text"), (missing.Line!.Value, missing.Field));
        Assert.Contains("no such column; the header has 'body', 'label'", missing.Message);

        var fields = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadCsv(temp.Write("b.csv", "text,label\nx,1\n\"multi\nline\",0\ny,1,extra\n")));
        Assert.Equal(5L, fields.Line);
        Assert.Contains("the row has 3 fields but the header has 2", fields.Message);

        var label = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadCsv(temp.Write("c.csv", "text,label\nx,1\ny,positive\n")));
        Assert.Equal((3L, "label"), (label.Line!.Value, label.Field));
        Assert.Contains("'positive' is not an integer class id", label.Message);

        var range = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadCsv(temp.Write("d.csv", "text,label\nx,7\n"), new TextColumns { NumLabels = 2 }));
        Assert.Contains("d.csv:2: field 'label': label 7 is out of range", range.Message);

        var quote = Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadCsv(temp.Write("e.csv", "text,label\nx,1\n\"never closed,0\n")));
        Assert.Equal(3L, quote.Line);
        Assert.Contains("never closed", quote.Message);

        Assert.Contains("empty", Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadCsv(temp.Write("f.csv", ""))).Message);
        Assert.Contains("no examples", Assert.Throws<DatasetFormatException>(() => TextDatasets.LoadCsv(temp.Write("g.csv", "text,label\n"))).Message);
        Assert.Throws<FileNotFoundException>(() => TextDatasets.LoadCsv(temp.File("none.csv")));
    }
}
