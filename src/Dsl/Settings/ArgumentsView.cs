using System.Collections.Frozen;
using System.Reflection;
using TorchSharp;

namespace Dsl.Settings;

/// <summary>A <see cref="TrainingArguments"/> as the settings rules read it at run time: every value known.</summary>
internal sealed class ArgumentsView(TrainingArguments args) : ISettingValues
{
    private static readonly FrozenDictionary<string, PropertyInfo> Properties = typeof(TrainingArguments)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0)
        .ToFrozenDictionary(p => p.Name);

    public bool TryGet(string setting, out object? value)
    {
        value = null;
        if (!Properties.TryGetValue(setting, out var property)) return false;
        value = property.GetValue(args);
        if (value is Enum member) value = member.ToString();   // the rules name enum members, never numbers
        return true;
    }

    public bool TryGetElements(string setting, out IReadOnlyList<KeyValuePair<object?, object?>> elements)
    {
        TryGet(setting, out object? value);
        elements = value switch
        {
            IReadOnlyDictionary<string, double> dictionary => [.. dictionary.Select(p => new KeyValuePair<object?, object?>(p.Key, p.Value))],
            IReadOnlyDictionary<string, object> dictionary => [.. dictionary.Select(p => new KeyValuePair<object?, object?>(p.Key, Plain(p.Value)))],
            IEnumerable<string> list => [.. list.Select(e => new KeyValuePair<object?, object?>(null, e))],
            _ => [],
        };
        return elements.Count > 0;
    }

    // A value read from JSON (TrainingArguments.FromJson) as the plain value the rules compare.
    private static object? Plain(object? value) => value is System.Text.Json.JsonElement element
        ? element.ValueKind switch
        {
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            System.Text.Json.JsonValueKind.String => element.GetString(),
            System.Text.Json.JsonValueKind.Number => element.GetDouble(),
            _ => element.GetRawText(),
        }
        : value;

    public bool IsWritten(string setting) =>
        !(TryGet(setting, out object? value) && SettingRules.Defaults.TryGetValue(setting, out object? fallback) && Equals(value, fallback));

    public bool IsDevice(string text)
    {
        try
        {
            _ = new torch.Device(text);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            return false;
        }
    }

    public bool CanReadFileSystem => true;

    public bool IsExistingFile(string path) => File.Exists(path);
}
