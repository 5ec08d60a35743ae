namespace Dsl.Text.Data;

/// <summary>
/// A dataset file that cannot be read as text examples. The message names the file, the line (or
/// row) and the field, and says what was expected.
/// </summary>
public sealed class DatasetFormatException : FormatException
{
    /// <summary>An error at <paramref name="file"/>, <paramref name="line"/> (1-based; null: the whole file), <paramref name="field"/>.</summary>
    public DatasetFormatException(string file, long? line, string? field, string problem, Exception? inner = null)
        : base(Describe(file, line, field, problem), inner)
    {
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>The file (or folder) being read.</summary>
    public string File { get; }

    /// <summary>The 1-based line (JSON Lines, CSV) or row (Parquet) of the problem; null when it concerns the whole file.</summary>
    public long? Line { get; }

    /// <summary>The field or column of the problem, or null.</summary>
    public string? Field { get; }

    private static string Describe(string file, long? line, string? field, string problem) =>
        file + (line is null ? "" : $":{line}") + (field is null ? "" : $": field '{field}'") + ": " + problem;
}
