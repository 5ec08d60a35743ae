namespace Dsl.Text.Data;

/// <summary>Which fields (JSON keys, CSV/Parquet columns) hold the text, the label and an optional second text.</summary>
public sealed record TextColumns
{
    /// <summary>The text field; HF's default <c>text</c>.</summary>
    public string Text { get; init; } = "text";

    /// <summary>The label field (integer class ids); null reads unlabelled text.</summary>
    public string? Label { get; init; } = "label";

    /// <summary>The second text of a pair task (e.g. <c>hypothesis</c>), or null.</summary>
    public string? TextPair { get; init; }

    /// <summary>When set, labels must lie in 0 .. NumLabels − 1; otherwise they must be 0 or more.</summary>
    public int? NumLabels { get; init; }

    /// <summary>
    /// Invalid UTF-8 in a JSON Lines or CSV file is an error naming the file and line, as Python's
    /// strict decoding is; set this to read it with U+FFFD instead (Python's <c>errors="replace"</c>).
    /// </summary>
    public bool ReplaceInvalidUtf8 { get; init; }

    /// <summary>HF's layout: <c>text</c> and <c>label</c>.</summary>
    public static TextColumns Default { get; } = new();

    /// <summary>Checks one label read from <paramref name="file"/> at <paramref name="line"/>; returns it as an int.</summary>
    internal int CheckLabel(long value, string file, long line)
    {
        if (value < 0 || (NumLabels is int n && value >= n) || value > int.MaxValue)
            throw new DatasetFormatException(file, line, Label,
                NumLabels is int count
                    ? $"label {value} is out of range; expected 0 .. {count - 1} (NumLabels = {count})."
                    : $"label {value} is out of range; class ids are 0 or more.");
        return (int)value;
    }

    /// <summary>Parses a label written as text (CSV).</summary>
    internal int ParseLabel(string text, string file, long line)
    {
        if (!long.TryParse(text.AsSpan().Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long value))
            throw new DatasetFormatException(file, line, Label, $"'{Shorten(text)}' is not an integer class id.");
        return CheckLabel(value, file, line);
    }

    internal static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
