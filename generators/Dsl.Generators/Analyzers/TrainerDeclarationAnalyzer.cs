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
        DiagnosticDescriptors.HookReturnType);

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
        if (!symbols.IsTrainer(type)) return;

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
        if (!hasStep)
            context.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.MissingTrainStep, context.Options, type.Locations[0], type.Name));
    }

    /// <summary>Neither void nor TrainerControl; async and Task-returning hooks are DSL012's (the generator's).</summary>
    private static bool ReturnsOtherType(IMethodSymbol method, KnownTypes known) =>
        !method.ReturnsVoid && !KnownTypes.Is(method.ReturnType, known.TrainerControl)
        && !method.IsAsync && !known.IsTaskLike(method.ReturnType);
}
