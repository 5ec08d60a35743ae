using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// Settings a model is known not to support, where they are constants:
/// <list type="bullet">
/// <item>DSL052: <c>AttnImplementation</c> of Dsl.Text's <c>BertConfig</c> or <c>PretrainedOptions</c> set to
/// a string other than <c>"sdpa"</c> and <c>"eager"</c> (HF's <c>"flash_attention_2"</c>, a typo), reported on
/// the value; the model's constructor refuses it at run time.</item>
/// <item>DSL053: <c>GradientCheckpointing = true</c> in the <c>TrainingArguments</c> of a trainer created in
/// the same method on a model whose type is known (created there, or sealed) and does not implement
/// <c>IGradientCheckpointing</c>, reported on the setting; <c>Train</c> refuses it when it starts.</item>
/// </list>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ModelSupportAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The implementations BertConfig accepts (Dsl.Text's AttentionImplementations; a test compares the two).</summary>
    internal static readonly string[] AttentionImplementations = ["sdpa", "eager"];

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UnsupportedAttention, DiagnosticDescriptors.CheckpointingUnsupported);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var configTypes = new[] { KnownNames.BertConfig, KnownNames.PretrainedOptions }
                .Select(start.Compilation.GetTypeByMetadataName).Where(t => t is not null).ToImmutableArray();
            if (configTypes.Length > 0)
                start.RegisterOperationAction(c => CheckAttention(c, configTypes!), OperationKind.SimpleAssignment);
            if (AnalyzerSymbols.Create(start.Compilation) is { Known.TrainingArguments: { } arguments } symbols
                && start.Compilation.GetTypeByMetadataName(KnownNames.GradientCheckpointingInterface) is { } checkpointing)
                start.RegisterOperationAction(c => CheckCheckpointing(c, symbols, arguments, checkpointing), OperationKind.ObjectCreation);
        });
    }

    private static void CheckAttention(OperationAnalysisContext c, ImmutableArray<INamedTypeSymbol?> configTypes)
    {
        var assignment = (ISimpleAssignmentOperation)c.Operation;
        if (assignment.Target is not IPropertyReferenceOperation { Property: { Name: "AttnImplementation" } property }) return;
        if (!configTypes.Any(t => SymbolEqualityComparer.Default.Equals(property.ContainingType, t))) return;
        if (Constant(assignment.Value) is not string value || System.Array.IndexOf(AttentionImplementations, value) >= 0) return;
        string why = value is "flash_attention_2" or "flash_attention_3" or "flex_attention"
            ? " (it needs CUDA kernels TorchSharp does not ship)"
            : ConstantArgumentsAnalyzer.Suggestion(value, AttentionImplementations);
        c.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.UnsupportedAttention, c.Options, assignment.Value.Syntax.GetLocation(),
            property.ContainingType.Name, value, why));
    }

    private static void CheckCheckpointing(OperationAnalysisContext c, AnalyzerSymbols symbols, INamedTypeSymbol arguments, INamedTypeSymbol checkpointing)
    {
        var creation = (IObjectCreationOperation)c.Operation;
        if (creation.Type is not INamedTypeSymbol trainer || !symbols.IsTrainer(trainer) || c.Operation.SemanticModel is not { } model) return;
        ITypeSymbol? modelType = null;
        ArgumentValues? values = null;
        foreach (var argument in creation.Arguments)
        {
            var value = StepScopeAnalyzer.Unwrap(argument.Value);
            if (KnownTypes.Is(argument.Parameter?.Type, arguments))
                values = value is ILocalReferenceOperation local
                    ? ArgumentValues.ResolveLocal(local.Local, model, arguments, c.CancellationToken)
                    : ArgumentValues.Resolve(value, arguments);
            else if (KnownTypes.IsOrDerivesFrom(argument.Parameter?.Type, symbols.Known.Module))
                modelType = KnownModelType(value, model, c.CancellationToken);
        }
        if (values is null || modelType is null || !values.TryGet("GradientCheckpointing", out object? on) || on is not true) return;
        if (modelType.AllInterfaces.Contains(checkpointing, SymbolEqualityComparer.Default)) return;
        var at = values.AssignmentOf("GradientCheckpointing") is { } assignment ? assignment.Syntax : creation.Syntax;
        c.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.CheckpointingUnsupported, c.Options, at.GetLocation(),
            trainer.Name, modelType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
    }

    // The model's exact type where it is known: created right there (or in a local's initializer), or of a sealed type.
    private static ITypeSymbol? KnownModelType(IOperation value, SemanticModel model, System.Threading.CancellationToken ct)
    {
        if (value is ILocalReferenceOperation local && ArgumentValues.InitializerOf(local.Local, model, ct) is { } initializer)
            value = StepScopeAnalyzer.Unwrap(initializer);
        if (value is IObjectCreationOperation created) return created.Type;
        return value.Type is { IsSealed: true } sealedType ? sealedType : null;
    }

    private static object? Constant(IOperation value)
    {
        while (!value.ConstantValue.HasValue && value is IConversionOperation conversion) value = conversion.Operand;
        return value.ConstantValue.HasValue ? value.ConstantValue.Value : null;
    }
}
