using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Dsl;

/// <summary>
/// The settings of <see cref="TrainingArguments"/> by HF's snake_case name (the names <c>training_args.json</c> is
/// written with), and how a JSON value or a command-line word becomes a setting's value, with errors that say
/// which key or option, what it was and what it must be.
/// </summary>
internal static class SettingBinder
{
    /// <summary>A settable property: its name, type (without <c>?</c>), whether null is allowed and how lists and booleans read.</summary>
    internal sealed record Setting(string Name, PropertyInfo Property, Type Type, bool AllowsNull, bool DefaultsToTrue)
    {
        public bool IsList => Type == typeof(IReadOnlyList<string>);
        public bool IsDictionary => Type == typeof(IReadOnlyDictionary<string, double>);
    }

    private static readonly Dictionary<string, Setting> Settings = Build();

    /// <summary>HF's former names, still in HF users' files and scripts (the tutorial's <c>evaluation_strategy</c>).</summary>
    private static readonly Dictionary<string, string> FormerNames = new(StringComparer.Ordinal) { ["evaluation_strategy"] = "eval_strategy" };

    /// <summary>
    /// Keys <c>training_args.json</c> holds besides the settings, which describe a run and set nothing: the optimizer
    /// that stepped, and the values TrainingArguments works out (<c>resolved_eval_steps</c>, ...).
    /// </summary>
    public static readonly HashSet<string> Informational = BuildInformational();

    public static Setting? Find(string name) =>
        Settings.TryGetValue(FormerNames.TryGetValue(name, out var current) ? current : name, out var setting) ? setting : null;

    public static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    private static Dictionary<string, Setting> Build()
    {
        var nullability = new NullabilityInfoContext();
        var defaults = new TrainingArguments();
        var settings = new Dictionary<string, Setting>(StringComparer.Ordinal);
        foreach (var property in typeof(TrainingArguments).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true }) continue;
            var underlying = Nullable.GetUnderlyingType(property.PropertyType);
            bool allowsNull = underlying is not null || nullability.Create(property).WriteState == NullabilityState.Nullable;
            settings[SnakeCase(property.Name)] = new Setting(SnakeCase(property.Name), property, underlying ?? property.PropertyType, allowsNull,
                property.GetValue(defaults) is true);
        }
        return settings;
    }

    private static HashSet<string> BuildInformational()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal) { "optimizer" };
        foreach (var property in typeof(TrainingArguments).GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property.SetMethod is not { IsPublic: true }) keys.Add(SnakeCase(property.Name));
        return keys;
    }

    /// <summary>A JSON value as <paramref name="setting"/>'s value; <paramref name="where"/> starts the error message.</summary>
    public static object? FromJson(JsonNode? node, Setting setting, string where)
    {
        if (node is null)
            return setting.AllowsNull ? null : throw Wrong(where, "null", setting);
        var type = setting.Type;
        if (node is JsonValue value)
        {
            var kind = value.GetValueKind();
            if (type == typeof(bool) && kind is JsonValueKind.True or JsonValueKind.False) return kind == JsonValueKind.True;
            if (type == typeof(int) && value.TryGetValue(out double whole) && whole == Math.Floor(whole) && whole is >= int.MinValue and <= int.MaxValue && kind == JsonValueKind.Number)
                return (int)whole;
            if (type == typeof(double) && kind == JsonValueKind.Number) return value.GetValue<double>();
            if (kind == JsonValueKind.String && !(type == typeof(int) || type == typeof(double) || type == typeof(bool)))
                return FromText(value.GetValue<string>(), setting, where);   // strings, enums, HF's "none" for report_to, a dict as JSON text
        }
        if (node is JsonArray array && setting.IsList && array.All(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            return array.Select(item => item!.GetValue<string>()).ToList();
        if (node is JsonObject obj && setting.IsDictionary) return Dictionary(obj, where, setting);
        throw Wrong(where, node.ToJsonString(), setting);
    }

    /// <summary>A word of the command line (or a JSON string) as <paramref name="setting"/>'s value.</summary>
    public static object? FromText(string text, Setting setting, string where)
    {
        var type = setting.Type;
        if (type == typeof(string)) return text;
        if (type == typeof(bool)) return Truth(text, where);
        if (type == typeof(int) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int integer)) return integer;
        if (type == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)) return number;
        if (type.IsEnum)
        {
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
                if (EnumName(field) == text) return field.GetValue(null);
            throw Wrong(where, Quote(text), setting);
        }
        if (setting.IsList) return new List<string> { text };   // HF: report_to="none" as a single string
        if (setting.IsDictionary)
        {
            try
            {
                if (JsonNode.Parse(text) is JsonObject obj) return Dictionary(obj, where, setting);
            }
            catch (JsonException) { }
        }
        throw Wrong(where, Quote(text), setting);
    }

    /// <summary>HF's <c>string_to_bool</c>: yes/no, true/false, t/f, y/n, 1/0, any case.</summary>
    public static bool Truth(string text, string where) => text.ToLowerInvariant() switch
    {
        "yes" or "true" or "t" or "y" or "1" => true,
        "no" or "false" or "f" or "n" or "0" => false,
        _ => throw new ArgumentException($"{where} is '{text}', but it must be true or false (also yes/no, t/f, y/n, 1/0).", "args"),
    };

    public static string UnknownMessage(string source, IReadOnlyList<string> unknown, string what)
    {
        var lines = unknown.Select(u =>
        {
            string name = u.TrimStart('-').Split('=')[0].Replace('-', '_');
            string? near = Nearest(name);
            return near is null ? $"'{u}'" : $"'{u}' (did you mean '{(u.StartsWith("--", StringComparison.Ordinal) ? "--" : "")}{near}'?)";
        });
        return $"{source} has {(unknown.Count == 1 ? "a" : unknown.Count.ToString(CultureInfo.InvariantCulture))} {what}{(unknown.Count == 1 ? "" : "s")} " +
            $"that {(unknown.Count == 1 ? "is" : "are")} not a TrainingArguments setting: {string.Join(", ", lines)}. Settings use HF's snake_case names " +
            "(learning_rate, per_device_train_batch_size, ...; docs/trainer.md lists what is supported).";
    }

    private static Dictionary<string, double> Dictionary(JsonObject obj, string where, Setting setting)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, item) in obj)
            result[key] = item is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : throw Wrong($"{where}[\"{key}\"]", item?.ToJsonString() ?? "null", setting);
        return result;
    }

    private static ArgumentException Wrong(string where, string shown, Setting setting) =>
        new($"{where} is {shown}, but it must be {Expected(setting)}.", setting.Name);

    private static string Expected(Setting setting)
    {
        var type = setting.Type;
        string kind = type == typeof(bool) ? "true or false"
            : type == typeof(int) ? "a whole number"
            : type == typeof(double) ? "a number"
            : type == typeof(string) ? "a string"
            : type.IsEnum ? "one of " + string.Join(", ", type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => Quote(EnumName(f))))
            : setting.IsList ? "a list of strings (or one string)"
            : setting.IsDictionary ? "an object of numbers, e.g. {\"num_cycles\": 2}"
            : type.Name;
        return setting.AllowsNull ? kind + " or null" : kind;
    }

    /// <summary>An enum member as JSON names it: its <c>JsonStringEnumMemberName</c>, else snake_case (how the file is written).</summary>
    private static string EnumName(FieldInfo field) =>
        field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? SnakeCase(field.Name);

    private static string Quote(string text) => "\"" + text + "\"";

    /// <summary>The setting whose name is within two edits of <paramref name="name"/>, for "did you mean".</summary>
    private static string? Nearest(string name)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string candidate in Settings.Keys)
        {
            int distance = Distance(name, candidate);
            if (distance < bestDistance) (best, bestDistance) = (candidate, distance);
        }
        return best;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
