using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL014: marks one of the trainer's nn.Module members <c>[Model]</c>, one fix per member declared in the class
/// (a primary-constructor parameter, a field or a property), in source order.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddModelCodeFix)), Shared]
public sealed class AddModelCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.AmbiguousModel.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        var module = model.Compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module");
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } trainer) continue;
            foreach (var (node, name, type) in Members(trainer, model))
            {
                if (!IsModule(type, module)) continue;
                context.RegisterCodeFix(CodeAction.Create($"Train '{name}' (mark it [Model])",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(node, Mark(node)))),
                    equivalenceKey: nameof(AddModelCodeFix) + name), diagnostic);
            }
        }
    }

    private static System.Collections.Generic.IEnumerable<(SyntaxNode Node, string Name, ITypeSymbol? Type)> Members(TypeDeclarationSyntax trainer, SemanticModel model)
    {
        if (trainer.ParameterList is { } parameters)
            foreach (var parameter in parameters.Parameters)
                yield return (parameter, parameter.Identifier.ValueText, model.GetDeclaredSymbol(parameter)?.Type);
        foreach (var member in trainer.Members)
        {
            if (member is FieldDeclarationSyntax { Declaration.Variables.Count: 1 } field && !field.Modifiers.Any(SyntaxKind.StaticKeyword))
                yield return (field, field.Declaration.Variables[0].Identifier.ValueText, model.GetTypeInfo(field.Declaration.Type).Type);
            else if (member is PropertyDeclarationSyntax property && !property.Modifiers.Any(SyntaxKind.StaticKeyword))
                yield return (property, property.Identifier.ValueText, model.GetTypeInfo(property.Type).Type);
        }
    }

    private static bool IsModule(ITypeSymbol? type, INamedTypeSymbol? module)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, module)) return true;
        return false;
    }

    private static SyntaxNode Mark(SyntaxNode node)
    {
        var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("Model"))));
        return node switch
        {
            ParameterSyntax parameter => parameter.WithLeadingTrivia().AddAttributeLists(attribute.WithTrailingTrivia(SyntaxFactory.Space))
                .WithLeadingTrivia(parameter.GetLeadingTrivia()),
            MemberDeclarationSyntax member => member.WithLeadingTrivia().AddAttributeLists(attribute.WithTrailingTrivia(SyntaxFactory.Space))
                .WithLeadingTrivia(member.GetLeadingTrivia()),
            _ => node,
        };
    }
}
