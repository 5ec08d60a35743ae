using Dsl.Text.Data;

namespace ImdbSentiment;

/// <summary>Finds the train and test splits of a --data folder, whatever its format.</summary>
public static class DataSources
{
    private static readonly string[] Extensions = [".jsonl", ".jsonl.gz", ".json", ".csv", ".tsv", ".parquet"];

    /// <summary>
    /// The split <paramref name="split"/> (train or test) of <paramref name="data"/>: an aclImdb folder
    /// (train/pos, train/neg, ...), a folder holding <c>{split}.jsonl</c> (or .jsonl.gz, .csv, .tsv,
    /// .parquet, or HF's <c>{split}-00000-of-00001.parquet</c>, also one folder down), or a single file.
    /// </summary>
    public static TextDataset<TextExample> Load(string data, string split, TextColumns? columns = null)
    {
        if (File.Exists(data)) return TextDatasets.Load(data, columns);
        if (Directory.Exists(Path.Combine(data, split, "pos"))) return TextDatasets.LoadAclImdb(data, split);
        string? file = Find(data, split);
        if (file is null)
            throw new FileNotFoundException(
                $"--data {data}: no {split} split found. Expected an aclImdb folder ({split}/pos, {split}/neg) or a file named " +
                $"{split}{{{string.Join(",", Extensions)}}} in the folder or one level down.");
        return TextDatasets.Load(file, columns);
    }

    private static string? Find(string folder, string split)
    {
        foreach (string dir in new[] { folder }.Concat(Directory.GetDirectories(folder)))
            foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                if (!name.StartsWith(split, StringComparison.OrdinalIgnoreCase)) continue;
                string rest = name[split.Length..];
                if (Extensions.Any(e => rest.Equals(e, StringComparison.OrdinalIgnoreCase))
                    || (rest.StartsWith('-') && rest.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)))
                    return file;
            }
        return null;
    }
}
