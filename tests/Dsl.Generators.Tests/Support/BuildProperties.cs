using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Generators.Tests.Support;

/// <summary>The build's global properties as the generator and analyzers see them (<c>build_property.*</c>).</summary>
internal sealed class BuildProperties : AnalyzerConfigOptionsProvider
{
    private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }

    private static readonly AnalyzerConfigOptions Empty = new Options(ImmutableDictionary<string, string>.Empty);

    private BuildProperties(ImmutableDictionary<string, string> values) => GlobalOptions = new Options(values);

    /// <summary>A build that sets these properties (keys with their <c>build_property.</c> prefix).</summary>
    public static BuildProperties With(params (string Key, string Value)[] properties) =>
        new(properties.ToImmutableDictionary(p => p.Key, p => p.Value));

    public override AnalyzerConfigOptions GlobalOptions { get; }

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Empty;
    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty;
}
