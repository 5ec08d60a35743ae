using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL046: <c>Train</c> given a stream (the <c>IEnumerable</c> overload) by a trainer whose arguments
/// leave <c>MaxSteps</c> at -1, where both are visible in one method: <c>new MyTrainer(model, new
/// TrainingArguments { ... }).Train(stream)</c>, or through locals declared with them and not assigned
/// again. HF finds this only when training starts ("args.max_steps must be set to a positive value if
/// dataloader does not have a length"); so does <c>Train</c>, for what the analyzer cannot see.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StreamingMaxStepsAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.StreamWithoutMaxSteps);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainingArguments: { } arguments } symbols) return;
            start.RegisterOperationAction(c =>
            {
                var call = (IInvocationOperation)c.Operation;
                var method = call.TargetMethod;
                if (method.Name != "Train" || method.Parameters.Length == 0 || method.ContainingType is not { } trainer
                    || !symbols.IsTrainer(trainer) || !IsStream(method.Parameters[0].Type))
                    return;
                if (c.Operation.SemanticModel is not { } model || call.Instance is null) return;
                if (TrainerCreation(call.Instance, model, c.CancellationToken) is not { } creation) return;
                foreach (var argument in creation.Arguments)
                {
                    if (!KnownTypes.Is(argument.Parameter?.Type, arguments)) continue;
                    var value = StepScopeAnalyzer.Unwrap(argument.Value);
                    var values = value is ILocalReferenceOperation local
                        ? ArgumentValues.ResolveLocal(local.Local, model, arguments, c.CancellationToken)
                        : ArgumentValues.Resolve(value, arguments);
                    if (values is null || !values.TryGetInt("MaxSteps", out int maxSteps) || maxSteps > 0) continue;
                    var data = call.Arguments.Length > 0 ? call.Arguments[0].Syntax : call.Syntax;
                    c.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.StreamWithoutMaxSteps, c.Options, data.GetLocation(),
                        trainer.Name, method.Parameters[0].Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), maxSteps));
                }
            }, OperationKind.Invocation);
        });
    }

    /// <summary>The generated streaming overload takes <c>IEnumerable&lt;TExample&gt;</c> first (the list overload takes IReadOnlyList).</summary>
    private static bool IsStream(ITypeSymbol type) =>
        type is INamedTypeSymbol named && named.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T;

    /// <summary>The <c>new Trainer(...)</c> the call is made on: directly, or through a local declared with it and not assigned again.</summary>
    private static IObjectCreationOperation? TrainerCreation(IOperation instance, SemanticModel model, System.Threading.CancellationToken ct)
    {
        instance = StepScopeAnalyzer.Unwrap(instance);
        if (instance is ILocalReferenceOperation local) instance = ArgumentValues.InitializerOf(local.Local, model, ct) is { } init
            ? StepScopeAnalyzer.Unwrap(init)
            : instance;
        return instance as IObjectCreationOperation;
    }
}
