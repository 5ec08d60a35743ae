using System.Collections.Generic;
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
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL030 (and DSL050 on an [OnTrainEnd] hook): makes a hook return <c>void</c>. The returned values go, their side effects stay:
/// <c>=&gt; e</c> stays when <c>e</c> is a statement (a call, an assignment, ...) and becomes
/// <c>{ }</c> otherwise; in a block, <c>return e;</c> becomes <c>e; return;</c> (or <c>return;</c>
/// when <c>e</c> is only a value), and the final <c>return</c> of the body goes. Returns inside
/// lambdas and local functions are theirs and stay.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HookReturnTypeCodeFix)), Shared]
public sealed class HookReturnTypeCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.HookReturnType.Id, DiagnosticDescriptors.HookControlDropped.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method) continue;
            // DSL050 is fixed this way only for [OnTrainEnd], where it is reported on the method's name: nothing acts on
            // anything it returns. A dropped flag in another hook (reported on the flag) is the user's choice to move.
            if (diagnostic.Id == DiagnosticDescriptors.HookControlDropped.Id && diagnostic.Location.SourceSpan != method.Identifier.Span) continue;
            context.RegisterCodeFix(CodeAction.Create($"Make '{method.Identifier.ValueText}' return void",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(method, ReturnVoid(method)))),
                equivalenceKey: nameof(HookReturnTypeCodeFix)), diagnostic);
        }
    }

    internal static MethodDeclarationSyntax ReturnVoid(MethodDeclarationSyntax method)
    {
        // Tokens with explicit trivia: SyntaxFactory's default elastic trivia would make the IDE reformat around them.
        var voidType = PredefinedType(Token(method.ReturnType.GetLeadingTrivia(), SyntaxKind.VoidKeyword, method.ReturnType.GetTrailingTrivia()));
        if (method.ExpressionBody is { } arrow)
        {
            if (IsStatement(arrow.Expression)) return method.WithReturnType(voidType);
            var empty = Block(Token(TriviaList(), SyntaxKind.OpenBraceToken, TriviaList(Space)), List<StatementSyntax>(),
                Token(TriviaList(), SyntaxKind.CloseBraceToken, method.SemicolonToken.TrailingTrivia));
            return method.WithReturnType(voidType).WithExpressionBody(null).WithSemicolonToken(default).WithBody(empty);
        }
        if (method.Body is not { } body) return method.WithReturnType(voidType);
        return method.WithReturnType(voidType).WithBody((BlockSyntax)new ReturnRewriter(body).Visit(body));
    }

    /// <summary>What C# accepts as an expression statement.</summary>
    private static bool IsStatement(ExpressionSyntax expression) => expression switch
    {
        InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or AssignmentExpressionSyntax or AwaitExpressionSyntax => true,
        PrefixUnaryExpressionSyntax unary => unary.IsKind(SyntaxKind.PreIncrementExpression) || unary.IsKind(SyntaxKind.PreDecrementExpression),
        PostfixUnaryExpressionSyntax => true,
        ConditionalAccessExpressionSyntax access => access.WhenNotNull is InvocationExpressionSyntax,
        _ => false,
    };

    private sealed class ReturnRewriter(BlockSyntax methodBody) : CSharpSyntaxRewriter
    {
        public override SyntaxNode? VisitBlock(BlockSyntax node)
        {
            var statements = new List<StatementSyntax>();
            foreach (var statement in node.Statements)
            {
                if (statement is ReturnStatementSyntax { Expression: not null } value)
                    statements.AddRange(Replace(value, isLast: node == methodBody && statement == node.Statements.Last()));
                else
                    statements.Add((StatementSyntax)Visit(statement));
            }
            return node.WithStatements(List(statements));
        }

        /// <summary>A return outside a block (<c>if (x) return 1;</c>).</summary>
        public override SyntaxNode? VisitReturnStatement(ReturnStatementSyntax node)
        {
            if (node.Expression is null) return node;
            var replaced = Replace(node, isLast: false);
            if (replaced.Count == 1) return replaced[0];
            // A new block where a single statement was: the formatter lays it out.
            var inner = replaced.Select(s => s.WithLeadingTrivia(ElasticMarker).WithTrailingTrivia(ElasticMarker));
            return Block(inner).WithLeadingTrivia(node.GetLeadingTrivia()).WithTrailingTrivia(node.GetTrailingTrivia())
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node) => node;
        public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node) => node;
        public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node) => node;
        public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node) => node;

        private static List<StatementSyntax> Replace(ReturnStatementSyntax node, bool isLast)
        {
            var result = new List<StatementSyntax>();
            var bareReturn = node.WithReturnKeyword(node.ReturnKeyword.WithTrailingTrivia()).WithExpression(null);
            if (IsStatement(node.Expression!))
            {
                result.Add(ExpressionStatement(node.Expression!.WithoutTrivia(), node.SemicolonToken)
                    .WithLeadingTrivia(node.GetLeadingTrivia()));
                if (!isLast) result.Add(bareReturn);
            }
            else if (!isLast)
                result.Add(bareReturn);
            return result;
        }
    }
}
