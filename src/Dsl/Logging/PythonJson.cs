using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Dsl.Logging;

/// <summary>
/// Writes JSON the way Python's <c>json.dumps(obj, indent=2, sort_keys=True)</c> does, so files such
/// as <c>trainer_state.json</c> match Hugging Face's byte for byte: sorted keys, two-space indent,
/// <c>repr</c> floats (<c>5e-05</c>, <c>1.0</c>), ASCII-only strings.
/// </summary>
public static class PythonJson
{
    /// <summary>Serialises <paramref name="node"/> with the given indent (null: one line, Python's default separators).</summary>
    public static string Serialize(JsonNode? node, int? indent = 2, bool sortKeys = true)
    {
        var sb = new StringBuilder();
        Write(sb, node, indent, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, int? indent, bool sortKeys, int depth)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var entries = obj.ToList();
                if (sortKeys) entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
                for (int i = 0; i < entries.Count; i++)
                {
                    if (i > 0) sb.Append(indent is null ? ", " : ",");
                    NewLine(sb, indent, depth + 1);
                    WriteString(sb, entries[i].Key);
                    sb.Append(": ");
                    Write(sb, entries[i].Value, indent, sortKeys, depth + 1);
                }
                NewLine(sb, indent, depth);
                sb.Append('}');
                break;
            case JsonArray array:
                if (array.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0) sb.Append(indent is null ? ", " : ",");
                    NewLine(sb, indent, depth + 1);
                    Write(sb, array[i], indent, sortKeys, depth + 1);
                }
                NewLine(sb, indent, depth);
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue(out double d)) sb.Append(PythonFloat.Repr(d));
        else if (value.TryGetValue(out float f)) sb.Append(PythonFloat.Repr(f));
        else if (value.TryGetValue(out long l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
        else if (value.TryGetValue(out int i)) sb.Append(i.ToString(CultureInfo.InvariantCulture));
        else if (value.TryGetValue(out bool b)) sb.Append(b ? "true" : "false");
        else if (value.TryGetValue(out string? s)) WriteString(sb, s);
        else sb.Append(value.ToJsonString());
    }

    private static void NewLine(StringBuilder sb, int? indent, int depth)
    {
        if (indent is null) return;
        sb.Append('\n').Append(' ', indent.Value * depth);
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
