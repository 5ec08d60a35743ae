using System.IO.Compression;
using System.Text;
using Dsl.Text.Data;
using Dsl.Text.Tests.Reliability.DataFuzz;
using Parquet;
using Parquet.Schema;
using Xunit.Abstractions;

namespace Dsl.Text.Tests.Reliability;

/// <summary>
/// A mutation fuzzer over every dataset reader (issue 25, item 3): each mutated file either loads exactly what an
/// independent oracle (<see cref="Oracles"/>) reads from it, or fails with a <see cref="DatasetFormatException"/>
/// naming the file and a line the oracle also finds bad. Anything else (another exception, a hang past the per-case
/// limit, a row the oracle does not read) fails. CI runs a bounded share; DSL_DATA_FUZZ_MUTATIONS sets the count.
/// </summary>
public sealed class DatasetFuzzTests(ITestOutputHelper log)
{
    private const int Seed = 20261204;
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(20);
    private static readonly TextColumns Columns = new() { NumLabels = 3 };

    /// <summary>Mutations per format: DSL_DATA_FUZZ_MUTATIONS spread over the six formats (CI: 60 each).</summary>
    private static int Mutations => ((int.TryParse(Environment.GetEnvironmentVariable("DSL_DATA_FUZZ_MUTATIONS"), out int n) ? n : 360) + 5) / 6;

    // Texts that exercise quoting, escapes and Unicode in every format.
    private static readonly TextExample[] Examples =
    [
        new("a plain review", 0), new("with, commas and \"quotes\"", 1), new("tabs\tand\nnewlines\r\ninside", 2),
        new("naïve café 日本語 😀 e\u0301", 0), new("zero\u200Bwidth \uFEFF and \u202Eright-to-left", 1), new("", 2),
        new("backslash \\ and slash /", 0), new("a longer review " + string.Join(' ', Enumerable.Range(0, 40)), 1),
    ];

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private static byte[] JsonLinesFile() => Encoding.UTF8.GetBytes(string.Concat(Examples.Select(e => $"{{\"text\": {Json(e.Text)}, \"label\": {e.Label}}}\n")));

    private static byte[] CsvFile(char delimiter) => Encoding.UTF8.GetBytes($"text{delimiter}label\n" + string.Concat(Examples.Select(e =>
        "\"" + e.Text.Replace("\"", "\"\"") + "\"" + delimiter + e.Label + "\n")));

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(bytes);
        return buffer.ToArray();
    }

    // The file as C# would write it, for a failure's message.
    private static string Shown(byte[] bytes) => System.Text.Json.JsonSerializer.Serialize(Encoding.Latin1.GetString(bytes));

    private sealed record Outcome(List<TextExample>? Rows, DatasetFormatException? Refusal);

    // Runs the reader under the per-case limit: another exception or a hang fails the case.
    private static Outcome Read(Func<TextDataset<TextExample>> load, string what) => Within(() =>
    {
        try { return new Outcome(load().ToList(), null); }
        catch (DatasetFormatException e) { return new Outcome(null, e); }
    }, what);

    private static T Within<T>(Func<T> work, string what)
    {
        var task = Task.Run(work);
        if (!task.Wait(PerCase)) Assert.Fail($"{what}: still reading after {PerCase.TotalSeconds} s (a hang)");
        return task.Result;
    }

    private static void Check(Outcome outcome, Expected expected, string path, string what)
    {
        if (outcome.Rows is { } rows)
        {
            Assert.True(expected.Loads, $"{what}: loaded {rows.Count} rows, but the oracle finds lines [{string.Join(", ", expected.BadLines)}] bad" +
                                        (expected.WholeFile ? " (no examples)" : ""));
            Assert.Equal(expected.Rows, rows);
            return;
        }
        var refusal = outcome.Refusal!;
        Assert.True(refusal.File == path, $"{what}: the error names {refusal.File}, not {path}");
        Assert.False(expected.Loads, $"{what}: refused ({refusal.Message}) but the oracle reads {expected.Rows.Count} rows");
        Assert.True(refusal.Line is { } line ? expected.BadLines.Contains(line) : expected.WholeFile,
            $"{what}: refused at line {refusal.Line?.ToString() ?? "(none)"} ({refusal.Message}), but the oracle finds lines [{string.Join(", ", expected.BadLines)}] bad");
    }

    private void Fuzz(string name, byte[] original, Func<string, TextDataset<TextExample>> load, Func<byte[], Expected> oracle, int salt)
    {
        using var temp = new TempFolder();
        string path = temp.File(name);
        var mutator = new Mutator(Seed + salt);
        int loaded = 0, refused = 0;
        Check(Read(() => { File.WriteAllBytes(path, original); return load(path); }, name), oracle(original), path, name + " (unchanged)");
        for (int i = 0; i < Mutations; i++)
        {
            byte[] bytes = mutator.Mutate(original, out string how);
            File.WriteAllBytes(path, bytes);
            string what = $"{name} mutation {i} ({how}) of {Shown(bytes)}";
            var outcome = Read(() => load(path), what);
            Check(outcome, oracle(bytes), path, what);
            if (outcome.Rows is null) refused++; else loaded++;
        }
        log.WriteLine($"{name}: {Mutations} mutations, {loaded} loaded exactly as the oracle reads them, {refused} refused naming the file and a bad line");
    }

    [Fact]
    public void Mutated_json_lines_load_exactly_or_fail_with_file_and_line() =>
        Fuzz("train.jsonl", JsonLinesFile(), p => TextDatasets.LoadJsonLines(p, Columns), b => Oracles.JsonLines(b, Columns), 1);

    [Fact]
    public void Mutated_csv_loads_exactly_or_fails_with_file_and_line() =>
        Fuzz("train.csv", CsvFile(','), p => TextDatasets.LoadCsv(p, Columns), b => Oracles.Csv(b, Columns, ','), 2);

    [Fact]
    public void Mutated_tsv_loads_exactly_or_fails_with_file_and_line() =>
        Fuzz("train.tsv", CsvFile('\t'), p => TextDatasets.LoadCsv(p, Columns), b => Oracles.Csv(b, Columns, '\t'), 3);

    [Fact]
    public void Mutated_gzip_loads_exactly_or_fails_with_file_and_line()
    {
        // The oracle decompresses with System.IO.Compression (zlib), not SharpZipLib; a stream it cannot read, or that
        // the reader finds damaged (checksum, length), must be refused.
        static Expected Oracle(byte[] bytes)
        {
            if (bytes is not [0x1f, 0x8b, ..]) return Oracles.JsonLines(bytes, Columns);   // no gzip magic: read as text, as documented
            byte[] plain;
            try
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var output = new MemoryStream();
                gzip.CopyTo(output);
                plain = output.ToArray();
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                return new Expected([], [], WholeFile: true);
            }
            return Oracles.JsonLines(plain, Columns);
        }
        using var temp = new TempFolder();
        string path = temp.File("train.jsonl.gz");
        byte[] original = Gzip(JsonLinesFile());
        var mutator = new Mutator(Seed + 4);
        int loaded = 0, damaged = 0, refused = 0;
        for (int i = 0; i < Mutations; i++)
        {
            byte[] bytes = mutator.Mutate(original, out string how);
            File.WriteAllBytes(path, bytes);
            string what = $"train.jsonl.gz mutation {i} ({how})";
            var outcome = Read(() => TextDatasets.LoadJsonLines(path, Columns), what);
            if (outcome.Refusal is { } e && e.Message.Contains("the file is damaged", StringComparison.Ordinal))
            {
                Assert.Equal(path, e.File);
                damaged++;
                continue;
            }
            Check(outcome, Oracle(bytes), path, what);
            if (outcome.Rows is null) refused++; else loaded++;
        }
        log.WriteLine($"train.jsonl.gz: {Mutations} mutations, {loaded} loaded exactly, {damaged} refused as damaged gzip, {refused} refused at a bad line");
    }

    [Fact]
    public void Mutated_acl_imdb_folders_load_exactly_or_name_the_file()
    {
        using var temp = new TempFolder();
        var mutator = new Mutator(Seed + 5);
        int loaded = 0, refused = 0;
        for (int i = 0; i < Mutations; i++)
        {
            string root = temp.File($"aclImdb{i}");
            string how = MakeAclImdb(root, mutator);
            string what = $"aclImdb mutation {i} ({how})";
            var expected = Oracles.AclImdb(root, "train");
            var (rows, error) = Within<(List<TextExample>?, Exception?)>(() =>
            {
                try { return (TextDatasets.LoadAclImdb(root).ToList(), null); }
                catch (Exception e) when (e is DatasetFormatException or DirectoryNotFoundException) { return (null, e); }
            }, what);
            if (rows is not null)
            {
                Assert.True(expected.Rows is not null, $"{what}: loaded, but the oracle finds {expected.BadFile} bad");
                Assert.Equal(expected.Rows, rows);
                loaded++;
            }
            else
            {
                Assert.True(expected.BadFile is not null, $"{what}: refused ({error!.Message}) but the oracle reads it");
                Assert.Contains(expected.BadFile, error!.Message);
                refused++;
            }
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
        log.WriteLine($"aclImdb: {Mutations} folders, {loaded} loaded exactly, {refused} refused naming the file or folder");
    }

    // A small aclImdb split with mutated names and contents.
    private static string MakeAclImdb(string root, Mutator mutator)
    {
        var done = new List<string>();
        string[] names = ["0_3.txt", "1_10.txt", "2_7.txt", "10_1.txt", "9_4.txt", "x_2.txt", "+3_1.txt", " 4_2.txt", "-5_3.txt", "007_9.txt", "5.txt", "6_8.TXT", "7_1.txt.bak", "99999999999999999999_1.txt"];
        foreach (string folder in new[] { "neg", "pos" })
        {
            if (mutator.Next(20) == 0) { done.Add($"no {folder}"); continue; }
            string dir = Path.Combine(root, "train", folder);
            Directory.CreateDirectory(dir);
            int files = mutator.Next(5);
            for (int f = 0; f < files; f++)
            {
                string name = names[mutator.Next(names.Length)];
                byte[] text = Encoding.UTF8.GetBytes(Examples[mutator.Next(Examples.Length)].Text);
                if (mutator.Next(3) == 0) { text = mutator.Mutate(text, out string how); done.Add($"{folder}/{name}: {how}"); }
                File.WriteAllBytes(Path.Combine(dir, name), text);
            }
            if (mutator.Next(10) == 0) { Directory.CreateDirectory(Path.Combine(dir, "8_1.txt")); done.Add($"{folder}/8_1.txt is a folder"); }
        }
        return done.Count == 0 ? "names only" : string.Join("; ", done);
    }

    [Fact]
    public async Task Mutated_parquet_files_load_whole_rows_or_fail_naming_the_file()
    {
        // Parquet pages carry no checksum here: a changed byte inside a text can be a valid other text, as a data bit flip
        // in safetensors is. What a mutation must never do is crash, hang, shift or drop rows silently: a file that loads
        // has the original's row count, every text a string and every label in range.
        using var temp = new TempFolder();
        string path = temp.File("train.parquet");
        await WriteParquet(path, Examples, rowGroups: 2);
        byte[] original = await File.ReadAllBytesAsync(path);
        Assert.Equal(Examples, TextDatasets.LoadParquet(path, Columns));
        var mutator = new Mutator(Seed + 6);
        int loaded = 0, refused = 0;
        for (int i = 0; i < Mutations; i++)
        {
            byte[] bytes = mutator.Mutate(original, out string how);
            await File.WriteAllBytesAsync(path, bytes);
            string what = $"train.parquet mutation {i} ({how})";
            var outcome = Read(() => TextDatasets.LoadParquet(path, Columns), what);
            if (outcome.Rows is { } rows)
            {
                Assert.True(rows.Count == Examples.Length, $"{what}: {rows.Count} rows, the file had {Examples.Length}");
                Assert.All(rows, r => Assert.InRange(r.Label!.Value, 0, 2));
                loaded++;
            }
            else
            {
                Assert.Equal(path, outcome.Refusal!.File);
                refused++;
            }
        }
        log.WriteLine($"train.parquet: {Mutations} mutations, {loaded} loaded whole, {refused} refused naming the file");
    }

    private static async Task WriteParquet(string path, IReadOnlyList<TextExample> examples, int rowGroups)
    {
        var text = new DataField<string>("text", true);
        var label = new DataField<long?>("label");
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text, label), stream);
        int size = (examples.Count + rowGroups - 1) / rowGroups;
        for (int start = 0; start < examples.Count; start += size)
        {
            var part = examples.Skip(start).Take(size).ToList();
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(text, part.Select(e => e.Text).ToArray());
            await group.WriteAsync<long>(label, part.Select(e => (long?)e.Label).ToArray().AsMemory());
        }
    }
}
