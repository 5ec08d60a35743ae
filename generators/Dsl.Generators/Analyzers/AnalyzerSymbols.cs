using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// The runtime and TorchSharp symbols the analyzers compare against, resolved once per compilation
/// (in a compilation-start action) by the metadata names in <see cref="KnownNames"/>.
/// </summary>
internal sealed class AnalyzerSymbols
{
    private AnalyzerSymbols(Compilation compilation, INamedTypeSymbol trainerAttribute)
    {
        Known = new KnownTypes(compilation);
        TrainerAttribute = trainerAttribute;
        TrainStepAttribute = compilation.GetTypeByMetadataName(KnownNames.TrainStepAttribute);
        EvalStepAttribute = compilation.GetTypeByMetadataName(KnownNames.EvalStepAttribute);
        MetricAttribute = compilation.GetTypeByMetadataName(KnownNames.MetricAttribute);
        OptimizerAttribute = compilation.GetTypeByMetadataName(KnownNames.OptimizerAttribute);
        SchedulerAttribute = compilation.GetTypeByMetadataName(KnownNames.SchedulerAttribute);
        var hooks = ImmutableDictionary.CreateBuilder<INamedTypeSymbol, string>(SymbolEqualityComparer.Default);
        foreach (var (name, _, _, shortName) in TrainerParser.HookAttributes)
            if (compilation.GetTypeByMetadataName(name) is { } hook) hooks[hook] = shortName;
        HookAttributes = hooks.ToImmutable();
        DataLoader = compilation.GetTypeByMetadataName(KnownNames.DataLoader);
        Autograd = compilation.GetTypeByMetadataName(KnownNames.Autograd);
        TensorExtensionMethods = compilation.GetTypeByMetadataName(KnownNames.TensorExtensionMethods);
        Console = compilation.GetTypeByMetadataName(KnownNames.Console);
        var deviceTypes = new System.Collections.Generic.HashSet<string>();
        if (compilation.GetTypeByMetadataName(KnownNames.DeviceType) is { TypeKind: TypeKind.Enum } deviceType)
            foreach (var member in deviceType.GetMembers())
                if (member is IFieldSymbol { HasConstantValue: true } field) deviceTypes.Add(field.Name.ToUpperInvariant());
        DeviceTypes = deviceTypes;
    }

    /// <summary>
    /// The symbols, or null when the compilation does not reference the DSL (then no analyzer runs).
    /// Resolved once per compilation and shared by all the analyzers.
    /// </summary>
    public static AnalyzerSymbols? Create(Compilation compilation) =>
        PerCompilation.GetValue(compilation, static c => new Resolved(
            c.GetTypeByMetadataName(KnownNames.TrainerAttribute) is { } trainer ? new AnalyzerSymbols(c, trainer) : null)).Symbols;

    private static readonly ConditionalWeakTable<Compilation, Resolved> PerCompilation = new();

    /// <summary>A box, because the table cannot hold null (a compilation without the DSL).</summary>
    private sealed class Resolved(AnalyzerSymbols? symbols)
    {
        public AnalyzerSymbols? Symbols { get; } = symbols;
    }

    public KnownTypes Known { get; }
    public INamedTypeSymbol TrainerAttribute { get; }
    public INamedTypeSymbol? TrainStepAttribute { get; }
    public INamedTypeSymbol? EvalStepAttribute { get; }
    public INamedTypeSymbol? MetricAttribute { get; }
    public INamedTypeSymbol? OptimizerAttribute { get; }
    public INamedTypeSymbol? SchedulerAttribute { get; }
    /// <summary>Hook attribute → its name without "Attribute" (<c>OnLog</c>).</summary>
    public ImmutableDictionary<INamedTypeSymbol, string> HookAttributes { get; }
    public INamedTypeSymbol? DataLoader { get; }
    public INamedTypeSymbol? Autograd { get; }
    public INamedTypeSymbol? TensorExtensionMethods { get; }
    public INamedTypeSymbol? Console { get; }
    /// <summary>The names of TorchSharp's DeviceType members, upper case (what a Device string may start with).</summary>
    public System.Collections.Generic.IReadOnlyCollection<string> DeviceTypes { get; }

    public bool IsTrainer(INamedTypeSymbol type) => HasAttribute(type, TrainerAttribute);

    /// <summary>Whether <paramref name="attribute"/> marks a trainer's method (a step, optimizer, scheduler, metric or hook), and its short name.</summary>
    public bool IsMemberAttribute(INamedTypeSymbol attribute, out string shortName)
    {
        var comparer = SymbolEqualityComparer.Default;
        shortName = attribute.Name.EndsWith("Attribute", System.StringComparison.Ordinal) ? attribute.Name.Substring(0, attribute.Name.Length - 9) : attribute.Name;
        return comparer.Equals(attribute, TrainStepAttribute) || comparer.Equals(attribute, EvalStepAttribute)
            || comparer.Equals(attribute, MetricAttribute) || comparer.Equals(attribute, OptimizerAttribute)
            || comparer.Equals(attribute, SchedulerAttribute) || HookAttributes.ContainsKey(attribute);
    }

    public bool IsTensor(ITypeSymbol? type) => KnownTypes.IsOrDerivesFrom(type, Known.Tensor);

    public static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute)
    {
        if (attribute is null) return false;
        foreach (var data in symbol.GetAttributes())
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute)) return true;
        return false;
    }

    /// <summary>The ordinary methods of <paramref name="type"/> marked with <paramref name="attribute"/>.</summary>
    public static ImmutableArray<IMethodSymbol> MethodsWith(INamedTypeSymbol type, INamedTypeSymbol? attribute)
    {
        if (attribute is null) return ImmutableArray<IMethodSymbol>.Empty;
        var found = ImmutableArray.CreateBuilder<IMethodSymbol>();
        foreach (var member in type.GetMembers())
            if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } method && HasAttribute(method, attribute))
                found.Add(method);
        return found.ToImmutable();
    }
}
