using System.Collections.Concurrent;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Generators.Diagnostics;

/// <summary>
/// Where a diagnostic's help link points. Every ID has a heading in docs/diagnostics.md; the link is
/// that document's address plus the heading's anchor (as GitHub writes it: the ID in lower case).
/// The document's address comes from the MSBuild property <c>DslDiagnosticsHelp</c>: the Dsl
/// package's build files set it to the copy of docs/diagnostics.md shipped inside the package, this
/// repository's eng/UseDsl.props to the repository's own file; a user may point it anywhere (an
/// intranet copy, a hosted page). Unset, the link is relative: <c>diagnostics.md#dsl001</c>.
/// </summary>
internal static class HelpLinks
{
    /// <summary>The MSBuild property, as analyzers read it (made visible with CompilerVisibleProperty).</summary>
    public const string Property = "build_property.DslDiagnosticsHelp";

    /// <summary>The document's name, the link's base when nothing is configured.</summary>
    public const string DefaultDocument = "diagnostics.md";

    private static readonly ConcurrentDictionary<(string Id, string Document), DiagnosticDescriptor> Linked = new();

    /// <summary>The heading's anchor for an ID, as GitHub renders the heading <c>## DSL001</c>.</summary>
    public static string Anchor(string id) => id.ToLowerInvariant();

    /// <summary>The link with the document unset.</summary>
    public static string Default(string id) => DefaultDocument + "#" + Anchor(id);

    /// <summary>The configured document's address, or null when the build sets none.</summary>
    public static string? Document(AnalyzerConfigOptionsProvider options) =>
        options.GlobalOptions.TryGetValue(Property, out string? value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <inheritdoc cref="Document(AnalyzerConfigOptionsProvider)"/>
    public static string? Document(AnalyzerOptions options) => Document(options.AnalyzerConfigOptionsProvider);

    /// <summary>The descriptor with its help link into <paramref name="document"/>; itself when none is configured.</summary>
    public static DiagnosticDescriptor For(DiagnosticDescriptor descriptor, string? document) =>
        document is null ? descriptor : Linked.GetOrAdd((descriptor.Id, document), key => new DiagnosticDescriptor(
            descriptor.Id, descriptor.Title, descriptor.MessageFormat, descriptor.Category, descriptor.DefaultSeverity,
            descriptor.IsEnabledByDefault, descriptor.Description, key.Document + "#" + Anchor(key.Id),
            descriptor.CustomTags.ToArray()));

    /// <summary>A diagnostic whose help link follows the build's <c>DslDiagnosticsHelp</c>.</summary>
    public static Diagnostic Create(DiagnosticDescriptor descriptor, AnalyzerOptions options, Location? location, params object?[] arguments) =>
        Diagnostic.Create(For(descriptor, Document(options)), location, arguments);
}
