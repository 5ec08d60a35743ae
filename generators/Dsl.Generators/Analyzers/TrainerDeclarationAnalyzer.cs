using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// The declaration rules of a <c>[Trainer]</c> class that have a code fix: not partial (DSL001), a
/// containing type not partial (DSL002), no <c>[TrainStep]</c> (DSL004), a hook returning something
/// other than void or TrainerControl (DSL030). The generator declines to generate in these cases
/// without reporting them.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrainerDeclarationAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.TrainerNotPartial,
        DiagnosticDescriptors.ContainingTypeNotPartial,
        DiagnosticDescriptors.MissingTrainStep,
        DiagnosticDescriptors.HookReturnType,
        DiagnosticDescriptors.NotATrainer,
        DiagnosticDescriptors.TrainerIsNotAClass);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { } symbols) return;
            start.RegisterSymbolAction(c => AnalyzeType(c, symbols), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, AnalyzerSymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!symbols.IsTrainer(type))
        {
            ReportIgnoredMembers(context, type, symbols);
            return;
        }
        if (type.IsRecord)
        {
            // The generator reads classes only; a record would otherwise be silently ignored (CS1061 at the calls).
            context.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.TrainerIsNotAClass, context.Options, type.Locations[0], type.Name));
            return;
        }

        if (!TrainerParser.IsPartial(type))
            context.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.TrainerNotPartial, context.Options, type.Locations[0], type.Name));
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            if (!TrainerParser.IsPartial(outer))
                context.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.ContainingTypeNotPartial, context.Options, outer.Locations[0], outer.Name, type.Name));

        bool hasStep = false;
        foreach (var member in type.GetMembers())
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method) continue;
            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass is not { } attributeClass) continue;
                if (SymbolEqualityComparer.Default.Equals(attributeClass, symbols.TrainStepAttribute)) hasStep = true;
                else if (symbols.HookAttributes.TryGetValue(attributeClass, out string? hook) && ReturnsOtherType(method, symbols.Known))
                    context.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.HookReturnType, context.Options, method.Locations[0],
                        hook, method.Name, method.ReturnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
            }
        }
        if (!hasStep && TrainerParser.BaseTrainer(type) is null)   // derived from a trainer: DSL034 is the one error
            context.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.MissingTrainStep, context.Options, type.Locations[0], type.Name));
    }

    /// <summary>
    /// DSL036: a class whose methods carry the DSL's member attributes but which has no [Trainer] is silently
    /// ignored by the generator; say so on the class. A base class's attributes are not read either (only the
    /// [Trainer] class's own methods are), so an abstract class is told to put them on the trainer's overrides.
    /// </summary>
    private static void ReportIgnoredMembers(SymbolAnalysisContext context, INamedTypeSymbol type, AnalyzerSymbols symbols)
    {
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct)) return;
        var found = new System.Collections.Generic.List<string>();
        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method) continue;
            foreach (var attribute in method.GetAttributes())
                if (attribute.AttributeClass is { } attributeClass && symbols.IsMemberAttribute(attributeClass, out string shortName)
                    && !found.Contains(shortName))
                    found.Add(shortName);
        }
        if (found.Count == 0) return;
        string attributes = string.Join(", ", System.Linq.Enumerable.Select(found, f => "[" + f + "]"));
        string hint = type.IsAbstract
            ? "; a base class's attributes are not read: mark the [Trainer] class's own methods (overrides) instead"
            : "";
        context.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.NotATrainer, context.Options, type.Locations[0], type.Name, attributes, hint));
    }

    /// <summary>Neither void nor TrainerControl; async and Task-returning hooks are DSL012's (the generator's).</summary>
    private static bool ReturnsOtherType(IMethodSymbol method, KnownTypes known) =>
        !method.ReturnsVoid && !KnownTypes.Is(method.ReturnType, known.TrainerControl)
        && !method.IsAsync && !known.IsTaskLike(method.ReturnType);
}
