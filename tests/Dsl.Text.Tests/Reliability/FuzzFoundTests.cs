using System.IO.Compression;
using System.Text;
using Dsl.Text.Data;
using Parquet;
using Parquet.Schema;

namespace Dsl.Text.Tests.Reliability;

/// <summary>One regression test per defect the dataset fuzzer (<see cref="DatasetFuzzTests"/>, issue 25) found.</summary>
public sealed class FuzzFoundTests
{
    private static DatasetFormatException Refused(Func<TextDataset<TextExample>> load) => Assert.Throws<DatasetFormatException>(() => load());

    [Fact]
    public void A_lone_surrogate_escape_in_a_json_text_names_the_file_line_and_field()
    {
        using var temp = new TempFolder();
        string path = temp.Write("train.jsonl", "{\"text\": \"fine\", \"label\": 0}\n{\"text\": \"half \\ud800 a pair\", \"label\": 1}\n");
        var error = Refused(() => TextDatasets.LoadJsonLines(path));
        Assert.Equal((path, 2L, "text"), (error.File, error.Line!.Value, error.Field));
        Assert.Contains("invalid \\u escape", error.Message);
    }

    [Fact]
    public void A_field_name_with_a_lone_surrogate_escape_is_another_field_not_a_crash()
    {
        using var temp = new TempFolder();
        string path = temp.Write("train.jsonl", "{\"\\udc00\": 1, \"text\": \"a\", \"label\": 0}\n{\"te\\udc00xt\": \"b\", \"label\": 0}\n");
        var error = Refused(() => TextDatasets.LoadJsonLines(path));
        Assert.Equal((2L, "text"), (error.Line!.Value, error.Field));
        Assert.Contains("missing; the object has a name with an invalid \\u escape, 'label'", error.Message);
    }

    [Fact]
    public void A_json_field_given_twice_is_refused_not_read_as_the_first()
    {
        using var temp = new TempFolder();
        string path = temp.Write("train.jsonl", "{\"text\": \"a\", \"label\": 0, \"label\": 1}\n");
        var error = Refused(() => TextDatasets.LoadJsonLines(path));
        Assert.Equal($"{path}:1: field 'label': given twice in the object; keep one.", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })]          // UTF-16 LE
    [InlineData(new byte[] { 0xFE, 0xFF })]          // UTF-16 BE
    [InlineData(new byte[] { 0xFF, 0xFE, 0, 0 })]    // UTF-32 LE
    public void A_utf16_or_utf32_byte_order_mark_is_invalid_utf8_not_another_encoding(byte[] mark)
    {
        using var temp = new TempFolder();
        string path = temp.File("train.jsonl");
        File.WriteAllBytes(path, [.. mark, .. "{\"text\": \"a\", \"label\": 0}\n"u8]);
        var error = Refused(() => TextDatasets.LoadJsonLines(path));
        Assert.Equal(1, error.Line);
        Assert.Contains("invalid UTF-8", error.Message);
        // A UTF-8 mark is skipped, in JSON Lines and CSV alike.
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "{\"text\": \"a\", \"label\": 0}\n"u8]);
        Assert.Equal("a", TextDatasets.LoadJsonLines(path).Single().Text);
        string csv = temp.File("train.csv");
        File.WriteAllBytes(csv, [0xEF, 0xBB, 0xBF, .. "text,label\na,0\n"u8]);
        Assert.Equal("a", TextDatasets.LoadCsv(csv).Single().Text);
    }

    [Fact]
    public void The_line_of_invalid_utf8_counts_a_lone_carriage_return_as_json_lines_does()
    {
        using var temp = new TempFolder();
        string path = temp.File("train.jsonl");
        File.WriteAllBytes(path, [.. "{\"text\": \"a\", \"label\": 0}\r{\"text\": \"b\", \"label\": 0}\r\n{\"text\": \""u8, 0xC3, .. "\", \"label\": 0}\n"u8]);
        Assert.Equal(3, Refused(() => TextDatasets.LoadJsonLines(path)).Line);
    }

    // Every single-byte corruption of a small gzip file or Parquet file loads or is refused naming the file: SharpZipLib
    // met some damaged Huffman tables with an IndexOutOfRangeException, and Parquet.Net damaged metadata with its own.
    [Fact]
    public async Task Every_changed_byte_of_a_gzip_or_parquet_file_loads_or_names_the_file()
    {
        // One changed footer byte made Parquet.Net loop: the read's time bound refuses such a file as damaged.
        var limit = TextDatasets.ParquetReadLimit;
        TextDatasets.ParquetReadLimit = TimeSpan.FromSeconds(3);
        try { await ChangeEveryByte(); }
        finally { TextDatasets.ParquetReadLimit = limit; }
    }

    private static async Task ChangeEveryByte()
    {
        using var temp = new TempFolder();
        string text = string.Concat(Enumerable.Range(0, 20).Select(i => $"{{\"text\": \"review {i}\", \"label\": {i % 2}}}\n"));
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(Encoding.UTF8.GetBytes(text));
        string gz = temp.File("train.jsonl.gz"), parquet = temp.File("train.parquet");
        var textField = new DataField<string>("text");
        var labelField = new DataField<long>("label");
        await using (var stream = File.Create(parquet))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(textField, labelField), stream))
        using (var group = writer.CreateRowGroup())
        {
            await group.WriteAsync(textField, Enumerable.Range(0, 20).Select(i => $"review {i}").ToArray());
            await group.WriteAsync<long>(labelField, Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray().AsMemory());
        }
        foreach (var (path, original, load) in new (string, byte[], Func<string, TextDataset<TextExample>>)[]
                 {
                     (gz, buffer.ToArray(), p => TextDatasets.LoadJsonLines(p)),
                     (parquet, await File.ReadAllBytesAsync(parquet), p => TextDatasets.LoadParquet(p)),
                 })
            for (int at = 0; at < original.Length; at++)
                foreach (byte value in new byte[] { 0x00, 0xFF, (byte)(original[at] ^ 0x10) })
                {
                    byte[] bytes = (byte[])original.Clone();
                    bytes[at] = value;
                    await File.WriteAllBytesAsync(path, bytes);
                    try { load(path); }
                    catch (DatasetFormatException e) { Assert.Equal(path, e.File); }
                }
    }

    [Fact]
    public void A_csv_line_holding_only_an_empty_quoted_field_is_a_row_not_a_blank_line()
    {
        using var temp = new TempFolder();
        string path = temp.Write("train.csv", "text,label\na,0\n\"\"\nb,1\n\n");
        var error = Refused(() => TextDatasets.LoadCsv(path));
        Assert.Equal($"{path}:3: the row has 1 fields but the header has 2.", error.Message);
        string single = temp.Write("texts.csv", "text\na\n\"\"\n\nb\n");   // one column: "" is an empty text, the empty line is skipped
        Assert.Equal(["a", "", "b"], TextDatasets.LoadCsv(single, new TextColumns { Label = null }).Select(e => e.Text));
    }

    [Fact]
    public void Text_after_a_closing_quote_is_refused_even_behind_a_lone_carriage_return()
    {
        using var temp = new TempFolder();
        string path = temp.Write("train.csv", "text,label\n\"quoted\"\rmore,0\n");
        var error = Refused(() => TextDatasets.LoadCsv(path));
        Assert.Equal(2, error.Line);
        Assert.Contains("after the closing quote of column 1", error.Message);
    }

    [Fact]
    public void A_csv_column_named_twice_is_refused_not_read_from_the_first()
    {
        using var temp = new TempFolder();
        string path = temp.Write("train.csv", "text,label,text\na,0,b\n");
        var error = Refused(() => TextDatasets.LoadCsv(path));
        Assert.Equal($"{path}:1: field 'text': the header names this column twice (columns 1 and 3).", error.Message);
    }

    [Fact]
    public void An_aclimdb_review_with_invalid_utf8_names_the_file()
    {
        using var temp = new TempFolder();
        temp.Write("aclImdb/train/pos/0_9.txt", "fine");
        string bad = temp.Write("aclImdb/train/neg/0_2.txt", "");
        File.WriteAllBytes(bad, [.. "bad "u8, 0xC3]);
        var error = Refused(() => TextDatasets.LoadAclImdb(temp.File("aclImdb")));
        Assert.Equal(bad, error.File);
        Assert.Contains("invalid UTF-8", error.Message);
    }

    [Fact]
    public void Aclimdb_ids_are_plain_digits_a_sign_or_space_sorts_last()
    {
        using var temp = new TempFolder();
        foreach (string name in new[] { "+3_1.txt", " 4_2.txt", "10_1.txt", "2_7.txt" }) temp.Write($"aclImdb/train/neg/{name}", name);
        temp.Write("aclImdb/train/pos/0_9.txt", "pos");
        Assert.Equal(["2_7.txt", "10_1.txt", " 4_2.txt", "+3_1.txt", "pos"], TextDatasets.LoadAclImdb(temp.File("aclImdb")).Select(e => e.Text));
    }
}
