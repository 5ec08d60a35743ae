namespace Dsl.Text.Data;

public static partial class TextDatasets
{
    /// <summary>
    /// Reads CSV (or TSV with <paramref name="delimiter"/> <c>'\t'</c>; null picks by extension) with a
    /// header row naming the columns. Quoting follows RFC 4180; blank lines are skipped.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">A column is missing, a row has the wrong number of fields, a quote is unclosed, a label is not an integer or out of range, or the file has no examples.</exception>
    public static TextDataset<TextExample> LoadCsv(string path, TextColumns? columns = null, char? delimiter = null)
    {
        RequireFile(path);
        columns ??= TextColumns.Default;
        char separator = delimiter ?? (path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tsv.gz", StringComparison.OrdinalIgnoreCase) ? '\t' : ',');
        using var reader = OpenText(path, columns);
        var records = new CsvRecords(reader, separator, path);
        try
        {
            return ReadCsv(path, columns, separator, records);
        }
        catch (Exception e) when (ReadFailure(e, path, records.RecordLine, crEndsLine: false) is { } failure)
        {
            throw failure;
        }
    }

    private static TextDataset<TextExample> ReadCsv(string path, TextColumns columns, char separator, CsvRecords records)
    {
        var header = records.Next() ?? throw new DatasetFormatException(path, null, null, "the file is empty; expected a header row.");
        int Column(string name)
        {
            int index = header.IndexOf(name);
            // Named twice, the column is ambiguous (Python's DictReader takes the last, pandas renames one): refused.
            if (index >= 0 && header.LastIndexOf(name) != index)
                throw new DatasetFormatException(path, 1, name, $"the header names this column twice (columns {index + 1} and {header.LastIndexOf(name) + 1}).");
            if (index < 0)
                throw new DatasetFormatException(path, 1, name,
                    $"no such column; the header has {string.Join(", ", header.Select(h => $"'{h}'"))}" +
                    (header.Count == 1 && separator == ',' && header[0].Contains('\t') ? " (a TSV file? pass delimiter: '\\t')." : "."));
            return index;
        }
        int text = Column(columns.Text);
        int? pair = columns.TextPair is null ? null : Column(columns.TextPair);
        int? label = columns.Label is null ? null : Column(columns.Label);

        var examples = new List<TextExample>();
        while (records.Next() is { } row)
        {
            if (records.Blank) continue;   // an empty line; "" alone is a row with one empty field
            if (row.Count != header.Count)
                throw new DatasetFormatException(path, records.RecordLine, null,
                    $"the row has {row.Count} fields but the header has {header.Count}.");
            examples.Add(new TextExample(
                row[text],
                label is int l ? columns.ParseLabel(row[l], path, records.RecordLine) : null,
                pair is int p ? row[p] : null));
        }
        return NonEmpty(examples, path);
    }
}
