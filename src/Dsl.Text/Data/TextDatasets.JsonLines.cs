using System.Text.Json;

namespace Dsl.Text.Data;

public static partial class TextDatasets
{
    /// <summary>
    /// Reads JSON Lines: one object per line with a text and an integer label (HF's <c>{"text", "label"}</c>).
    /// A gzipped file (<c>.jsonl.gz</c>) is decompressed on the fly; blank lines are skipped.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">A line is not a JSON object, lacks a field, has a non-integer or out-of-range label, or the file has no examples.</exception>
    public static TextDataset<TextExample> LoadJsonLines(string path, TextColumns? columns = null)
    {
        RequireFile(path);
        columns ??= TextColumns.Default;
        var examples = new List<TextExample>();
        using var reader = OpenText(path, columns);
        long line = 0;
        try
        {
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (string.IsNullOrWhiteSpace(text)) continue;
                examples.Add(ParseJsonLine(text, columns, path, line));
            }
        }
        catch (Exception e) when (ReadFailure(e, path, line) is { } failure)
        {
            throw failure;
        }
        return NonEmpty(examples, path);
    }

    private static TextExample ParseJsonLine(string text, TextColumns columns, string path, long line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(path, line, null, $"malformed JSON ({e.Message}).", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new DatasetFormatException(path, line, null, $"expected a JSON object, found {root.ValueKind}.");
            string body = JsonString(root, columns.Text, path, line)!;
            string? pair = columns.TextPair is null ? null : JsonString(root, columns.TextPair, path, line);
            int? label = columns.Label is null ? null : JsonLabel(root, columns, path, line);
            return new TextExample(body, label, pair);
        }
    }

    private static string JsonString(JsonElement root, string field, string path, long line)
    {
        if (!root.TryGetProperty(field, out var value))
            throw new DatasetFormatException(path, line, field, $"missing; the object has {Fields(root)}.");
        if (value.ValueKind != JsonValueKind.String)
            throw new DatasetFormatException(path, line, field, $"expected a string, found {value.ValueKind}.");
        return value.GetString()!;
    }

    private static int JsonLabel(JsonElement root, TextColumns columns, string path, long line)
    {
        string field = columns.Label!;
        if (!root.TryGetProperty(field, out var value))
            throw new DatasetFormatException(path, line, field, $"missing; the object has {Fields(root)}.");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long id))
            throw new DatasetFormatException(path, line, field,
                $"expected an integer class id, found {TextColumns.Shorten(value.GetRawText())}.");
        return columns.CheckLabel(id, path, line);
    }

    private static string Fields(JsonElement root)
    {
        var names = root.EnumerateObject().Select(p => $"'{p.Name}'").ToList();
        return names.Count == 0 ? "no fields" : string.Join(", ", names);
    }
}
