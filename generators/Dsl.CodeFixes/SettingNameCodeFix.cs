using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Dsl.Generators.Analyzers;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL047: replaces an unknown name (a report target, a scheduler argument, a device type) by the known one within
/// two edits of it, the one the message suggests (<c>"tensorbord"</c> → <c>"tensorboard"</c>, <c>"gpu:1"</c> →
/// <c>"cpu:1"</c>). No fix when no known name is that close.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SettingNameCodeFix)), Shared]
public sealed class SettingNameCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.UnknownSettingName.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var literal = node.DescendantNodesAndSelf().OfType<LiteralExpressionSyntax>().FirstOrDefault(l => l.IsKind(SyntaxKind.StringLiteralExpression));
            if (literal is null) continue;
            string setting = node.AncestorsAndSelf().OfType<AssignmentExpressionSyntax>()
                .Select(a => (a.Left as IdentifierNameSyntax)?.Identifier.ValueText).LastOrDefault(n => n is not null) ?? "";
            string text = literal.Token.ValueText;
            string? replacement = setting switch
            {
                "ReportTo" => ConstantArgumentsAnalyzer.Nearest(text, ConstantArgumentsAnalyzer.ReportTargets),
                "LrSchedulerKwargs" => ConstantArgumentsAnalyzer.Nearest(text, ConstantArgumentsAnalyzer.SchedulerKwargs),
                "GradientCheckpointingKwargs" => ConstantArgumentsAnalyzer.Nearest(text, ConstantArgumentsAnalyzer.CheckpointingKwargs),
                "Device" when ConstantArgumentsAnalyzer.Nearest(text.Split(':')[0].ToLowerInvariant(), ["cpu", "cuda"]) is { } type =>
                    type + text.Substring(text.Split(':')[0].Length),
                _ => null,
            };
            if (replacement is null || replacement == text) continue;
            context.RegisterCodeFix(CodeAction.Create($"Use \"{replacement}\"",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal,
                    SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(replacement)).WithTriviaFrom(literal)))),
                equivalenceKey: nameof(SettingNameCodeFix)), diagnostic);
        }
    }
}
