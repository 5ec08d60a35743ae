using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL051: <c>Train(..., evalDatasets: { ["val"] = ..., ... })</c> in a method whose one <c>TrainingArguments</c> pick
/// the best model (or stop early, or step ReduceLROnPlateau) by a metric that names none of those sets: with named sets
/// every key is <c>eval_{name}_{metric}</c>, so <c>loss</c> (the default of LoadBestModelAtEnd) or
/// <c>validation_loss</c> with a set named <c>val</c> is never reported, and Train throws at the first evaluation
/// (TrainingRun.ObserveEvaluation's KeyNotFoundException). Decided only when the set names are constants in the same
/// method (a dictionary created there, or a local declared with one and used for nothing but passing it) and the
/// settings are known: those the trainer is created with in the method, or else the method's only TrainingArguments,
/// as DSL041 decides. DSL029 checks the metric's own name.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NamedEvalSetsMetricAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.MetricNotOfNamedEvalSets);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainingArguments: { } arguments } symbols) return;
            start.RegisterOperationBlockAction(block =>
            {
                var operations = block.OperationBlocks.SelectMany(b => b.DescendantsAndSelf()).ToList();
                var calls = new List<(IInvocationOperation Call, List<string> Names)>();
                foreach (var invocation in operations.OfType<IInvocationOperation>())
                    if (IsTrainerCall(invocation, symbols, "Train") && NamedSets(invocation, operations, symbols) is { Count: > 0 } names)
                        calls.Add((invocation, names));
                if (calls.Count == 0) return;
                var created = TrainCallAnalyzer.OnlyArgumentsCreated(operations, arguments);
                foreach (var (call, names) in calls)
                {
                    // The arguments the trainer was built with, where the call shows them; else the method's only ones (as DSL041).
                    var values = ArgumentsOf(call, arguments, symbols, block.CancellationToken, out bool traced);
                    if (!traced) values = created;
                    if (values is null || Metric(values, symbols) is not { } metric) continue;
                    string key = metric.Name.StartsWith("eval_", System.StringComparison.Ordinal) ? metric.Name.Substring(5) : metric.Name;
                    if (names.Any(n => key.StartsWith(n + "_", System.StringComparison.Ordinal) && key.Length > n.Length + 1)) continue;
                    string metricPart = key == "loss" || key.EndsWith("_loss", System.StringComparison.Ordinal) ? "loss" : key;
                    var location = (metric.Assignment ?? call).Syntax.GetLocation();
                    block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.MetricNotOfNamedEvalSets, block.Options, location,
                        metric.Says, call.TargetMethod.ContainingType.Name + ".Train", string.Join(", ", names.Select(n => "'" + n + "'")),
                        "eval_" + key, $"set MetricForBestModel = \"{names[0]}_{metricPart}\" (one set's key; any set's works)"));
                }
            });
        });
    }

    /// <summary>
    /// The metric the run tracks (TrainingArguments.ResolvedMetricForBestModel, and ReduceLROnPlateau's loss), what
    /// the message says about it and the assignment that chose it; null when none is tracked or it is not known.
    /// </summary>
    private static (string Name, string Says, IOperation? Assignment)? Metric(ArgumentValues values, AnalyzerSymbols symbols)
    {
        if (!values.TryGet("MetricForBestModel", out object? metric)) return null;
        if (metric is string name) return (name, $"MetricForBestModel is '{name}'", values.AssignmentOf("MetricForBestModel"));
        if (values.TryGet("LoadBestModelAtEnd", out object? loadBest) && loadBest is true)
            return ("loss", "LoadBestModelAtEnd picks the best model by 'loss' (MetricForBestModel is not set)", values.AssignmentOf("LoadBestModelAtEnd"));
        if (symbols.ReduceLROnPlateau is { } plateau && values.TryGetInt("LrSchedulerType", out int schedule) && schedule == plateau)
            return ("loss", "ReduceLROnPlateau steps with 'loss' (MetricForBestModel is not set)", values.AssignmentOf("LrSchedulerType"));
        return null;
    }

    /// <summary>
    /// The settings of the trainer <paramref name="call"/> runs on, when its receiver is created in this method
    /// (<c>new T(model, args).Train(...)</c>, or a local declared with that): <paramref name="traced"/> is then true,
    /// and the result null when the arguments given are not known.
    /// </summary>
    private static ArgumentValues? ArgumentsOf(IInvocationOperation call, INamedTypeSymbol arguments, AnalyzerSymbols symbols,
        System.Threading.CancellationToken ct, out bool traced)
    {
        traced = false;
        var receiver = call.Instance is { } instance ? StepScopeAnalyzer.Unwrap(instance) : null;
        if (receiver is ILocalReferenceOperation { SemanticModel: { } model } local)
            receiver = ArgumentValues.InitializerOf(local.Local, model, ct) is { } initializer ? StepScopeAnalyzer.Unwrap(initializer) : null;
        if (receiver is not IObjectCreationOperation creation) return null;
        traced = true;
        foreach (var argument in creation.Arguments)
        {
            if (!Parsing.KnownTypes.Is(argument.Parameter?.Type, arguments)) continue;
            var value = StepScopeAnalyzer.Unwrap(argument.Value);
            return value is ILocalReferenceOperation { SemanticModel: { } valueModel } given
                ? ArgumentValues.ResolveLocal(given.Local, valueModel, arguments, ct)
                : ArgumentValues.Resolve(value, arguments);
        }
        return null;
    }

    private static bool IsTrainerCall(IInvocationOperation invocation, AnalyzerSymbols symbols, string name) =>
        invocation.TargetMethod.Name == name && invocation.TargetMethod.ContainingType is { } type && symbols.IsTrainer(type);

    /// <summary>The constant names of the evalDatasets argument, or null when it is absent or not known.</summary>
    private static List<string>? NamedSets(IInvocationOperation call, List<IOperation> operations, AnalyzerSymbols symbols)
    {
        var argument = call.Arguments.FirstOrDefault(a => a.Parameter?.Name == "evalDatasets" && a.ArgumentKind == ArgumentKind.Explicit);
        if (argument is null) return null;
        var value = StepScopeAnalyzer.Unwrap(argument.Value);
        if (value is ILocalReferenceOperation local)
        {
            // A local only passed along: declared with the dictionary, never assigned, added to or given away.
            foreach (var reference in operations.OfType<ILocalReferenceOperation>())
                if (SymbolEqualityComparer.Default.Equals(reference.Local, local.Local) && !PassedToTrainer(reference, symbols)) return null;
            if (local.SemanticModel is not { } model
                || ArgumentValues.InitializerOf(local.Local, model, default) is not { } initializer) return null;
            value = StepScopeAnalyzer.Unwrap(initializer);
        }
        if (value is not IObjectCreationOperation { Initializer: { } elements }) return null;
        var names = new List<string>();
        foreach (var element in elements.Initializers)
        {
            var key = element switch
            {
                ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Arguments.Length: 1 } indexer } => indexer.Arguments[0].Value,
                IInvocationOperation { TargetMethod.Name: "Add", Arguments.Length: 2 } add => add.Arguments[0].Value,
                _ => null,
            };
            if (key?.ConstantValue is not { HasValue: true, Value: string name }) return null;
            names.Add(name);
        }
        return names;
    }

    private static bool PassedToTrainer(ILocalReferenceOperation reference, AnalyzerSymbols symbols)
    {
        IOperation? parent = reference.Parent;
        while (parent is IConversionOperation { IsImplicit: true }) parent = parent.Parent;
        return parent is IArgumentOperation { Parent: IInvocationOperation invocation } argument && argument.Parameter?.RefKind == RefKind.None
            && (IsTrainerCall(invocation, symbols, "Train") || IsTrainerCall(invocation, symbols, "Evaluate"));
    }
}
