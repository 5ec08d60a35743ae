using System.Linq;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Model;

/// <summary>Where a diagnostic points, as values (a <see cref="Location"/> would defeat caching).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null
        : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(ISymbol symbol) => symbol.Locations.Length > 0 ? From(symbol.Locations[0]) : null;
}

/// <summary>A diagnostic to report, as values.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    /// <param name="helpDocument">Where help links point (<see cref="HelpLinks"/>); null keeps the descriptor's.</param>
    public Diagnostic ToDiagnostic(string? helpDocument = null) =>
        Diagnostic.Create(HelpLinks.For(Descriptor, helpDocument), Location?.ToLocation(), Arguments.Cast<object?>().ToArray());

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, ISymbol? symbol, params string[] arguments) =>
        new(descriptor, symbol is null ? null : LocationInfo.From(symbol), new EquatableArray<string>(arguments));

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        new(descriptor, LocationInfo.From(location), new EquatableArray<string>(arguments));
}

/// <summary>
/// What parsing one <c>[Trainer]</c> class gives: a model to emit (null when it cannot generate), the stubs to
/// emit instead when it cannot (null when it can, or when not even stubs can be added: the class is not partial),
/// and diagnostics.
/// </summary>
internal sealed record ParseResult(TrainerModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, DeclinedTrainer? Declined = null);
