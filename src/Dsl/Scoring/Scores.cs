using TorchSharp;
using static TorchSharp.torch;

namespace Dsl;

/// <summary>
/// Metrics with scikit-learn's definitions, for <c>[Metric]</c> methods in one line:
/// <code>[Metric] double F1(Tensor predictions, Tensor labels) =&gt; Scores.F1(predictions, labels, Average.Macro);</code>
/// <para>
/// <b>What they take.</b> <c>predictions</c> as a [Metric] gets them: the logits the evaluation step returned,
/// <c>[N, C]</c> (or <c>[N, T, C]</c> per token), of which each example's class is the arg-max over the last
/// dimension, as HF's <c>compute_metrics</c> does with <c>np.argmax(logits, axis=-1)</c>; or class ids already
/// (an integer tensor shaped like <c>labels</c>). One score per example (<c>[N]</c> or <c>[N, 1]</c> floats) is refused:
/// its arg-max is always 0; threshold it yourself (<c>predictions.gt(0)</c>). <c>labels</c> are class ids; those equal
/// to -100 (HF's ignore index: padding, sub-word continuations) are left out, as HF's token-classification examples do.
/// </para>
/// <para>
/// <b>Zero division</b> (a class never predicted has no precision; one that never occurs has no recall):
/// <c>zeroDivision</c> is what such a score becomes, 0 (the default, scikit-learn's <c>"warn"</c> without the
/// warning), 1, or <see cref="double.NaN"/>, which the averages then leave out, as scikit-learn's do.
/// </para>
/// </summary>
public static class Scores
{
    /// <summary>HF's ignore index: labels equal to it are not scored.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>The fraction of examples whose predicted class is the true one (scikit-learn's <c>accuracy_score</c>).</summary>
    public static double Accuracy(Tensor predictions, Tensor labels)
    {
        var (predicted, truth) = Classes(predictions, labels, nameof(Accuracy));
        long right = 0;
        for (int i = 0; i < truth.Length; i++) if (predicted[i] == truth[i]) right++;
        return (double)right / truth.Length;
    }

    /// <summary>Precision, true positives over predicted positives (scikit-learn's <c>precision_score</c>).</summary>
    /// <param name="predictions">Logits (arg-max over the last dimension) or class ids.</param>
    /// <param name="labels">True class ids; -100 is left out.</param>
    /// <param name="average">How classes combine; <see cref="Average.Binary"/> scores <paramref name="positiveLabel"/> only.</param>
    /// <param name="positiveLabel">The class <see cref="Average.Binary"/> scores.</param>
    /// <param name="zeroDivision">A score with nothing to divide by: 0, 1 or NaN.</param>
    public static double Precision(Tensor predictions, Tensor labels, Average average = Average.Binary, long positiveLabel = 1, double zeroDivision = 0) =>
        Averaged(predictions, labels, average, positiveLabel, zeroDivision, beta: 1, Part.Precision, nameof(Precision));

    /// <summary>Recall, true positives over true examples of the class (scikit-learn's <c>recall_score</c>).</summary>
    /// <param name="predictions">Logits (arg-max over the last dimension) or class ids.</param>
    /// <param name="labels">True class ids; -100 is left out.</param>
    /// <param name="average">How classes combine; <see cref="Average.Binary"/> scores <paramref name="positiveLabel"/> only.</param>
    /// <param name="positiveLabel">The class <see cref="Average.Binary"/> scores.</param>
    /// <param name="zeroDivision">A score with nothing to divide by: 0, 1 or NaN.</param>
    public static double Recall(Tensor predictions, Tensor labels, Average average = Average.Binary, long positiveLabel = 1, double zeroDivision = 0) =>
        Averaged(predictions, labels, average, positiveLabel, zeroDivision, beta: 1, Part.Recall, nameof(Recall));

    /// <summary>The F1 score, the harmonic mean of precision and recall (scikit-learn's <c>f1_score</c>).</summary>
    /// <param name="predictions">Logits (arg-max over the last dimension) or class ids.</param>
    /// <param name="labels">True class ids; -100 is left out.</param>
    /// <param name="average">How classes combine; <see cref="Average.Binary"/> scores <paramref name="positiveLabel"/> only.</param>
    /// <param name="positiveLabel">The class <see cref="Average.Binary"/> scores.</param>
    /// <param name="zeroDivision">A score with nothing to divide by: 0, 1 or NaN.</param>
    public static double F1(Tensor predictions, Tensor labels, Average average = Average.Binary, long positiveLabel = 1, double zeroDivision = 0) =>
        Averaged(predictions, labels, average, positiveLabel, zeroDivision, beta: 1, Part.FScore, nameof(F1));

    /// <summary>The F-beta score, recall weighted <paramref name="beta"/> times as much as precision (scikit-learn's <c>fbeta_score</c>).</summary>
    /// <param name="predictions">Logits (arg-max over the last dimension) or class ids.</param>
    /// <param name="labels">True class ids; -100 is left out.</param>
    /// <param name="average">How classes combine; <see cref="Average.Binary"/> scores <paramref name="positiveLabel"/> only.</param>
    /// <param name="positiveLabel">The class <see cref="Average.Binary"/> scores.</param>
    /// <param name="zeroDivision">A score with nothing to divide by: 0, 1 or NaN.</param>
    /// <param name="beta">The weight of recall; above 0.</param>
    public static double FBeta(Tensor predictions, Tensor labels, double beta, Average average = Average.Binary, long positiveLabel = 1,
        double zeroDivision = 0)
    {
        if (!(beta > 0) || double.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be a finite number above 0.");
        return Averaged(predictions, labels, average, positiveLabel, zeroDivision, beta, Part.FScore, nameof(FBeta));
    }

    /// <summary>
    /// Each class's precision, recall, F-beta and support, classes in ascending order of id (scikit-learn's
    /// <c>precision_recall_fscore_support(average=None)</c>; the classes are those in the labels or the predictions).
    /// </summary>
    /// <param name="predictions">Logits (arg-max over the last dimension) or class ids.</param>
    /// <param name="labels">True class ids; -100 is left out.</param>
    /// <param name="beta">The weight of recall in the F-score; 1 gives F1.</param>
    /// <param name="zeroDivision">A score with nothing to divide by: 0, 1 or NaN.</param>
    public static IReadOnlyList<ClassScore> PerClass(Tensor predictions, Tensor labels, double beta = 1, double zeroDivision = 0)
    {
        CheckZeroDivision(zeroDivision);
        var (predicted, truth) = Classes(predictions, labels, nameof(PerClass));
        var counts = Counts.Of(predicted, truth);
        var rows = new List<ClassScore>(counts.Labels.Length);
        for (int c = 0; c < counts.Labels.Length; c++)
        {
            var (tp, fp, fn) = (counts.TruePositives[c], counts.FalsePositives[c], counts.FalseNegatives[c]);
            rows.Add(new ClassScore(counts.Labels[c], Divide(tp, tp + fp, zeroDivision), Divide(tp, tp + fn, zeroDivision),
                FScore(tp, fp, fn, beta, zeroDivision), tp + fn));
        }
        return rows;
    }

    /// <summary>
    /// The Matthews correlation coefficient, from -1 to 1 (0: chance), for two or more classes (scikit-learn's
    /// <c>matthews_corrcoef</c>); 0 when it is undefined (every prediction or every label the same class).
    /// </summary>
    public static double MatthewsCorrelation(Tensor predictions, Tensor labels)
    {
        var (predicted, truth) = Classes(predictions, labels, nameof(MatthewsCorrelation));
        var counts = Counts.Of(predicted, truth);
        double samples = truth.Length, correct = 0, truthDotPredicted = 0, predictedSquares = 0, truthSquares = 0;
        for (int c = 0; c < counts.Labels.Length; c++)
        {
            double t = counts.TruePositives[c] + counts.FalseNegatives[c];   // true examples of the class
            double p = counts.TruePositives[c] + counts.FalsePositives[c];   // predictions of the class
            correct += counts.TruePositives[c];
            truthDotPredicted += t * p;
            predictedSquares += p * p;
            truthSquares += t * t;
        }
        double covariance = correct * samples - truthDotPredicted;
        double predictedVariance = samples * samples - predictedSquares, truthVariance = samples * samples - truthSquares;
        return predictedVariance * truthVariance == 0 ? 0 : covariance / Math.Sqrt(truthVariance * predictedVariance);
    }

    /// <summary>
    /// The mean squared error (scikit-learn's <c>mean_squared_error</c>; several outputs per example are averaged
    /// uniformly). <paramref name="predictions"/> and <paramref name="labels"/> hold the same number of values
    /// (a regression head's <c>[N, 1]</c> against labels <c>[N]</c> is fine).
    /// </summary>
    public static double MeanSquaredError(Tensor predictions, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(labels);
        if (predictions.numel() != labels.numel())
            throw new ArgumentException($"Scores.MeanSquaredError needs as many predictions as labels, but predictions are " +
                $"[{string.Join(", ", predictions.shape)}] and labels [{string.Join(", ", labels.shape)}].", nameof(predictions));
        if (labels.numel() == 0) throw new ArgumentException("Scores.MeanSquaredError got no labels.", nameof(labels));
        using var scope = NewDisposeScope();
        var p = predictions.detach().cpu().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        var y = labels.detach().cpu().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += (y[i] - p[i]) * (y[i] - p[i]);
        return sum / p.Length;
    }

    private enum Part { Precision, Recall, FScore }

    private static double Averaged(Tensor predictions, Tensor labels, Average average, long positiveLabel, double zeroDivision, double beta,
        Part part, string metric)
    {
        CheckZeroDivision(zeroDivision);
        var (predicted, truth) = Classes(predictions, labels, metric);
        var counts = Counts.Of(predicted, truth);
        double Score(long tp, long fp, long fn) => part switch
        {
            Part.Precision => Divide(tp, tp + fp, zeroDivision),
            Part.Recall => Divide(tp, tp + fn, zeroDivision),
            _ => FScore(tp, fp, fn, beta, zeroDivision),
        };
        switch (average)
        {
            case Average.Binary:
                // scikit-learn: two classes at most, and the positive label must be one of them when there are two.
                if (counts.Labels.Length > 2)
                    throw new ArgumentException($"Scores.{metric} with Average.Binary needs two classes at most, but the labels and " +
                        $"predictions hold {counts.Labels.Length} ({string.Join(", ", counts.Labels)}); choose Average.Macro, Micro or Weighted.", nameof(average));
                int index = Array.IndexOf(counts.Labels, positiveLabel);
                if (index < 0 && counts.Labels.Length == 2)
                    throw new ArgumentException($"Scores.{metric}: positiveLabel {positiveLabel} is not one of the classes " +
                        $"({string.Join(", ", counts.Labels)}).", nameof(positiveLabel));
                return index < 0 ? Score(0, 0, 0) : Score(counts.TruePositives[index], counts.FalsePositives[index], counts.FalseNegatives[index]);
            case Average.Micro:
                return Score(counts.TruePositives.Sum(), counts.FalsePositives.Sum(), counts.FalseNegatives.Sum());
            case Average.Macro:
            case Average.Weighted:
                double sum = 0, weights = 0;
                for (int c = 0; c < counts.Labels.Length; c++)
                {
                    double score = Score(counts.TruePositives[c], counts.FalsePositives[c], counts.FalseNegatives[c]);
                    double weight = average == Average.Macro ? 1 : counts.TruePositives[c] + counts.FalseNegatives[c];
                    if (double.IsNaN(score)) continue;   // scikit-learn's _nanaverage: a NaN class (zeroDivision NaN) is left out
                    sum += score * weight;
                    weights += weight;
                }
                // Every class NaN, or (weighted) no class with true examples: scikit-learn returns zero_division.
                return weights == 0 ? zeroDivision : sum / weights;
            default:
                throw new ArgumentOutOfRangeException(nameof(average), average, "Average is Binary, Micro, Macro or Weighted.");
        }
    }

    /// <summary>
    /// F-beta from the counts, as scikit-learn computes it since 1.3: (1 + β²)·tp / ((1 + β²)·tp + β²·fn + fp), and
    /// <paramref name="zeroDivision"/> when there are no positives at all (tp + fp + fn = 0).
    /// </summary>
    private static double FScore(long tp, long fp, long fn, double beta, double zeroDivision)
    {
        double b2 = beta * beta;
        double denominator = (1 + b2) * tp + b2 * fn + fp;
        return denominator == 0 ? zeroDivision : (1 + b2) * tp / denominator;
    }

    private static double Divide(long numerator, long denominator, double zeroDivision) =>
        denominator == 0 ? zeroDivision : (double)numerator / denominator;

    private static void CheckZeroDivision(double zeroDivision)
    {
        if (!(zeroDivision is 0 or 1 || double.IsNaN(zeroDivision)))
            throw new ArgumentOutOfRangeException(nameof(zeroDivision), zeroDivision, "zeroDivision must be 0, 1 or double.NaN (scikit-learn's zero_division).");
    }

    /// <summary>Predicted and true class ids, flattened, without the examples labelled -100.</summary>
    private static (long[] Predicted, long[] Truth) Classes(Tensor predictions, Tensor labels, string metric)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.is_floating_point())
            throw new ArgumentException($"Scores.{metric} needs class ids as labels, but they are {labels.dtype}; " +
                "for regression use Scores.MeanSquaredError.", nameof(labels));
        using var scope = NewDisposeScope();
        var ids = predictions;
        if (predictions.is_floating_point())
        {
            bool oneScore = predictions.dim() == labels.dim() || predictions.shape[^1] == 1;
            if (oneScore)
                throw new ArgumentException($"Scores.{metric} got one score per example (predictions [{string.Join(", ", predictions.shape)}], " +
                    $"labels [{string.Join(", ", labels.shape)}]), whose arg-max is always 0; return one logit per class, or pass class ids " +
                    "(e.g. predictions.gt(0).to(ScalarType.Int64)).", nameof(predictions));
            ids = predictions.argmax(-1);
        }
        if (!ids.shape.SequenceEqual(labels.shape))
            throw new ArgumentException($"Scores.{metric}: predictions [{string.Join(", ", predictions.shape)}] do not match labels " +
                $"[{string.Join(", ", labels.shape)}]; logits are [..., classes] for labels [...], class ids have the labels' shape.", nameof(predictions));
        var predicted = ids.detach().cpu().to(ScalarType.Int64).reshape(-1).data<long>().ToArray();
        var truth = labels.detach().cpu().to(ScalarType.Int64).reshape(-1).data<long>().ToArray();
        int kept = 0;
        for (int i = 0; i < truth.Length; i++)
            if (truth[i] != IgnoreIndex) (predicted[kept], truth[kept++]) = (predicted[i], truth[i]);
        if (kept == 0)
            throw new ArgumentException($"Scores.{metric} got no labels to score ({truth.Length} values, all -100 or none).", nameof(labels));
        return (predicted[..kept], truth[..kept]);
    }

    /// <summary>Per class (the sorted union of true and predicted ids): true positives, false positives, false negatives.</summary>
    private sealed class Counts
    {
        public long[] Labels { get; private init; } = [];
        public long[] TruePositives { get; private init; } = [];
        public long[] FalsePositives { get; private init; } = [];
        public long[] FalseNegatives { get; private init; } = [];

        public static Counts Of(long[] predicted, long[] truth)
        {
            var labels = new SortedSet<long>(truth);
            labels.UnionWith(predicted);
            var order = labels.ToArray();
            var index = new Dictionary<long, int>(order.Length);
            for (int i = 0; i < order.Length; i++) index[order[i]] = i;
            var counts = new Counts
            {
                Labels = order, TruePositives = new long[order.Length], FalsePositives = new long[order.Length], FalseNegatives = new long[order.Length],
            };
            for (int i = 0; i < truth.Length; i++)
            {
                int t = index[truth[i]], p = index[predicted[i]];
                if (t == p) counts.TruePositives[t]++;
                else { counts.FalsePositives[p]++; counts.FalseNegatives[t]++; }
            }
            return counts;
        }
    }
}
