using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL029: <c>MetricForBestModel</c> naming no metric of the trainer the arguments are passed to,
/// where both are visible in one method: <c>new MyTrainer(model, new TrainingArguments { ... })</c>,
/// a <c>with</c>, or a local declared with one and not assigned again. Metric names are
/// <c>[Metric("name")]</c> or the method's name in snake_case, with or without <c>eval_</c>;
/// <c>loss</c> is always there, and <c>{dataset}_{metric}</c> names a metric of a named evaluation dataset.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BestMetricAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UnknownMetricForBestModel);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainingArguments: { } arguments } symbols) return;
            var metricsOf = new ConcurrentDictionary<INamedTypeSymbol, ImmutableArray<string>>(SymbolEqualityComparer.Default);
            start.RegisterOperationAction(c =>
            {
                var creation = (IObjectCreationOperation)c.Operation;
                if (creation.Type is not INamedTypeSymbol trainer || !symbols.IsTrainer(trainer)) return;
                foreach (var argument in creation.Arguments)
                {
                    if (!KnownTypes.Is(argument.Parameter?.Type, arguments)) continue;
                    var value = StepScopeAnalyzer.Unwrap(argument.Value);
                    var values = value is ILocalReferenceOperation local && c.Operation.SemanticModel is { } model
                        ? ArgumentValues.ResolveLocal(local.Local, model, arguments, c.CancellationToken)
                        : ArgumentValues.Resolve(value, arguments);
                    if (values?.AssignmentOf("MetricForBestModel") is not { } assignment
                        || !values.TryGet("MetricForBestModel", out object? metric) || metric is not string name)
                        continue;
                    var known = metricsOf.GetOrAdd(trainer, t => MetricNames(t, symbols));
                    string key = WithoutEvalPrefix(name);
                    if (Reported(key, "loss") || known.Any(k => Reported(key, k))) continue;
                    var reported = new List<string> { "eval_loss" };
                    foreach (string k in known) reported.Add("eval_" + k);
                    c.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.UnknownMetricForBestModel, c.Options, assignment.Syntax.GetLocation(),
                        name, trainer.Name, known.IsEmpty ? "only eval_loss" : string.Join(", ", reported), Advice(trainer, key, known, symbols)));
                }
            }, OperationKind.ObjectCreation);
        });
    }

    /// <summary>
    /// What to write instead: the key of the metric the name means (a method name "Accuracy" or a key in another
    /// case means the key "accuracy"), else one of the keys or a new [Metric].
    /// </summary>
    private static string Advice(INamedTypeSymbol trainer, string name, ImmutableArray<string> known, AnalyzerSymbols symbols)
    {
        foreach (var method in AnalyzerSymbols.MethodsWith(trainer, symbols.MetricAttribute))
            if (method.Name == name && MetricNames(trainer, symbols) is var keys)
                foreach (var attribute in method.GetAttributes())
                    if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, symbols.MetricAttribute))
                    {
                        string key = WithoutEvalPrefix(attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string given
                            ? given : TrainerParser.SnakeCase(method.Name));
                        return $"'{name}' is the method of the metric reported as 'eval_{key}': use \"{key}\"";
                    }
        foreach (string key in known)
            if (string.Equals(key, name, System.StringComparison.OrdinalIgnoreCase) || key == TrainerParser.SnakeCase(name))
                return $"keys are written as reported: use \"{key}\"";
        return $"use one of those or add a [Metric(\"{name}\")] method";
    }

    /// <summary>The trainer's metric keys without <c>eval_</c>, as the generator names them.</summary>
    private static ImmutableArray<string> MetricNames(INamedTypeSymbol trainer, AnalyzerSymbols symbols)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        foreach (var method in AnalyzerSymbols.MethodsWith(trainer, symbols.MetricAttribute))
            foreach (var attribute in method.GetAttributes())
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, symbols.MetricAttribute))
                    names.Add(WithoutEvalPrefix(attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string given
                        ? given
                        : TrainerParser.SnakeCase(method.Name)));
        return names.ToImmutable();
    }

    /// <summary>
    /// <paramref name="key"/> is <paramref name="metric"/>, or <c>{name}_{metric}</c>: with named evaluation
    /// datasets (<c>Train(..., evalDatasets:)</c>) each key is <c>eval_{name}_{metric}</c>, as in HF.
    /// </summary>
    private static bool Reported(string key, string metric) =>
        key == metric || (key.Length > metric.Length + 1 && key.EndsWith("_" + metric, System.StringComparison.Ordinal));

    private static string WithoutEvalPrefix(string name) =>
        name.StartsWith("eval_", System.StringComparison.Ordinal) ? name.Substring(5) : name;
}
