using System.Collections.Generic;
using System.Globalization;
using Dsl.Generators.Parsing;
using Dsl.Settings;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// The <c>TrainingArguments</c> settings an expression fixes at compile time: a
/// <c>new TrainingArguments { ... }</c> knows every setting (unset ones have their defaults,
/// <see cref="SettingRules.Defaults"/>), an <c>x with { ... }</c> knows what it sets, and, over a <c>new</c> (written
/// in place or held by a local of the same method that is never assigned again), what that set too. A setting
/// assigned a non-constant value is unknown, and so is every rule that needs it; a setting this TrainingArguments
/// does not have is unknown too. Enum values are held by member name.
/// </summary>
internal sealed partial class ArgumentValues
{
    private readonly Dictionary<string, (object? Value, IOperation Assignment)> _set = new();
    private readonly Dictionary<string, List<(object? Key, object? Value, IOperation Element)>> _elements = new();
    private readonly Dictionary<string, IOperation> _unknown = new();
    private readonly Dictionary<string, SharedValue> _same = new();
    private readonly INamedTypeSymbol _type;
    private readonly bool _defaultsApply;

    private ArgumentValues(INamedTypeSymbol type, bool defaultsApply, ArgumentValues? operand)
    {
        _type = type;
        _defaultsApply = defaultsApply;
        Operand = operand;
    }

    /// <summary>For a <c>with</c>: the settings of its operand alone (null when they are not known at all); null for a <c>new</c>.</summary>
    public ArgumentValues? Operand { get; }

    /// <summary>The settings <paramref name="expression"/> fixes, or null when it is not a <c>new</c> or a <c>with</c>.</summary>
    public static ArgumentValues? Resolve(IOperation expression, ITypeSymbol argumentsType, System.Threading.CancellationToken ct = default)
    {
        expression = StepScopeAnalyzer.Unwrap(expression);
        if (argumentsType is not INamedTypeSymbol type) return null;
        switch (expression)
        {
            case IObjectCreationOperation creation when KnownTypes.Is(creation.Type, type):
                var created = new ArgumentValues(type, defaultsApply: true, operand: null);
                if (creation.Initializer is { } initializer) created.Apply(initializer);
                return created;
            case IWithOperation with when KnownTypes.Is(with.Type, type):
                var operand = ResolveOperand(with.Operand, type, ct);
                var copied = operand is null ? new ArgumentValues(type, defaultsApply: false, operand: null) : operand.CopyFor(operand);
                copied.Apply(with.Initializer);
                return copied;
            default:
                return null;
        }
    }

    /// <summary>A <c>with</c>'s operand: a <c>new</c> or <c>with</c> in place, or a local of the method initialized with one.</summary>
    private static ArgumentValues? ResolveOperand(IOperation operand, INamedTypeSymbol type, System.Threading.CancellationToken ct)
    {
        operand = StepScopeAnalyzer.Unwrap(operand);
        if (operand is ILocalReferenceOperation local && operand.SemanticModel is { } model)
            return InitializerOf(local.Local, model, ct) is { } initializer ? Resolve(initializer, type, ct) : null;
        return Resolve(operand, type, ct);
    }

    private ArgumentValues CopyFor(ArgumentValues operand)
    {
        var copy = new ArgumentValues(_type, _defaultsApply, operand);
        foreach (var pair in _set) copy._set[pair.Key] = pair.Value;
        foreach (var pair in _elements) copy._elements[pair.Key] = pair.Value;
        foreach (var pair in _unknown) copy._unknown[pair.Key] = pair.Value;
        foreach (var pair in _same) copy._same[pair.Key] = pair.Value;
        return copy;
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
        if (EnclosingBody(declarator) is not { } body || AssignedIn(body, local.Name)) return null;
        return model.GetOperation(value, ct);
    }

    /// <summary>The method, local function, lambda, accessor or top-level program around <paramref name="node"/>.</summary>
    private static SyntaxNode? EnclosingBody(SyntaxNode node) =>
        node.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
            or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax or CompilationUnitSyntax);

    /// <summary>True when <paramref name="body"/> assigns a variable named <paramref name="name"/> or passes it by reference.</summary>
    private static bool AssignedIn(SyntaxNode body, string name)
    {
        foreach (var node in body.DescendantNodes())
        {
            bool written = node switch
            {
                AssignmentExpressionSyntax { Left: IdentifierNameSyntax id } => id.Identifier.ValueText == name,
                ArgumentSyntax { RefKindKeyword.RawKind: not 0, Expression: IdentifierNameSyntax id } => id.Identifier.ValueText == name,
                _ => false,
            };
            if (written) return true;
        }
        return false;
    }

    private void Apply(IObjectOrCollectionInitializerOperation initializer)
    {
        foreach (var member in initializer.Initializers)
        {
            if (member is not ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment) continue;
            string name = property.Property.Name;
            _elements.Remove(name);
            _same.Remove(name);
            if (Elements(assignment.Value) is { } elements) _elements[name] = elements;
            if (ConstantOf(assignment.Value) is { HasValue: true } constant)
            {
                _set[name] = (MemberName(property.Property.Type, constant.Value), assignment);
                _unknown.Remove(name);
            }
            else
            {
                _unknown[name] = assignment;
                _set.Remove(name);
                if (SharedValue.Of(assignment.Value, initializer) is { } same) _same[name] = same;
            }
        }
    }

    /// <summary>An enum constant as its member's name (the settings rules never compare numbers); other constants as they are.</summary>
    private static object? MemberName(ITypeSymbol type, object? value)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType || value is null) return value;
        foreach (var member in enumType.GetMembers())
            if (member is IFieldSymbol { HasConstantValue: true } field && System.Convert.ToInt64(field.ConstantValue, CultureInfo.InvariantCulture)
                == System.Convert.ToInt64(value, CultureInfo.InvariantCulture))
                return field.Name;
        return System.Convert.ToString(value, CultureInfo.InvariantCulture);
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
        value = null;
        if (_type.GetMembers(name).Length == 0) return false;   // a setting of another version of the runtime
        if (_set.TryGetValue(name, out var set)) { value = set.Value; return true; }
        return _defaultsApply && !_unknown.ContainsKey(name) && SettingRules.Defaults.TryGetValue(name, out value);
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

    /// <summary>The assignment that last wrote <paramref name="name"/>, constant or not; null when none did.</summary>
    public IOperation? WrittenAt(string name) => AssignmentOf(name) ?? (_unknown.TryGetValue(name, out var unknown) ? unknown : null);
}
