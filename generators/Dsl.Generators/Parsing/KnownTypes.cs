using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Parsing;

/// <summary>The runtime and TorchSharp types, looked up once per parse by metadata name.</summary>
internal sealed class KnownTypes
{
    public KnownTypes(Compilation compilation)
    {
        Compilation = compilation;
        Module = compilation.GetTypeByMetadataName(KnownNames.Module);
        Tensor = compilation.GetTypeByMetadataName(KnownNames.Tensor);
        Optimizer = compilation.GetTypeByMetadataName(KnownNames.Optimizer);
        LRScheduler = compilation.GetTypeByMetadataName(KnownNames.LRScheduler);
        TrainingArguments = compilation.GetTypeByMetadataName(KnownNames.TrainingArguments);
        IBatch = compilation.GetTypeByMetadataName(KnownNames.IBatch);
        StepOutput = compilation.GetTypeByMetadataName(KnownNames.StepOutput);
        TrainerControl = compilation.GetTypeByMetadataName(KnownNames.TrainerControl);
        ModelAttribute = compilation.GetTypeByMetadataName(KnownNames.ModelAttribute);
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
    }

    /// <summary>The compilation the types come from (for semantic models of a trainer's other partial declarations).</summary>
    public Compilation Compilation { get; }

    public INamedTypeSymbol? Module { get; }
    public INamedTypeSymbol? Tensor { get; }
    public INamedTypeSymbol? Optimizer { get; }
    public INamedTypeSymbol? LRScheduler { get; }
    public INamedTypeSymbol? TrainingArguments { get; }
    public INamedTypeSymbol? IBatch { get; }
    public INamedTypeSymbol? StepOutput { get; }
    public INamedTypeSymbol? TrainerControl { get; }
    public INamedTypeSymbol? ModelAttribute { get; }
    public INamedTypeSymbol? Task { get; }
    public INamedTypeSymbol? ValueTask { get; }

    /// <summary>True when <paramref name="type"/> is <paramref name="baseType"/> or derives from it.</summary>
    public static bool IsOrDerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (baseType is null) return false;
        if (type is ITypeParameterSymbol parameter)   // `where TModel : nn.Module` makes TModel a module
        {
            foreach (var constraint in parameter.ConstraintTypes)
                if (IsOrDerivesFrom(constraint, baseType)) return true;
            return false;
        }
        for (var t = type; t is not null; t = t.BaseType)
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType)) return true;
        return false;
    }

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known) =>
        known is not null && type is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);

    /// <summary>The TExample of <c>IBatch&lt;TBatch, TExample&gt;</c> when <paramref name="batch"/> implements it for itself.</summary>
    public ITypeSymbol? ExampleTypeOf(ITypeSymbol batch)
    {
        if (IBatch is null) return null;
        foreach (var face in batch.AllInterfaces)
            if (SymbolEqualityComparer.Default.Equals(face.OriginalDefinition, IBatch)
                && SymbolEqualityComparer.Default.Equals(face.TypeArguments[0], batch))
                return face.TypeArguments[1];
        return null;
    }

    /// <summary>True for Task, ValueTask and their generic forms.</summary>
    public bool IsTaskLike(ITypeSymbol type) => IsOrDerivesFrom(type, Task) || Is(type, ValueTask)
        || (type is INamedTypeSymbol { IsGenericType: true } named
            && named.ConstructedFrom.ToDisplayString() == "System.Threading.Tasks.ValueTask<TResult>");
}
