using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>Statement-level edits the fixes share.</summary>
internal static class Statements
{
    /// <summary>The expression statement whose whole expression is <paramref name="expression"/> (through <c>?.</c> and parentheses), or null.</summary>
    public static ExpressionStatementSyntax? StatementOf(ExpressionSyntax expression)
    {
        SyntaxNode node = expression;
        while (node.Parent is ParenthesizedExpressionSyntax
               || (node.Parent is ConditionalAccessExpressionSyntax access && access.WhenNotNull == node))
            node = node.Parent;
        return node.Parent as ExpressionStatementSyntax;
    }

    /// <summary>Removes statements with their lines; comment lines before one stay, above what follows it.</summary>
    public static SyntaxNode Remove(SyntaxNode root, params StatementSyntax[] statements)
    {
        root = root.TrackNodes(statements);
        var moved = new List<(SyntaxAnnotation Mark, SyntaxTriviaList Trivia)>();
        foreach (var statement in statements)
        {
            var leading = statement.GetLeadingTrivia();
            if (leading.All(t => t.IsKind(SyntaxKind.WhitespaceTrivia) || t.IsKind(SyntaxKind.EndOfLineTrivia))) continue;
            int lastLine = -1;
            for (int i = 0; i < leading.Count; i++)
                if (leading[i].IsKind(SyntaxKind.EndOfLineTrivia)) lastLine = i;
            var mark = new SyntaxAnnotation();
            moved.Add((mark, SyntaxFactory.TriviaList(leading.Take(lastLine + 1))));
            var next = root.GetCurrentNode(statement)!.GetLastToken().GetNextToken();
            root = root.ReplaceToken(next, next.WithAdditionalAnnotations(mark));
        }
        root = root.RemoveNodes(statements.Select(s => root.GetCurrentNode(s)!), SyntaxRemoveOptions.KeepNoTrivia)!;
        foreach (var (mark, trivia) in moved)
        {
            var token = root.GetAnnotatedTokens(mark).Single();
            root = root.ReplaceToken(token, token.WithLeadingTrivia(trivia.AddRange(token.LeadingTrivia)));
        }
        return root;
    }
}
