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
                if (line == 1 && text.StartsWith(ByteOrderMark)) text = text[1..];
                if (string.IsNullOrWhiteSpace(text)) continue;
                examples.Add(ParseJsonLine(text, columns, path, line));
            }
        }
        catch (Exception e) when (ReadFailure(e, path, line, crEndsLine: true) is { } failure)
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
        var value = Property(root, field, path, line);
        if (value.ValueKind != JsonValueKind.String)
            throw new DatasetFormatException(path, line, field, $"expected a string, found {value.ValueKind}.");
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)   // a \ud800 escape without its pair: no string can hold it
        {
            throw new DatasetFormatException(path, line, field, $"the string has an invalid \\u escape: {e.Message}", e);
        }
    }

    // The field, given exactly once: with two, Python's json keeps the last and System.Text.Json finds the first, so
    // which one a reader means is not clear.
    private static JsonElement Property(JsonElement root, string field, string path, long line)
    {
        JsonElement? found = null;
        foreach (var property in root.EnumerateObject())
        {
            if (!NameIs(property, field)) continue;
            if (found is not null) throw new DatasetFormatException(path, line, field, "given twice in the object; keep one.");
            found = property.Value;
        }
        return found ?? throw new DatasetFormatException(path, line, field, $"missing; the object has {Fields(root)}.");
    }

    private static int JsonLabel(JsonElement root, TextColumns columns, string path, long line)
    {
        string field = columns.Label!;
        var value = Property(root, field, path, line);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long id))
            throw new DatasetFormatException(path, line, field,
                $"expected an integer class id, found {TextColumns.Shorten(value.GetRawText())}.");
        return columns.CheckLabel(id, path, line);
    }

    private static string Fields(JsonElement root)
    {
        var names = root.EnumerateObject().Select(p => NameOf(p)).ToList();
        return names.Count == 0 ? "no fields" : string.Join(", ", names);
    }

    // A name with a \ud800 escape without its pair cannot be unescaped, so it is no field a reader asks for.
    private static bool NameIs(JsonProperty property, string field)
    {
        try { return property.NameEquals(field); }
        catch (InvalidOperationException) { return false; }
    }

    private static string NameOf(JsonProperty property)
    {
        try { return $"'{property.Name}'"; }
        catch (InvalidOperationException) { return "a name with an invalid \\u escape"; }
    }
}
