using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading.Tasks;
using Dsl.Generators.Diagnostics;
using Dsl.Settings;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// The settings rules whose value is out of its range (DSL020–DSL024, DSL038, DSL039): puts the nearest valid value
/// in place of the constant. The value per rule: GradientAccumulationSteps 1; a steps interval rounded to a whole
/// number, or its default 500 when not above 0; SaveTotalLimit null (a negative limit usually means "no limit");
/// LearningRate its default 5e-5; WarmupRatio 0 when negative, else (a whole number of 1 or more, which is a step
/// count) <c>WarmupSteps = N</c>; NumTrainEpochs 1; the other ranges their nearest bound (see
/// <see cref="SettingRules.NearestValid"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SettingValueCodeFix)), Shared]
public sealed class SettingValueCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.GradientAccumulationNotPositive.Id,
        DiagnosticDescriptors.StepsIntervalInvalid.Id,
        DiagnosticDescriptors.SaveTotalLimitNegative.Id,
        DiagnosticDescriptors.LearningRateNotPositive.Id,
        DiagnosticDescriptors.WarmupRatioOutOfRange.Id,
        DiagnosticDescriptors.SettingOutOfRange.Id,
        DiagnosticDescriptors.NoTrainingLength.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AssignmentExpressionSyntax>()
                    is not { Left: IdentifierNameSyntax setting } assignment) continue;
            var constant = model.GetConstantValue(assignment.Right, context.CancellationToken);
            if (!constant.HasValue) continue;
            bool integral = model.GetTypeInfo(assignment.Right, context.CancellationToken).ConvertedType?.SpecialType == SpecialType.System_Int32;
            if (Replacement(setting.Identifier.ValueText, constant.Value, integral) is not { } replacement) continue;
            context.RegisterCodeFix(CodeAction.Create($"Use '{replacement.ToFullString().Trim()}'",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(assignment,
                    replacement.WithTriviaFrom(assignment)))),
                equivalenceKey: nameof(SettingValueCodeFix)), diagnostic);
        }
    }

    /// <summary>The assignment to write instead, or null when no value is evidently the one meant.</summary>
    private static AssignmentExpressionSyntax? Replacement(string setting, object? value, bool integral)
    {
        if (value is null or bool) return null;
        double number = value is string ? double.NaN : System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
        ExpressionSyntax? fixedValue = setting switch
        {
            "GradientAccumulationSteps" => Int(1),
            "LoggingSteps" or "SaveSteps" or "EvalSteps" => number >= 1 ? Double(System.Math.Round(number)) : Double(500),
            "SaveTotalLimit" => SyntaxFactory.LiteralExpression(SyntaxKind.NullLiteralExpression),
            "LearningRate" => Double(5e-5),
            "WarmupRatio" when number >= 1 && number == System.Math.Floor(number) && number < int.MaxValue =>
                null,   // a step count: handled below as WarmupSteps
            "WarmupRatio" => Double(number < 0 || double.IsNaN(number) ? 0 : 0.1),
            "NumTrainEpochs" => Double(1),
            "OutputDir" => SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("trainer_output")),
            _ => SettingRules.NearestValid(setting, number) is { } nearest
                ? (integral ? Int((int)nearest) : Double(nearest))
                : null,
        };
        if (setting == "WarmupRatio" && fixedValue is null)
            return Assign("WarmupSteps", Int((int)number));
        return fixedValue is null ? null : Assign(setting, fixedValue);
    }

    private static AssignmentExpressionSyntax Assign(string setting, ExpressionSyntax value) =>
        SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(setting), value);

    private static ExpressionSyntax Int(int value) =>
        SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value));

    private static ExpressionSyntax Double(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.IndexOfAny(['.', 'E', 'e']) < 0) text += ".0";
        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(text, value));
        return value < 0 ? SyntaxFactory.PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression,
            SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(text.Substring(1), -value))) : literal;
    }
}
