namespace Dsl;

/// <summary>How <see cref="Scores"/> combines per-class precision, recall and F-scores (scikit-learn's <c>average</c>).</summary>
public enum Average
{
    /// <summary>Only the class <c>positiveLabel</c> (scikit-learn's default, <c>average='binary'</c>); the data may hold two classes at most.</summary>
    Binary,

    /// <summary>From the true positives, false positives and false negatives summed over all classes (<c>'micro'</c>).</summary>
    Micro,

    /// <summary>The unweighted mean of the per-class scores (<c>'macro'</c>): every class counts the same.</summary>
    Macro,

    /// <summary>The mean of the per-class scores weighted by each class's number of true examples (<c>'weighted'</c>).</summary>
    Weighted,
}

/// <summary>One class's scores, as a row of scikit-learn's <c>precision_recall_fscore_support(average=None)</c>.</summary>
/// <param name="Label">The class id.</param>
/// <param name="Precision">True positives over predicted positives.</param>
/// <param name="Recall">True positives over true examples of the class.</param>
/// <param name="FScore">The F-beta score (F1 unless another beta was asked for).</param>
/// <param name="Support">How many examples are truly of the class.</param>
public sealed record ClassScore(long Label, double Precision, double Recall, double FScore, long Support);
