using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// The submodules a model type registers, by full name, as TorchSharp's <c>RegisterComponents()</c> names them (each
/// module-typed field by its name, or its <c>[ComponentName]</c>; a <c>ModuleList</c>'s items by index, written <c>*</c>).
/// Built from the fields of types in the compilation and from <c>[ModuleTree]</c> on types in referenced assemblies
/// (whose private fields an analyzer cannot see). Null when the tree cannot be known for sure: a field typed as an
/// abstract module, a container whose content is built at run time, a type from elsewhere without the attribute, a
/// <c>register_module</c> call. Then nothing is reported: a rule built on it must never blame valid code.
/// </summary>
internal sealed class ModuleTree
{
    // TorchSharp modules that hold other modules; any other type of TorchSharp.Modules is a leaf.
    private static readonly string[] Containers =
    [
        "Sequential", "ModuleDict", "MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
        "TransformerEncoderLayer", "TransformerDecoderLayer",
    ];

    private ModuleTree(List<string> linear, List<string> other)
    {
        Linear = linear;
        Other = other;
    }

    /// <summary>The Linear layers' names.</summary>
    public IReadOnlyList<string> Linear { get; }

    /// <summary>Every other submodule's name.</summary>
    public IReadOnlyList<string> Other { get; }

    /// <summary>Every submodule's name.</summary>
    public IEnumerable<string> All => Linear.Concat(Other);

    /// <summary>The tree of <paramref name="type"/>, or null when it cannot be known.</summary>
    public static ModuleTree? Of(ITypeSymbol? type, LoraSymbols symbols, System.Threading.CancellationToken ct)
    {
        if (type is not INamedTypeSymbol named) return null;
        var linear = new List<string>();
        var other = new List<string>();
        return Walk(named, "", symbols, linear, other, depth: 0, ct) ? new ModuleTree(linear, other) : null;
    }

    private static bool Walk(INamedTypeSymbol type, string prefix, LoraSymbols symbols, List<string> linear, List<string> other, int depth,
        System.Threading.CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (depth > 16) return false;
        if (Parsing.KnownTypes.Is(type, symbols.Linear))
        {
            if (prefix.Length == 0) return false;   // a bare Linear is not a model
            linear.Add(prefix);
            return true;
        }
        if (prefix.Length > 0) other.Add(prefix);
        if (Parsing.KnownTypes.Is(type, symbols.ModuleList))
            return type.TypeArguments.Length == 1 && type.TypeArguments[0] is INamedTypeSymbol item
                && Walk(item, Join(prefix, "*"), symbols, linear, other, depth + 1, ct);
        if (Attribute(type, symbols.ModuleTreeAttribute) is { } tree)
        {
            foreach (string name in Strings(tree, 0)) linear.Add(Join(prefix, name));
            foreach (string name in Strings(tree, 1)) other.Add(Join(prefix, name));
            return true;
        }
        if (type.ContainingNamespace?.ToDisplayString() == "TorchSharp.Modules")
            return !type.IsGenericType && System.Array.IndexOf(Containers, type.Name) < 0;
        if (type.DeclaringSyntaxReferences.IsEmpty) return false;   // from elsewhere, private fields unseen

        for (var current = type; current is not null && !IsTorchSharp(current); current = current.BaseType)
        {
            if (current.DeclaringSyntaxReferences.IsEmpty || RegistersByHand(current, ct)) return false;
            foreach (var member in current.GetMembers())
            {
                if (member is not IFieldSymbol { IsStatic: false } field) continue;
                var fieldType = field.Type;
                if (Parsing.KnownTypes.IsOrDerivesFrom(fieldType, symbols.Module))
                {
                    // An auto-property's backing field registers as "<Name>k__BackingField"; a module typed only as
                    // Module<T, R> may hold anything.
                    if (field.AssociatedSymbol is not null || fieldType is not INamedTypeSymbol fieldNamed || fieldNamed.IsAbstract) return false;
                    if (!Walk(fieldNamed, Join(prefix, ComponentName(field, symbols)), symbols, linear, other, depth + 1, ct)) return false;
                }
                else if (fieldType.SpecialType == SpecialType.System_Object || fieldType.TypeKind == TypeKind.Interface)
                {
                    return false;   // might hold a module, registered under the field's name
                }
            }
        }
        return true;
    }

    private static bool IsTorchSharp(INamedTypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() is { } ns && (ns == "TorchSharp" || ns.StartsWith("TorchSharp.", System.StringComparison.Ordinal));

    // register_module / add_module calls add modules the fields do not show.
    private static bool RegistersByHand(INamedTypeSymbol type, System.Threading.CancellationToken ct)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
            foreach (var node in reference.GetSyntax(ct).DescendantNodes())
                if (node is InvocationExpressionSyntax { Expression: var callee }
                    && (callee is IdentifierNameSyntax { Identifier.ValueText: "register_module" or "add_module" }
                        || callee is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "register_module" or "add_module" }))
                    return true;
        return false;
    }

    private static string ComponentName(IFieldSymbol field, LoraSymbols symbols)
    {
        if (Attribute(field, symbols.ComponentNameAttribute) is { } data)
            foreach (var named in data.NamedArguments)
                if (named.Key == "Name" && named.Value.Value is string name) return name;
        return field.Name;
    }

    private static AttributeData? Attribute(ISymbol symbol, INamedTypeSymbol? attribute)
    {
        if (attribute is null) return null;
        foreach (var data in symbol.GetAttributes())
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute)) return data;
        return null;
    }

    private static IEnumerable<string> Strings(AttributeData data, int argument) =>
        data.ConstructorArguments.Length > argument && data.ConstructorArguments[argument].Kind == TypedConstantKind.Array
            ? data.ConstructorArguments[argument].Values.Select(v => v.Value as string).Where(s => s is not null).Select(s => s!)
            : Enumerable.Empty<string>();

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}

/// <summary>The symbols the LoRA rules look for, resolved once per compilation.</summary>
internal sealed class LoraSymbols
{
    private LoraSymbols(Compilation compilation, INamedTypeSymbol config)
    {
        Config = config;
        Model = compilation.GetTypeByMetadataName(KnownNames.LoraModel);
        ModuleTreeAttribute = compilation.GetTypeByMetadataName(KnownNames.ModuleTreeAttribute);
        Module = compilation.GetTypeByMetadataName(KnownNames.Module);
        Linear = compilation.GetTypeByMetadataName(KnownNames.Linear);
        ModuleList = compilation.GetTypeByMetadataName(KnownNames.ModuleList);
        ComponentNameAttribute = compilation.GetTypeByMetadataName(KnownNames.ComponentNameAttribute);
    }

    /// <summary>The symbols, or null when the compilation has no LoraConfig (a runtime without LoRA).</summary>
    public static LoraSymbols? Create(Compilation compilation) =>
        compilation.GetTypeByMetadataName(KnownNames.LoraConfig) is { } config ? new LoraSymbols(compilation, config) : null;

    public INamedTypeSymbol Config { get; }
    public INamedTypeSymbol? Model { get; }
    public INamedTypeSymbol? ModuleTreeAttribute { get; }
    public INamedTypeSymbol? Module { get; }
    public INamedTypeSymbol? Linear { get; }
    public INamedTypeSymbol? ModuleList { get; }
    public INamedTypeSymbol? ComponentNameAttribute { get; }
}
