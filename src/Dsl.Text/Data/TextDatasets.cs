namespace Dsl.Text.Data;

/// <summary>
/// Reads labelled text into a <see cref="TextDataset{T}"/> of <see cref="TextExample"/>: JSON Lines
/// (also gzipped), CSV/TSV with a header, the original aclImdb folders, and HF's Parquet exports.
/// Bad input throws <see cref="DatasetFormatException"/> naming the file, line and field.
/// </summary>
public static partial class TextDatasets
{
    /// <summary>
    /// Reads <paramref name="path"/> by its extension: <c>.jsonl</c>/<c>.json</c> (and <c>.gz</c>),
    /// <c>.csv</c>, <c>.tsv</c>, <c>.parquet</c>; a folder is read as aclImdb (<paramref name="split"/>: train or test).
    /// </summary>
    public static TextDataset<TextExample> Load(string path, TextColumns? columns = null, string split = "train")
    {
        if (Directory.Exists(path)) return LoadAclImdb(path, split);
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" or ".ndjson" => LoadJsonLines(path, columns),
            ".csv" => LoadCsv(path, columns),
            ".tsv" => LoadCsv(path, columns, delimiter: '\t'),
            ".parquet" => LoadParquet(path, columns),
            _ => throw new DatasetFormatException(path, null, null,
                "unknown format; use .jsonl, .jsonl.gz, .csv, .tsv, .parquet, or an aclImdb folder."),
        };
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path)))
                    ? $"No dataset file at {path}."
                    : $"No dataset file at {path} (its folder does not exist either).", path);
    }

    private static TextDataset<TextExample> NonEmpty(List<TextExample> examples, string source)
    {
        if (examples.Count == 0) throw new DatasetFormatException(source, null, null, "the dataset has no examples.");
        return new TextDataset<TextExample>(examples, source);
    }

    // Gzip is recognised by its magic bytes, whatever the name.
    private static StreamReader OpenText(string path)
    {
        var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        int read = stream.Read(magic);
        stream.Position = 0;
        Stream source = read == 2 && magic[0] == 0x1f && magic[1] == 0x8b
            ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress)
            : stream;
        return new StreamReader(source, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }
}
