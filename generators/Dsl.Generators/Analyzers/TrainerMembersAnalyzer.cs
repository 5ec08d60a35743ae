using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// The member rules that have a code fix: the signatures of steps, optimizer, scheduler, metrics and hooks
/// (DSL006, DSL008–DSL011), which member is the model (DSL014) and metrics without logits (DSL017). The checks are the generator's own
/// (<see cref="TrainerParser"/>), run here so the IDE can offer the fixes; the generator declines on them
/// without reporting them.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrainerMembersAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableArray<DiagnosticDescriptor> Descriptors = ImmutableArray.Create(
        DiagnosticDescriptors.InvalidStepSignature,
        DiagnosticDescriptors.InvalidOptimizerSignature,
        DiagnosticDescriptors.InvalidSchedulerSignature,
        DiagnosticDescriptors.InvalidMetricSignature,
        DiagnosticDescriptors.InvalidHookSignature,
        DiagnosticDescriptors.AmbiguousModel,
        DiagnosticDescriptors.MetricsWithoutLogits);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => Descriptors;

    /// <summary>Whether this analyzer (and not the generator) reports <paramref name="descriptor"/>.</summary>
    internal static bool Reports(DiagnosticDescriptor descriptor) => Descriptors.Contains(descriptor);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { } symbols) return;
            start.RegisterSymbolAction(c =>
            {
                var type = (INamedTypeSymbol)c.Symbol;
                if (type.TypeKind != TypeKind.Class || type.IsRecord || !symbols.IsTrainer(type) || TrainerParser.BaseTrainer(type) is not null) return;
                var found = new List<DiagnosticInfo>();
                var methods = TrainerParser.ReadMethods(type, symbols.Known, found, c.CancellationToken);
                TrainerParser.CheckSchedulerTakesOptimizer(methods, symbols.Known, found);
                TrainerParser.CheckMetricsHaveLogits(methods, found);
                TrainerParser.FindModel(type, symbols.Known, found, c.CancellationToken);
                foreach (var info in found.Where(d => Reports(d.Descriptor)))
                    c.ReportDiagnostic(HelpLinks.Create(info.Descriptor, c.Options, SourceLocation(info.Location, c.Compilation),
                        info.Arguments.Cast<object?>().ToArray()));
            }, SymbolKind.NamedType);
        });
    }

    /// <summary>The location in the compilation's own tree, which code fixes need (the parser keeps only values).</summary>
    private static Location? SourceLocation(LocationInfo? info, Compilation compilation)
    {
        if (info is null) return null;
        foreach (var tree in compilation.SyntaxTrees)
            if (tree.FilePath == info.FilePath) return Location.Create(tree, info.Span);
        return info.ToLocation();
    }
}
