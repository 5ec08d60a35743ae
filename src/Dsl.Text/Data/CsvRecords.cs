using System.Text;

namespace Dsl.Text.Data;

/// <summary>
/// RFC 4180 records from a reader: fields split by a delimiter; a field that starts with a quote
/// runs to the closing quote, may hold delimiters and line breaks, and writes a quote as two.
/// Quotes inside unquoted fields are kept as they are. CRLF and LF both end a record.
/// </summary>
internal sealed class CsvRecords(TextReader reader, char delimiter, string path)
{
    private long _line = 1;

    /// <summary>The 1-based line the last record started on.</summary>
    public long RecordLine { get; private set; }

    /// <summary>Whether the last record was an empty line (skipped), not a line holding one empty field such as <c>""</c>.</summary>
    public bool Blank { get; private set; }

    /// <summary>The next record, or null at the end.</summary>
    /// <exception cref="DatasetFormatException">A quoted field is never closed, or text follows a closing quote.</exception>
    public List<string>? Next()
    {
        int c = reader.Read();
        if (c == TextDatasets.ByteOrderMark && RecordLine == 0) c = reader.Read();   // the file's first character
        if (c < 0) return null;
        RecordLine = _line;
        Blank = c == '\n' || (c == '\r' && reader.Peek() is '\n' or -1);
        var fields = new List<string>();
        var field = new StringBuilder();
        while (true)
        {
            if (c == '"' && field.Length == 0)
            {
                long opened = _line;
                while (true)
                {
                    c = reader.Read();
                    if (c < 0)
                        throw new DatasetFormatException(path, opened, null, $"a quoted field (column {fields.Count + 1}) is never closed.");
                    if (c == '\n') _line++;
                    if (c != '"') { field.Append((char)c); continue; }
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); continue; }
                    break;
                }
                c = reader.Read();
                // Only the delimiter or the end of the record (LF, CRLF, the end of the file) may follow; a lone CR is text.
                if (c >= 0 && c != delimiter && c != '\n' && !(c == '\r' && reader.Peek() is '\n' or -1))
                    throw new DatasetFormatException(path, _line, null,
                        $"unexpected '{(char)c}' after the closing quote of column {fields.Count + 1}; write a quote inside a quoted field as \"\".");
                continue;
            }
            if (c < 0 || c == '\n' || (c == '\r' && reader.Peek() is '\n' or -1))
            {
                if (c == '\r') reader.Read();
                if (c >= 0) _line++;
                fields.Add(field.ToString());
                return fields;
            }
            if (c == delimiter)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else field.Append((char)c);
            c = reader.Read();
        }
    }
}
