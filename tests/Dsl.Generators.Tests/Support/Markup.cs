using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests.Support;

/// <summary>Source with expected diagnostics marked as <c>{|DSL001:Name|}</c>.</summary>
internal static partial class Markup
{
    [GeneratedRegex(@"\{\|(DSL\d{3}):")]
    private static partial Regex Open();

    public static (string Source, List<(string Id, TextSpan Span)> Expected) Parse(string markup)
    {
        var sb = new StringBuilder();
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        int i = 0;
        while (i < markup.Length)
        {
            var m = Open().Match(markup, i);
            int close = markup.IndexOf("|}", i, StringComparison.Ordinal);
            if (m.Success && (close < 0 || m.Index < close))
            {
                sb.Append(markup, i, m.Index - i);
                open.Push((m.Groups[1].Value, sb.Length));
                i = m.Index + m.Length;
            }
            else if (close >= 0 && open.Count > 0)
            {
                sb.Append(markup, i, close - i);
                var (id, start) = open.Pop();
                expected.Add((id, TextSpan.FromBounds(start, sb.Length)));
                i = close + 2;
            }
            else
            {
                sb.Append(markup, i, markup.Length - i);
                break;
            }
        }
        return (sb.ToString(), expected);
    }

    /// <summary>Asserts the generator and the analyzers together report exactly the marked diagnostics.</summary>
    public static void Verify(string markup, params string[] otherSources) =>
        Verify(markup, GeneratorHarness.Compile([Parse(markup).Source, .. otherSources]));

    /// <summary>As <see cref="Verify(string, string[])"/>, over a compilation of the marked source (Source0.cs) and others.</summary>
    public static void Verify(string markup, Compilation compilation)
    {
        var (source, expected) = Parse(markup);
        var (generator, analyzers, _) = AnalyzerHarness.Run(compilation);
        var all = generator.AddRange(analyzers);
        var actual = all
            .Where(d => d.Location.GetLineSpan().Path == "Source0.cs")
            .Select(d => (d.Id, d.Location.SourceSpan))
            .OrderBy(d => d.SourceSpan.Start).ThenBy(d => d.Id).ToList();
        var sorted = expected.OrderBy(d => d.Span.Start).ThenBy(d => d.Id).ToList();
        Assert.True(sorted.SequenceEqual(actual),
            $"Expected {Describe(source, sorted)} but got {Describe(source, actual)}:\n" +
            string.Join("\n", all.Select(d => d.ToString())));
        foreach (var d in all) Assert.NotEqual(DiagnosticSeverity.Hidden, d.Severity);
    }

    private static string Describe(string source, List<(string Id, TextSpan Span)> items) =>
        items.Count == 0 ? "nothing" : string.Join(", ", items.Select(d => $"{d.Id} at '{source.Substring(d.Span.Start, d.Span.Length)}'"));
}
