using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL040: <c>EarlyStoppingPatience</c> in constant <c>TrainingArguments</c> with nothing to watch: no
/// evaluations (<c>EvalStrategy = No</c>) or no metric (<c>MetricForBestModel</c> null without
/// <c>LoadBestModelAtEnd</c>). HF's <c>EarlyStoppingCallback</c> only asserts this when training starts.
/// Reported on the <c>EarlyStoppingPatience</c> assignment, where it is written.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EarlyStoppingAnalyzer : DiagnosticAnalyzer
{
    private const int No = 0;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.EarlyStoppingWithoutEvaluation);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainingArguments: { } arguments }) return;
            if (arguments.GetMembers("EarlyStoppingPatience").Length == 0) return;   // a runtime without early stopping
            start.RegisterOperationAction(c =>
            {
                var initializer = c.Operation switch
                {
                    IObjectCreationOperation creation => creation.Initializer,
                    IWithOperation with => with.Initializer,
                    _ => null,
                };
                if (initializer is null || ArgumentValues.Resolve(c.Operation, arguments) is not { } values) return;
                if (values.AssignmentOf("EarlyStoppingPatience") is not { } patience || patience.Parent != initializer) return;
                if (!values.TryGet("EarlyStoppingPatience", out object? value) || value is null) return;
                if (Problem(values) is not { } problem) return;
                c.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.EarlyStoppingWithoutEvaluation, c.Options,
                    patience.Syntax.GetLocation(), problem.What, problem.Fix));
            }, OperationKind.ObjectCreation, OperationKind.With);
        });
    }

    /// <summary>What is missing and how to fix it, in the order HF's <c>on_train_begin</c> checks; null when nothing is known to be.</summary>
    private static (string What, string Fix)? Problem(ArgumentValues values)
    {
        if (values.TryGetInt("EvalStrategy", out int eval) && eval == No)
            return ("EvalStrategy is No" + (values.AssignmentOf("EvalStrategy") is null ? " (the default)" : ""),
                "set EvalStrategy to Steps or Epoch");
        if (values.TryGet("MetricForBestModel", out object? metric) && metric is null
            && values.TryGet("LoadBestModelAtEnd", out object? loadBest) && loadBest is false)
            return ("MetricForBestModel is null", "set MetricForBestModel (e.g. \"loss\"), or LoadBestModelAtEnd, which defaults it to loss");
        return null;
    }
}
