using System.Text.Json.Nodes;

namespace Dsl;

/// <summary>
/// One entry of the trainer's log (Hugging Face's <c>log_history</c> item): named numbers in the
/// order they were added, and the global step they belong to.
/// </summary>
public sealed class LogEntry : Metrics
{
    /// <summary>An empty entry for <paramref name="step"/>.</summary>
    public LogEntry(int step) => Step = step;

    /// <summary>An entry for <paramref name="step"/> holding <paramref name="values"/>.</summary>
    public LogEntry(int step, IEnumerable<KeyValuePair<string, double>> values) : this(step)
    {
        foreach (var (key, value) in values) Set(key, value);
    }

    /// <summary>The global step the entry belongs to.</summary>
    public int Step { get; }

    /// <summary>The entry as Hugging Face writes it in <c>log_history</c>: the values and <c>step</c>.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var (key, value) in this) obj[key] = value;
        obj["step"] = Step;
        return obj;
    }

    /// <summary>Reads an entry written by <see cref="ToJson"/> (or by Hugging Face).</summary>
    public static LogEntry FromJson(JsonObject obj)
    {
        int step = obj["step"] is JsonValue s && s.TryGetValue(out int st) ? st : 0;
        var entry = new LogEntry(step);
        foreach (var (key, value) in obj)
            if (key != "step" && value is JsonValue v && TryNumber(v, out double d)) entry.Set(key, d);
        return entry;
    }

    private static bool TryNumber(JsonValue value, out double number)
    {
        if (value.TryGetValue(out number)) return true;
        if (value.TryGetValue(out long l)) { number = l; return true; }
        // Python's NaN and Infinity, which TrainerState.Load reads as strings.
        return value.TryGetValue(out string? text) && text is "NaN" or "Infinity" or "-Infinity"
            && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number);
    }
}
