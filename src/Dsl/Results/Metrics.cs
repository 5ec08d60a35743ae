using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Dsl;

/// <summary>
/// Named numbers in the order they were added, printed as a Python dict the way Hugging Face
/// prints its metrics: <c>{'eval_loss': 0.6931, 'eval_runtime': 0.1234}</c>.
/// </summary>
public class Metrics : IReadOnlyDictionary<string, double>
{
    private readonly List<KeyValuePair<string, double>> _values = new(8);

    /// <summary>Adds <paramref name="key"/>, or replaces its value.</summary>
    public void Set(string key, double value)
    {
        for (int i = 0; i < _values.Count; i++)
            if (_values[i].Key == key) { _values[i] = new(key, value); return; }
        _values.Add(new(key, value));
    }

    /// <inheritdoc/>
    public double this[string key] => TryGetValue(key, out double v) ? v : throw new KeyNotFoundException(
        $"No '{key}' here; the keys are {string.Join(", ", Keys)}.");

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _values.Select(kv => kv.Key);

    /// <inheritdoc/>
    public IEnumerable<double> Values => _values.Select(kv => kv.Value);

    /// <inheritdoc/>
    public int Count => _values.Count;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out double value)
    {
        foreach (var kv in _values)
            if (kv.Key == key) { value = kv.Value; return true; }
        value = 0;
        return false;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The values as a Python dict, as Hugging Face prints them.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < _values.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            var (key, value) = _values[i];
            sb.Append('\'').Append(key).Append("': ").Append(Format(key, value));
        }
        return sb.Append('}').ToString();
    }

    /// <summary>
    /// One value as <see cref="ToString"/> prints it: Python's repr, the epoch rounded to 2 places
    /// (HF's progress callback rounds it when it prints a log). Use it to print a value in a hook
    /// exactly as the printed dictionaries show it.
    /// </summary>
    public static string Format(string key, double value) =>
        Logging.PythonFloat.Repr(key == "epoch" ? Math.Round(value, 2) : value);
}
