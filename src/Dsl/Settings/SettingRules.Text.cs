// Compiled into the runtime (net10.0) and, as a linked file, into Dsl.Generators (netstandard2.0).
using System;
using System.Globalization;

namespace Dsl.Settings;

internal static partial class SettingRules
{
    /// <summary>A value as the messages show it: numbers invariant and round-trip, strings quoted, null as null.</summary>
    public static string Show(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        string s => "'" + s + "'",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };

    /// <summary>A numeric value as a double; NaN for null, a bool or a string.</summary>
    public static double ToNumber(object? value) =>
        value is null or bool or string ? double.NaN : Convert.ToDouble(value, CultureInfo.InvariantCulture);

    /// <summary>As <c>double.IsFinite</c>, which netstandard2.0 lacks.</summary>
    public static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    /// <summary>The known name within two edits of <paramref name="name"/>, or null.</summary>
    public static string? NearestName(string name, string[] known)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (var candidate in known)
        {
            int distance = Distance(name.ToLowerInvariant(), candidate);
            if (distance < bestDistance) { best = candidate; bestDistance = distance; }
        }
        return best;
    }

    /// <summary>" (did you mean 'console'?)" for a name within two edits of a known one, else "".</summary>
    public static string Suggestion(string name, string[] known) =>
        NearestName(name, known) is { } best ? $" (did you mean '{best}'?)" : "";

    /// <summary>Levenshtein distance (insertions, deletions, substitutions); also the LoRA module names' suggestions.</summary>
    internal static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int previous = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}
