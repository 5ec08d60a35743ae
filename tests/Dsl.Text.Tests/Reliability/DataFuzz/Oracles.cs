using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Dsl.Text.Data;

namespace Dsl.Text.Tests.Reliability.DataFuzz;

/// <summary>
/// What a reader must do with one file: load exactly <see cref="Rows"/>, or (when any problem was found) fail with a
/// <see cref="DatasetFormatException"/> naming the file and one of <see cref="BadLines"/> (a problem of the whole file
/// when <see cref="WholeFile"/>).
/// </summary>
public sealed record Expected(List<TextExample> Rows, SortedSet<long> BadLines, bool WholeFile)
{
    public bool Loads => BadLines.Count == 0 && !WholeFile;
}

/// <summary>
/// Independent readings of the documented formats, written apart from the readers (a byte-level line splitter, a
/// character-level CSV state machine, Utf8JsonReader instead of JsonDocument): the rules in the readers' XML docs and
/// docs/data-and-schedules.md, with HF's semantics where the docs are silent (strict UTF-8, a UTF-8 BOM ignored).
/// </summary>
public static partial class Oracles
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)$")]
    private static partial Regex JsonInteger();

    /// <summary>JSON Lines: one object per line (CRLF, LF or CR ends a line, as a text reader splits); blank lines skipped.</summary>
    public static Expected JsonLines(byte[] bytes, TextColumns columns)
    {
        var rows = new List<TextExample>();
        var bad = new SortedSet<long>();
        long number = 0;
        foreach (var line in SplitLines(SkipBom(bytes), crAlone: true))
        {
            number++;
            if (!Utf8.IsValid(line)) { bad.Add(number); continue; }
            string text = Strict.GetString(line);
            if (text.All(char.IsWhiteSpace)) continue;
            if (JsonRow(line, columns) is { } row) rows.Add(row);
            else bad.Add(number);
        }
        return new Expected(rows, bad, WholeFile: bad.Count == 0 && rows.Count == 0);
    }

    // One JSON line read with Utf8JsonReader: an object whose text (and pair) is a string, whose label is an integer
    // literal in range, none of the fields read given twice. Null when the line is bad.
    private static TextExample? JsonRow(byte[] line, TextColumns columns)
    {
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            var seen = new HashSet<string>();
            string? text = null, pair = null;
            int? label = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string? name = Named(ref reader, columns.Text) ?? Named(ref reader, columns.Label) ?? Named(ref reader, columns.TextPair);
                reader.Read();
                if (name is not null && !seen.Add(name)) return null;   // the same field twice: which one is meant?
                if (name is null) reader.Skip();
                else if (name == columns.Text || name == columns.TextPair)
                {
                    if (reader.TokenType != JsonTokenType.String) return null;
                    string value = reader.GetString()!;
                    if (name == columns.Text) text = value; else pair = value;
                }
                else if (name == columns.Label)
                {
                    if (reader.TokenType != JsonTokenType.Number) return null;
                    string raw = Encoding.UTF8.GetString(reader.ValueSpan);
                    if (!JsonInteger().IsMatch(raw) || !long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long id)) return null;
                    if (LabelProblem(id, columns)) return null;
                    label = (int)id;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return null;   // nothing may follow the object
            if (text is null || (columns.TextPair is not null && pair is null) || (columns.Label is not null && label is null)) return null;
            return new TextExample(text, label, pair);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? Named(ref Utf8JsonReader reader, string? name)
    {
        try { return name is not null && reader.ValueTextEquals(name) ? name : null; }
        catch (InvalidOperationException) { return null; }   // a name that cannot be unescaped is not the field
    }

    private static bool LabelProblem(long id, TextColumns columns) => id < 0 || id > int.MaxValue || (columns.NumLabels is int n && id >= n);

    /// <summary>
    /// CSV/TSV with a header (RFC 4180 as the reader documents it): a field opening with a quote runs to the closing quote
    /// and may hold delimiters and line breaks; "" is a quote; after a closing quote only the delimiter or the end of the
    /// record may follow; quotes inside unquoted fields are text; CRLF and LF end a record (a lone CR is text);
    /// empty lines are skipped; every row has the header's number of fields. Lines count LF.
    /// </summary>
    public static Expected Csv(byte[] bytes, TextColumns columns, char delimiter)
    {
        bytes = SkipBom(bytes);
        var bad = new SortedSet<long>();
        bool invalid = !Utf8.IsValid(bytes);
        if (invalid)
        {
            // Each line with invalid bytes is bad; the structure is still read (with U+FFFD), since a reader that decodes
            // as it goes may meet a structural problem first.
            long number = 0;
            foreach (var line in SplitLines(bytes, crAlone: false))
            {
                number++;
                if (!Utf8.IsValid(line)) bad.Add(number);
            }
        }
        string s = Encoding.UTF8.GetString(bytes);
        var records = new List<(long Line, List<string> Fields, bool Blank)>();
        int i = 0;
        long at = 1;
        bool broken = false;   // a quote never closed, or text after a closing quote: the records before it still count
        while (i < s.Length && !broken)
        {
            long start = at;
            var fields = new List<string>();
            var field = new StringBuilder();
            bool blank = s[i] == '\n' || (s[i] == '\r' && (i + 1 == s.Length || s[i + 1] == '\n'));
            while (true)
            {
                if (i < s.Length && s[i] == '"' && field.Length == 0)
                {
                    long opened = at;
                    i++;
                    while (true)
                    {
                        if (i >= s.Length) { bad.Add(opened); broken = true; break; }
                        if (s[i] == '"' && i + 1 < s.Length && s[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        if (s[i] == '"') { i++; break; }
                        if (s[i] == '\n') at++;
                        field.Append(s[i++]);
                    }
                    if (broken) break;
                    bool ends = i >= s.Length || s[i] == delimiter || s[i] == '\n' || (s[i] == '\r' && (i + 1 == s.Length || s[i + 1] == '\n'));
                    if (!ends) { bad.Add(at); broken = true; break; }
                    if (i < s.Length && s[i] == delimiter) { fields.Add(field.ToString()); field.Clear(); i++; continue; }
                }
                if (i >= s.Length) { fields.Add(field.ToString()); break; }
                char c = s[i];
                if (c == '\n' || (c == '\r' && (i + 1 == s.Length || s[i + 1] == '\n')))
                {
                    i += c == '\r' && i + 1 < s.Length ? 2 : 1;
                    at++;
                    fields.Add(field.ToString());
                    break;
                }
                if (c == delimiter) { fields.Add(field.ToString()); field.Clear(); }
                else field.Append(c);
                i++;
            }
            if (!broken) records.Add((start, fields, blank));
        }
        if (records.Count == 0) return new Expected([], bad, WholeFile: bad.Count == 0 && !invalid);
        var header = records[0].Fields;
        int Column(string? name)
        {
            if (name is null) return -2;
            int first = header.IndexOf(name);
            return first < 0 || header.LastIndexOf(name) != first ? -1 : first;   // missing, or named twice
        }
        int text = Column(columns.Text), label = Column(columns.Label), pair = Column(columns.TextPair);
        if (text == -1 || label == -1 || pair == -1) { bad.Add(1); return new Expected([], bad, false); }
        var rows = new List<TextExample>();
        foreach (var (line, fields, blank) in records.Skip(1))
        {
            if (blank) continue;
            if (fields.Count != header.Count) { bad.Add(line); continue; }
            int? id = null;
            if (label >= 0)
            {
                if (!long.TryParse(fields[label].AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
                    || LabelProblem(value, columns)) { bad.Add(line); continue; }
                id = (int)value;
            }
            rows.Add(new TextExample(fields[text], id, pair >= 0 ? fields[pair] : null));
        }
        return new Expected(bad.Count == 0 ? rows : [], bad, WholeFile: bad.Count == 0 && rows.Count == 0);
    }

    /// <summary>aclImdb: {split}/neg/*.txt (0) then pos/*.txt (1), by the number before '_' (files without one last), then by name; strict UTF-8.</summary>
    public static (List<TextExample>? Rows, string? BadFile) AclImdb(string root, string split)
    {
        var rows = new List<TextExample>();
        if (!Directory.Exists(root)) return (null, root);
        foreach (var (folder, label) in new[] { ("neg", 0), ("pos", 1) })
        {
            string dir = Path.Combine(root, split, folder);
            if (!Directory.Exists(dir)) return (null, dir);
            var files = Directory.GetFiles(dir).Where(f => f.EndsWith(".txt", StringComparison.Ordinal) && File.Exists(f)).ToList();
            if (files.Count == 0) return (null, dir);
            static long Id(string file)
            {
                string name = Path.GetFileNameWithoutExtension(file);
                string digits = name.Split('_')[0];
                return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : long.MaxValue;
            }
            files.Sort((a, b) => Id(a) != Id(b) ? Id(a).CompareTo(Id(b)) : string.CompareOrdinal(a, b));
            foreach (string file in files)
            {
                byte[] bytes = SkipBom(File.ReadAllBytes(file));
                if (!Utf8.IsValid(bytes)) return (null, file);
                rows.Add(new TextExample(Strict.GetString(bytes), label));
            }
        }
        return (rows, null);
    }

    private static byte[] SkipBom(byte[] bytes) => bytes is [0xEF, 0xBB, 0xBF, ..] ? bytes[3..] : bytes;

    // Lines of raw bytes: LF and CRLF end a line, and a lone CR too when crAlone (a text reader's ReadLine). A CR or
    // LF byte is never part of a multi-byte UTF-8 sequence, so splitting bytes is splitting text.
    private static IEnumerable<byte[]> SplitLines(byte[] bytes, bool crAlone)
    {
        int start = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == '\n') { yield return Line(start, i); start = i + 1; }
            else if (bytes[i] == '\r' && i + 1 < bytes.Length && bytes[i + 1] == '\n') { yield return Line(start, i); start = i + 2; i++; }
            else if (bytes[i] == '\r' && crAlone) { yield return Line(start, i); start = i + 1; }
        }
        if (start < bytes.Length) yield return Line(start, bytes.Length);
        byte[] Line(int from, int to) => bytes[from..to];
    }
}
