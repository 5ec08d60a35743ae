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
using Microsoft.CodeAnalysis.Formatting;

namespace Dsl.CodeFixes;

/// <summary>
/// The autograd rules' one-edit fixes. DSL042: the <c>using var _ = torch.no_grad();</c> around the returned loss is
/// removed (a <c>using (torch.no_grad()) { ... }</c> statement is replaced by its body). DSL043: the loss is returned
/// itself, not <c>loss.detach()</c>. DSL044: a returned local loses its <c>using</c> (the loop's scope frees it), and a
/// tensor returned from the step's own dispose scope is moved out with <c>scope.MoveToOuter(...)</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AutogradCodeFix)), Shared]
public sealed class AutogradCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.StepWithoutGradients.Id, DiagnosticDescriptors.StepReturnsDetached.Id, DiagnosticDescriptors.StepReturnsDisposed.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            (string Title, SyntaxNode Root)? fix = diagnostic.Id switch
            {
                "DSL042" => WithGradients(root, node),
                "DSL043" => Undetached(root, node),
                "DSL044" => NotDisposed(root, node, model),
                _ => null,
            };
            if (fix is not { } found) continue;
            context.RegisterCodeFix(CodeAction.Create(found.Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(found.Root)),
                equivalenceKey: nameof(AutogradCodeFix) + diagnostic.Id), diagnostic);
        }
    }

    private static (string, SyntaxNode)? WithGradients(SyntaxNode root, SyntaxNode node)
    {
        if (node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call) return null;
        if (call.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is { UsingKeyword.RawKind: not 0, Parent: BlockSyntax } declaration)
            return ($"Remove '{call}' (gradients stay on)", Statements.Remove(root, declaration));
        if (call.Parent is UsingStatementSyntax { Parent: BlockSyntax block } usingStatement)
        {
            var inner = usingStatement.Statement is BlockSyntax body ? body.Statements : SyntaxFactory.SingletonList(usingStatement.Statement);
            int index = block.Statements.IndexOf(usingStatement);
            var statements = block.Statements.RemoveAt(index).InsertRange(index, inner.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)));
            return ($"Remove '{call}' (gradients stay on)", root.ReplaceNode(block, block.WithStatements(statements)));
        }
        return null;
    }

    private static (string, SyntaxNode)? Undetached(SyntaxNode root, SyntaxNode node) =>
        node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "detach" or "detach_" } access } call
            ? ($"Return '{access.Expression}' (remove '.{access.Name}()')", root.ReplaceNode(call, access.Expression.WithTriviaFrom(call)))
            : null;

    private static (string, SyntaxNode)? NotDisposed(SyntaxNode root, SyntaxNode node, SemanticModel model)
    {
        if (node is not ExpressionSyntax returned) return null;
        // A `using var` local: drop `using`.
        if (returned is IdentifierNameSyntax name && model.GetSymbolInfo(name).Symbol is ILocalSymbol local
            && local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is VariableDeclaratorSyntax declarator
            && declarator.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is { UsingKeyword.RawKind: not 0 } declaration)
            return ($"Drop 'using' from '{name}' (the loop's dispose scope frees it)",
                root.ReplaceNode(declaration, declaration.WithUsingKeyword(default).WithLeadingTrivia(declaration.GetLeadingTrivia())));
        // Returned from inside the step's own scope: move it out to the loop's.
        var scope = returned.Ancestors().OfType<BlockSyntax>()
            .SelectMany(b => b.Statements.OfType<LocalDeclarationStatementSyntax>())
            .FirstOrDefault(d => d.UsingKeyword.RawKind != 0 && d.Declaration.Variables.Count == 1
                && d.Declaration.Variables[0].Initializer?.Value.ToString().EndsWith("NewDisposeScope()", System.StringComparison.Ordinal) == true);
        if (scope is null || model.GetTypeInfo(returned).Type?.Name != "Tensor") return null;
        string scopeName = scope.Declaration.Variables[0].Identifier.ValueText;
        var moved = SyntaxFactory.ParseExpression($"{scopeName}.MoveToOuter({returned.WithoutTrivia()})").WithTriviaFrom(returned);
        return ($"Return '{scopeName}.MoveToOuter({returned})'", root.ReplaceNode(returned, moved));
    }
}
