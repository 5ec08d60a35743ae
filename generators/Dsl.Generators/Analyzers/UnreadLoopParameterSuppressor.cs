using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// One error per mistake: CS9113 ("Parameter 'args' is unread") on a primary-constructor parameter that the generated
/// loop reads (the model or the TrainingArguments), in a class whose loop was not generated because of an error the
/// DSL reports on the user's line: a declined [Trainer] (its stubs do not read it), a [Trainer] that is not partial
/// (DSL001), or a class with trainer members but no [Trainer] (DSL036). The parameter is unread only because the
/// code that reads it is missing, and it stops being unread when that error is fixed. A parameter the loop would not
/// read keeps its warning. C# only suppresses warnings this way (also under TreatWarningsAsErrors), never errors.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnreadLoopParameterSuppressor : DiagnosticSuppressor
{
    internal static readonly SuppressionDescriptor UnreadLoopParameter = new(
        id: "DSLSUP001",
        suppressedDiagnosticId: "CS9113",
        justification: "The generated loop reads this parameter; it was not generated because of the DSL error reported on this class.");

    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions { get; } = ImmutableArray.Create(UnreadLoopParameter);

    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        if (AnalyzerSymbols.Create(context.Compilation) is not { } symbols) return;
        foreach (var diagnostic in context.ReportedDiagnostics)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (diagnostic.Location.SourceTree is not { } tree) continue;
            var node = tree.GetRoot(context.CancellationToken).FindNode(diagnostic.Location.SourceSpan);
            var syntax = node as ParameterSyntax ?? node.FirstAncestorOrSelf<ParameterSyntax>();
            if (syntax is null
                || context.GetSemanticModel(tree).GetDeclaredSymbol(syntax, context.CancellationToken) is not IParameterSymbol parameter
                || parameter.ContainingSymbol?.ContainingType is not { } type
                || !IsLoopOwner(type, symbols))
                continue;
            if (TrainerParser.ParametersTheLoopReads(type, symbols.Known, context.CancellationToken)
                .Any(p => SymbolEqualityComparer.Default.Equals(p, parameter)))
                context.ReportSuppression(Suppression.Create(UnreadLoopParameter, diagnostic));
        }
    }

    /// <summary>A [Trainer] class, or a class whose methods carry the DSL's member attributes without one (DSL036).</summary>
    private static bool IsLoopOwner(INamedTypeSymbol type, AnalyzerSymbols symbols)
    {
        if (symbols.IsTrainer(type)) return true;
        foreach (var member in type.GetMembers())
            if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } method)
                foreach (var attribute in method.GetAttributes())
                    if (attribute.AttributeClass is { } attributeClass && symbols.IsMemberAttribute(attributeClass, out _)) return true;
        return false;
    }
}
