using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Dsl.Generators;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL004: adds a <c>[TrainStep]</c> stub, one fix per batch type that is evident: the
/// <c>[EvalStep]</c>'s, else each type of the project that implements <c>IBatch&lt;TSelf, TExample&gt;</c>
/// (at most five). The stub compiles and throws <c>NotImplementedException</c> with a TODO saying
/// what to return, so the generator runs at once and the first training step says what is missing.
/// Without any batch type no fix is offered: a step needs one, and writing it is the user's call.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddTrainStepCodeFix)), Shared]
public sealed class AddTrainStepCodeFix : CodeFixProvider
{
    private const int MaxBatchTypes = 5;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.MissingTrainStep.Id);

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } declaration
                || model.GetDeclaredSymbol(declaration, context.CancellationToken) is not { } trainer)
                continue;
            foreach (var batch in BatchTypes(trainer, model.Compilation, context.CancellationToken))
            {
                string shown = batch.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
                context.RegisterCodeFix(CodeAction.Create($"Add a [TrainStep] taking {shown}",
                    ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(declaration, AddStep(declaration, trainer, batch, model.Compilation)))),
                    equivalenceKey: nameof(AddTrainStepCodeFix) + shown), diagnostic);
            }
        }
    }

    /// <summary>The [EvalStep]'s batch type, else the project's IBatch types by name.</summary>
    private static IEnumerable<ITypeSymbol> BatchTypes(INamedTypeSymbol trainer, Compilation compilation, CancellationToken ct)
    {
        var batchInterface = compilation.GetTypeByMetadataName(KnownNames.IBatch);
        var evalStep = compilation.GetTypeByMetadataName(KnownNames.EvalStepAttribute);
        if (batchInterface is null) return [];
        foreach (var member in trainer.GetMembers())
            if (member is IMethodSymbol { Parameters.Length: 1 } method
                && method.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, evalStep))
                && IsBatch(method.Parameters[0].Type, batchInterface))
                return [method.Parameters[0].Type];

        var found = new List<ITypeSymbol>();
        var pending = new Stack<INamespaceOrTypeSymbol>();
        pending.Push(compilation.Assembly.GlobalNamespace);
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            foreach (var member in pending.Pop().GetMembers())
            {
                if (member is INamespaceSymbol ns) pending.Push(ns);
                else if (member is INamedTypeSymbol type)
                {
                    if (IsBatch(type, batchInterface)) found.Add(type);
                    pending.Push(type);
                }
            }
        }
        return found.OrderBy(t => t.Name, System.StringComparer.Ordinal).Take(MaxBatchTypes).ToList();
    }

    private static bool IsBatch(ITypeSymbol type, INamedTypeSymbol batchInterface) =>
        !type.IsAbstract && type.AllInterfaces.Any(i =>
            SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, batchInterface)
            && SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], type));

    private static TypeDeclarationSyntax AddStep(TypeDeclarationSyntax declaration, INamedTypeSymbol trainer, ITypeSymbol batch, Compilation compilation)
    {
        string name = trainer.GetMembers("Step").IsEmpty ? "Step" : "TrainStep";
        string model = ModelName(trainer, compilation) ?? "the model";
        var method = (MethodDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration($$"""
            [global::Dsl.TrainStep]
            global::TorchSharp.torch.Tensor {{name}}({{batch.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)}} batch)
            {
                // TODO: return the loss of this batch from {{model}}; the loop calls backward() and steps the optimizer.
                throw new global::System.NotImplementedException("Return the loss of the batch.");
            }

            """)!;
        method = method.WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation);
        if (declaration.Members.Count > 0)
            method = method.WithLeadingTrivia(method.GetLeadingTrivia().Insert(0, SyntaxFactory.EndOfLine("\n")));

        if (declaration.OpenBraceToken.IsKind(SyntaxKind.None))
        {
            // `partial class T(...);` has no body: give it one.
            var semicolon = declaration.SemicolonToken;
            declaration = declaration
                .WithSemicolonToken(default)
                .WithOpenBraceToken(SyntaxFactory.Token(SyntaxKind.OpenBraceToken))
                .WithCloseBraceToken(SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithTrailingTrivia(semicolon.TrailingTrivia));
            return declaration.AddMembers(method).WithAdditionalAnnotations(Formatter.Annotation);
        }
        return declaration.AddMembers(method);
    }

    /// <summary>The trainer's only nn.Module member, for the TODO; null when there is not exactly one.</summary>
    private static string? ModelName(INamedTypeSymbol trainer, Compilation compilation)
    {
        var module = compilation.GetTypeByMetadataName(KnownNames.Module);
        var names = new List<string>();
        foreach (var member in trainer.GetMembers())
        {
            ITypeSymbol? type = member switch
            {
                IFieldSymbol { IsImplicitlyDeclared: false } f => f.Type,
                IPropertySymbol p => p.Type,
                _ => null,
            };
            if (type is not null && DerivesFrom(type, module)) names.Add(member.Name);
        }
        foreach (var constructor in trainer.InstanceConstructors)
            foreach (var parameter in constructor.Parameters)
                if (DerivesFrom(parameter.Type, module) && !names.Contains(parameter.Name)
                    && constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax))
                    names.Add(parameter.Name);
        return names.Count == 1 ? $"'{names[0]}'" : null;
    }

    private static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        for (; type is not null && baseType is not null; type = type.BaseType)
            if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, baseType)) return true;
        return false;
    }
}
