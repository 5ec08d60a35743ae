using System.Collections.Immutable;
using System.Composition;
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
/// DSL102: moves the stored tensor out of the step's dispose scope on purpose. <c>_last = loss;</c> becomes
/// <c>_last?.Dispose(); _last = loss.detach().DetachFromDisposeScope();</c> (the trainer now owns it, so the one it
/// replaces is freed, and it no longer holds the step's autograd graph); <c>_history.Add(loss)</c> stores
/// <c>loss.detach().DetachFromDisposeScope()</c>. A lambda capturing a tensor is left to the user.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveOutOfScopeCodeFix)), Shared]
public sealed class MoveOutOfScopeCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.TensorEscapesStep.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            SyntaxNode? newRoot = node switch
            {
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: not (LambdaExpressionSyntax or AnonymousMethodExpressionSyntax) } assignment
                    when Statements.StatementOf(assignment) is { Parent: BlockSyntax block } statement => Assignment(root, block, statement, assignment),
                InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments }
                    when arguments[0].Expression is not (LambdaExpressionSyntax or AnonymousMethodExpressionSyntax) =>
                    root.ReplaceNode(arguments[0].Expression, MovedOut(arguments[0].Expression)),
                _ => null,
            };
            if (newRoot is null) continue;
            context.RegisterCodeFix(CodeAction.Create("Move the tensor out of the step's dispose scope (detach, DetachFromDisposeScope)",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(newRoot)), equivalenceKey: nameof(MoveOutOfScopeCodeFix)), diagnostic);
        }
    }

    private static SyntaxNode Assignment(SyntaxNode root, BlockSyntax block, ExpressionStatementSyntax statement, AssignmentExpressionSyntax assignment)
    {
        var dispose = SyntaxFactory.ParseStatement($"{assignment.Left.WithoutTrivia()}?.Dispose();")
            .WithLeadingTrivia(statement.GetLeadingTrivia()).WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
            .WithAdditionalAnnotations(Formatter.Annotation);
        var moved = statement.ReplaceNode(assignment.Right, MovedOut(assignment.Right));
        int index = block.Statements.IndexOf(statement);
        var statements = block.Statements.RemoveAt(index).InsertRange(index, [dispose, moved]);
        return root.ReplaceNode(block, block.WithStatements(statements));
    }

    private static ExpressionSyntax MovedOut(ExpressionSyntax tensor)
    {
        var receiver = tensor is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ElementAccessExpressionSyntax
            ? tensor.WithoutTrivia()
            : SyntaxFactory.ParenthesizedExpression(tensor.WithoutTrivia());
        return SyntaxFactory.ParseExpression($"{receiver}.detach().DetachFromDisposeScope()").WithTriviaFrom(tensor);
    }
}
