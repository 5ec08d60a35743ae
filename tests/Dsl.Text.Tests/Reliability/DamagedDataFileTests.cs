using System.IO.Compression;
using System.Text;
using Dsl.Text.Data;

namespace Dsl.Text.Tests.Reliability;

/// <summary>
/// A damaged or mis-encoded data file is a <see cref="DatasetFormatException"/> naming the file and
/// line, never a shorter dataset or silent U+FFFD (issue 12, defect 4).
/// </summary>
public sealed class DamagedDataFileTests
{
    private static string Lines(int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"{{\"text\": \"review number {i} with some words\", \"label\": {i % 2}}}\n"));

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    [Fact]
    public void A_gzip_file_without_its_trailer_is_damaged_not_shorter()
    {
        using var temp = new TempFolder();
        byte[] whole = Gzip(Lines(200));
        string path = temp.File("train.jsonl.gz");
        File.WriteAllBytes(path, whole[..^8]);   // the deflate data is complete: every line decodes
        var error = Assert.Throws<DatasetFormatException>(() => TextDatasets.Load(path));
        Assert.Equal(path, error.File);
        Assert.Contains("the file is damaged", error.Message);
        File.WriteAllBytes(path, whole);
        Assert.Equal(200, TextDatasets.Load(path).Count);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.95)]
    public void A_gzip_file_cut_mid_record_is_damaged_not_malformed_json(double keep)
    {
        using var temp = new TempFolder();
        byte[] whole = Gzip(Lines(2000));
        string path = temp.File("train.jsonl.gz");
        File.WriteAllBytes(path, whole[..(int)(whole.Length * keep)]);
        var error = Assert.Throws<DatasetFormatException>(() => TextDatasets.Load(path));
        Assert.Contains("the file is damaged", error.Message);
        Assert.DoesNotContain("malformed JSON", error.Message);
    }

    [Fact]
    public void A_gzip_file_with_a_wrong_checksum_is_damaged()
    {
        using var temp = new TempFolder();
        byte[] whole = Gzip(Lines(20));
        whole[^6] ^= 0xFF;   // the CRC32 in the trailer
        string path = temp.File("train.jsonl.gz");
        File.WriteAllBytes(path, whole);
        Assert.Contains("the file is damaged", Assert.Throws<DatasetFormatException>(() => TextDatasets.Load(path)).Message);
    }

    [Fact]
    public void Gzip_members_written_one_after_another_read_as_one_file()
    {
        using var temp = new TempFolder();
        string path = temp.File("train.jsonl.gz");
        File.WriteAllBytes(path, [.. Gzip(Lines(3)), .. Gzip(Lines(4))]);
        Assert.Equal(7, TextDatasets.Load(path).Count);
    }

    [Theory]
    [InlineData("train.jsonl")]
    [InlineData("train.csv")]
    [InlineData("train.jsonl.gz")]
    public void Invalid_utf8_names_the_file_and_line(string name)
    {
        using var temp = new TempFolder();
        bool csv = name.EndsWith(".csv", StringComparison.Ordinal);
        var text = new StringBuilder(csv ? "text,label\n" : "");
        for (int i = 0; i < 3000; i++) text.Append(csv ? $"row {i} is fine,1\n" : $"{{\"text\": \"row {i} is fine\", \"label\": 1}}\n");
        byte[] good = Encoding.UTF8.GetBytes(text.ToString());
        byte[] bad = Encoding.UTF8.GetBytes(csv ? "caf\u00e9 X,0\n" : "{\"text\": \"caf\u00e9 X\", \"label\": 0}\n");
        int e = Array.IndexOf(bad, (byte)0xC3);
        bad[e] = 0xE9;   // Latin-1 é: not UTF-8
        byte[] after = Encoding.UTF8.GetBytes(csv ? "after,1\n" : "{\"text\": \"after\", \"label\": 1}\n");
        byte[] file = [.. good, .. bad, .. after];
        string path = temp.File(name);
        File.WriteAllBytes(path, name.EndsWith(".gz", StringComparison.Ordinal) ? GzipBytes(file) : file);

        var error = Assert.Throws<DatasetFormatException>(() => TextDatasets.Load(path));
        Assert.Equal(path, error.File);
        Assert.Equal(csv ? 3002 : 3001, error.Line);
        Assert.Contains("invalid UTF-8", error.Message);

        var replaced = TextDatasets.Load(path, TextColumns.Default with { ReplaceInvalidUtf8 = true });
        Assert.Equal("caf\uFFFD X", replaced[3000].Text);
    }

    private static byte[] GzipBytes(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return buffer.ToArray();
    }
}
