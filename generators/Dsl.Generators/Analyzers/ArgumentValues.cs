using System.Collections.Generic;
using System.Globalization;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// The <c>TrainingArguments</c> settings an expression fixes at compile time: a
/// <c>new TrainingArguments { ... }</c> knows every setting (unset ones have their defaults), an
/// <c>x with { ... }</c> knows what it sets (and, over a <c>new</c>, what that set too). A setting
/// assigned a non-constant value is unknown, and so is every rule that needs it.
/// </summary>
internal sealed class ArgumentValues
{
    /// <summary>
    /// The defaults of src/Dsl/TrainingArguments.cs for the settings the rules read (HF's defaults).
    /// A test compares them with a fresh <c>TrainingArguments</c>.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, object?> Defaults = new Dictionary<string, object?>
    {
        ["GradientAccumulationSteps"] = 1,
        ["MaxSteps"] = -1,
        ["LearningRate"] = 5e-5,
        ["WarmupRatio"] = 0.0,
        ["LoggingStrategy"] = 1,   // IntervalStrategy.Steps
        ["LoggingSteps"] = 500.0,
        ["EvalStrategy"] = 0,      // IntervalStrategy.No
        ["EvalSteps"] = null,
        ["SaveStrategy"] = 1,      // SaveStrategy.Steps
        ["SaveSteps"] = 500.0,
        ["SaveTotalLimit"] = null,
        ["LoadBestModelAtEnd"] = false,
        ["MetricForBestModel"] = null,
        ["Bf16"] = false,
        ["Fp16"] = false,
        ["Bf16FullEval"] = false,
        ["Fp16FullEval"] = false,
        ["OutputDir"] = "trainer_output",
        ["PerDeviceTrainBatchSize"] = 8,
        ["PerDeviceEvalBatchSize"] = 8,
        ["WeightDecay"] = 0.0,
        ["AdamBeta1"] = 0.9,
        ["AdamBeta2"] = 0.999,
        ["AdamEpsilon"] = 1e-8,
        ["MaxGradNorm"] = 1.0,
        ["NumTrainEpochs"] = 3.0,
        ["MaxSteps"] = -1,
        ["WarmupSteps"] = 0,
        ["EvalDelay"] = 0.0,
        ["DataloaderPrefetchFactor"] = 2,
        ["Device"] = null,
        ["LrSchedulerType"] = 0,   // SchedulerType.Linear
        ["EarlyStoppingPatience"] = null,
        ["GradientCheckpointing"] = false,
    };

    private readonly Dictionary<string, (object? Value, IOperation Assignment)> _set = new();
    private readonly Dictionary<string, List<(object? Key, object? Value, IOperation Element)>> _elements = new();
    private readonly Dictionary<string, IOperation> _unknown = new();
    private readonly bool _defaultsApply;

    private ArgumentValues(bool defaultsApply) => _defaultsApply = defaultsApply;

    /// <summary>The settings <paramref name="expression"/> fixes, or null when it is not a <c>new</c> or a <c>with</c>.</summary>
    public static ArgumentValues? Resolve(IOperation expression, ITypeSymbol argumentsType)
    {
        expression = StepScopeAnalyzer.Unwrap(expression);
        switch (expression)
        {
            case IObjectCreationOperation creation when KnownTypes.Is(creation.Type, argumentsType as INamedTypeSymbol):
                var created = new ArgumentValues(defaultsApply: true);
                if (creation.Initializer is { } initializer) created.Apply(initializer);
                return created;
            case IWithOperation with when KnownTypes.Is(with.Type, argumentsType as INamedTypeSymbol):
                var copied = Resolve(with.Operand, argumentsType) ?? new ArgumentValues(defaultsApply: false);
                copied.Apply(with.Initializer);
                return copied;
            default:
                return null;
        }
    }

    /// <summary>
    /// The settings a local holds where it is declared with <c>var args = new TrainingArguments { ... }</c>
    /// (or a <c>with</c>) and never assigned again in its method; else null.
    /// </summary>
    public static ArgumentValues? ResolveLocal(ILocalSymbol local, SemanticModel model, ITypeSymbol argumentsType, System.Threading.CancellationToken ct) =>
        InitializerOf(local, model, ct) is { } operation ? Resolve(operation, argumentsType) : null;

    /// <summary>The initializer of a local declared with one and never assigned again in its method; else null.</summary>
    public static IOperation? InitializerOf(ILocalSymbol local, SemanticModel model, System.Threading.CancellationToken ct)
    {
        if (local.DeclaringSyntaxReferences.Length != 1) return null;
        if (local.DeclaringSyntaxReferences[0].GetSyntax(ct) is not VariableDeclaratorSyntax { Initializer.Value: { } value } declarator
            || declarator.SyntaxTree != model.SyntaxTree)
            return null;
        var body = declarator.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
            or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax or CompilationUnitSyntax);
        if (body is null) return null;
        foreach (var node in body.DescendantNodes())
        {
            bool written = node switch
            {
                AssignmentExpressionSyntax { Left: IdentifierNameSyntax id } => id.Identifier.ValueText == local.Name,
                ArgumentSyntax { RefKindKeyword.RawKind: not 0, Expression: IdentifierNameSyntax id } => id.Identifier.ValueText == local.Name,
                _ => false,
            };
            if (written) return null;
        }
        return model.GetOperation(value, ct);
    }

    private void Apply(IObjectOrCollectionInitializerOperation initializer)
    {
        foreach (var member in initializer.Initializers)
        {
            if (member is not ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment) continue;
            string name = property.Property.Name;
            _elements.Remove(name);
            if (Elements(assignment.Value) is { } elements) _elements[name] = elements;
            if (ConstantOf(assignment.Value) is { HasValue: true } constant)
            {
                _set[name] = (constant.Value, assignment);
                _unknown.Remove(name);
            }
            else
            {
                _unknown[name] = assignment;
                _set.Remove(name);
            }
        }
    }

    /// <summary>
    /// The constant elements of a list or dictionary written in place: <c>["console"]</c>, <c>new[] { "console" }</c>,
    /// <c>new Dictionary&lt;string, double&gt; { ["power"] = 2 }</c> or <c>{ { "power", 2 } }</c>. Non-constant
    /// elements are left out (their rules cannot be decided); null when the value is built some other way.
    /// </summary>
    private static List<(object? Key, object? Value, IOperation Element)>? Elements(IOperation value)
    {
        while (value is IConversionOperation or IParenthesizedOperation)
            value = value is IConversionOperation c ? c.Operand : ((IParenthesizedOperation)value).Operand;
        var found = new List<(object?, object?, IOperation)>();
        switch (value)
        {
            case ICollectionExpressionOperation collection:
                foreach (var element in collection.Elements)
                    if (ConstantOf(element) is { HasValue: true } constant) found.Add((null, constant.Value, element));
                return found;
            case IArrayCreationOperation { Initializer: { } array }:
                foreach (var element in array.ElementValues)
                    if (ConstantOf(element) is { HasValue: true } constant) found.Add((null, constant.Value, element));
                return found;
            case IObjectCreationOperation { Initializer: { } initializer }:
                foreach (var element in initializer.Initializers)
                {
                    switch (element)
                    {
                        case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Arguments: { Length: 1 } index } } indexed
                            when ConstantOf(index[0].Value) is { HasValue: true } k && ConstantOf(indexed.Value) is { HasValue: true } v:
                            found.Add((k.Value, v.Value, element));
                            break;
                        case IInvocationOperation { TargetMethod.Name: "Add", Arguments: { Length: 2 } added }
                            when ConstantOf(added[0].Value) is { HasValue: true } k && ConstantOf(added[1].Value) is { HasValue: true } v:
                            found.Add((k.Value, v.Value, element));
                            break;
                    }
                }
                return found;
            default:
                return null;
        }
    }

    /// <summary>The constant elements of a list or dictionary setting written in place (see <see cref="Elements"/>), or null.</summary>
    public IReadOnlyList<(object? Key, object? Value, IOperation Element)>? ElementsOf(string name) =>
        _elements.TryGetValue(name, out var elements) ? elements : null;

    private static Optional<object?> ConstantOf(IOperation value)
    {
        while (true)
        {
            if (value.ConstantValue.HasValue) return value.ConstantValue;
            if (value is IConversionOperation conversion) value = conversion.Operand;
            else if (value is IParenthesizedOperation parenthesized) value = parenthesized.Operand;
            else return default;
        }
    }

    /// <summary>True when the setting's value is known: set to a constant, or left at its default by a <c>new</c>.</summary>
    public bool TryGet(string name, out object? value)
    {
        if (_set.TryGetValue(name, out var set)) { value = set.Value; return true; }
        if (_defaultsApply && !_unknown.ContainsKey(name) && Defaults.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public bool TryGetDouble(string name, out double value)
    {
        value = 0;
        if (!TryGet(name, out object? boxed) || boxed is null || boxed is bool || boxed is string) return false;
        value = System.Convert.ToDouble(boxed, CultureInfo.InvariantCulture);
        return true;
    }

    public bool TryGetInt(string name, out int value)
    {
        value = 0;
        if (!TryGet(name, out object? boxed) || boxed is null || boxed is bool || boxed is string) return false;
        value = System.Convert.ToInt32(boxed, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>The assignment that set <paramref name="name"/> to a constant, or null when it was not set (or not to a constant).</summary>
    public IOperation? AssignmentOf(string name) => _set.TryGetValue(name, out var set) ? set.Assignment : null;

    /// <summary>Formats a value as TrainingArguments.Validate does.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        string s => "'" + s + "'",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };
}
