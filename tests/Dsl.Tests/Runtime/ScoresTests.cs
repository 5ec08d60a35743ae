using Dsl.Tests.Support;
using static TorchSharp.torch;

namespace Dsl.Tests.Runtime;

/// <summary>
/// Scores against the examples in scikit-learn's own docstrings (sklearn/metrics/_classification.py and
/// _regression.py), each given as class ids and as the logits a [Metric] gets.
/// </summary>
public sealed class ScoresTests
{
    private static Tensor Ids(params long[] ids) => tensor(ids);

    /// <summary>Logits whose arg-max is each id: a 1 in the id's column of <paramref name="classes"/> zeros.</summary>
    private static Tensor Logits(int classes, params long[] ids)
    {
        var values = new float[ids.Length * classes];
        for (int i = 0; i < ids.Length; i++) values[i * classes + ids[i]] = 1;
        return tensor(values).reshape(ids.Length, classes);
    }

    // precision_score / recall_score / f1_score examples.
    private static readonly long[] True = [0, 1, 2, 0, 1, 2];
    private static readonly long[] Predicted = [0, 2, 1, 0, 0, 1];

    [Fact]
    public void Accuracy_matches_accuracy_scores_example()
    {
        Assert.Equal(0.5, Scores.Accuracy(Ids(0, 2, 1, 3), Ids(0, 1, 2, 3)));   // accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
        Assert.Equal(0.5, Scores.Accuracy(Logits(4, 0, 2, 1, 3), Ids(0, 1, 2, 3)));
    }

    [Theory]
    [InlineData(Average.Macro, 2.0 / 9, 1.0 / 3, 4.0 / 15)]      // 0.22..., 0.33..., 0.26...
    [InlineData(Average.Micro, 1.0 / 3, 1.0 / 3, 1.0 / 3)]
    [InlineData(Average.Weighted, 2.0 / 9, 1.0 / 3, 4.0 / 15)]
    public void Precision_recall_and_F1_match_scikit_learns_examples(Average average, double precision, double recall, double f1)
    {
        foreach (var predictions in new[] { Ids(Predicted), Logits(3, Predicted) })
        {
            Assert.Equal(precision, Scores.Precision(predictions, Ids(True), average), 12);
            Assert.Equal(recall, Scores.Recall(predictions, Ids(True), average), 12);
            Assert.Equal(f1, Scores.F1(predictions, Ids(True), average), 12);
        }
    }

    [Fact]
    public void Per_class_scores_match_average_None()
    {
        var rows = Scores.PerClass(Ids(Predicted), Ids(True));
        Assert.Equal([0L, 1, 2], rows.Select(r => r.Label));
        Assert.Equal([2.0 / 3, 0, 0], rows.Select(r => r.Precision));   // array([0.66..., 0., 0.])
        Assert.Equal([1.0, 0, 0], rows.Select(r => r.Recall));         // array([1., 0., 0.])
        Assert.Equal([0.8, 0, 0], rows.Select(r => Math.Round(r.FScore, 12)));   // array([0.8, 0., 0.])
        Assert.Equal([2L, 2, 2], rows.Select(r => r.Support));
    }

    [Fact]
    public void Zero_division_gives_0_1_or_NaN_as_scikit_learn_does()
    {
        // precision_score(y_true, [0, 0, 0, 0, 0, 0], average=None, zero_division=...): classes 1 and 2 are never predicted.
        long[] allZero = [0, 0, 0, 0, 0, 0];
        Assert.Equal([1.0 / 3, 0, 0], Scores.PerClass(Ids(allZero), Ids(True)).Select(r => r.Precision));
        Assert.Equal([1.0 / 3, 1, 1], Scores.PerClass(Ids(allZero), Ids(True), zeroDivision: 1).Select(r => r.Precision));
        var nan = Scores.PerClass(Ids(allZero), Ids(True), zeroDivision: double.NaN).Select(r => r.Precision).ToList();
        Assert.Equal(1.0 / 3, nan[0]);
        Assert.True(double.IsNaN(nan[1]) && double.IsNaN(nan[2]));
        // recall_score([0, 0, 0, 0, 0, 0], y_pred, average=None): classes 1 and 2 never occur.
        Assert.Equal([0.5, 0, 0], Scores.PerClass(Ids(Predicted), Ids(allZero)).Select(r => r.Recall));
        Assert.Equal([0.5, 1, 1], Scores.PerClass(Ids(Predicted), Ids(allZero), zeroDivision: 1).Select(r => r.Recall));
        // f1_score([0] * 6, [0] * 6): binary, no positive anywhere -> zero_division (0.0, 1.0, nan).
        Assert.Equal(0.0, Scores.F1(Ids(allZero), Ids(allZero)));
        Assert.Equal(1.0, Scores.F1(Ids(allZero), Ids(allZero), zeroDivision: 1));
        Assert.True(double.IsNaN(Scores.F1(Ids(allZero), Ids(allZero), zeroDivision: double.NaN)));
        // NaN classes are left out of the macro average (scikit-learn's _nanaverage): only class 0's 1/3 is left.
        Assert.Equal(1.0 / 3, Scores.Precision(Ids(allZero), Ids(True), Average.Macro, zeroDivision: double.NaN), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => Scores.F1(Ids(allZero), Ids(allZero), zeroDivision: 0.5));
    }

    [Fact]
    public void Binary_scores_the_positive_label_and_refuses_more_than_two_classes()
    {
        // confusion_matrix([0, 1, 0, 1], [1, 1, 1, 0]): tn 0, fp 2, fn 1, tp 1.
        Assert.Equal(1.0 / 3, Scores.Precision(Ids(1, 1, 1, 0), Ids(0, 1, 0, 1)), 12);
        Assert.Equal(0.5, Scores.Recall(Ids(1, 1, 1, 0), Ids(0, 1, 0, 1)), 12);
        Assert.Equal(0.4, Scores.F1(Ids(1, 1, 1, 0), Ids(0, 1, 0, 1)), 12);
        Assert.Equal(0.0, Scores.Precision(Ids(1, 1, 1, 0), Ids(0, 1, 0, 1), positiveLabel: 0), 12);   // the one 0 predicted is a 1
        var e = Assert.Throws<ArgumentException>(() => Scores.F1(Ids(Predicted), Ids(True)));
        Assert.Contains("needs two classes at most, but the labels and predictions hold 3 (0, 1, 2); choose Average.Macro", e.Message);
        Assert.Equal(0.0, Scores.F1(Ids(1, 2), Ids(2, 1)));   // classes 1 and 2: positiveLabel 1 is one of them
        Assert.Contains("positiveLabel 5", Assert.Throws<ArgumentException>(() => Scores.F1(Ids(1, 2), Ids(2, 1), positiveLabel: 5)).Message);
    }

    [Fact]
    public void FBeta_matches_fbeta_scores_example()
    {
        // fbeta_score(y_true, y_pred, average='macro', beta=0.5) -> 0.23..., 'micro' 0.33..., 'weighted' 0.23...,
        // average=None -> array([0.71..., 0., 0.]).
        Assert.Equal(5.0 / 21, Scores.FBeta(Ids(Predicted), Ids(True), 0.5, Average.Macro), 12);
        Assert.Equal(1.0 / 3, Scores.FBeta(Ids(Predicted), Ids(True), 0.5, Average.Micro), 12);
        Assert.Equal(5.0 / 7, Scores.PerClass(Ids(Predicted), Ids(True), beta: 0.5)[0].FScore, 12);
    }

    [Fact]
    public void Matthews_correlation_matches_matthews_corrcoefs_example()
    {
        // matthews_corrcoef([+1, +1, +1, -1], [+1, -1, +1, +1]) -> -0.33...
        Assert.Equal(-1.0 / 3, Scores.MatthewsCorrelation(Ids(1, -1, 1, 1), Ids(1, 1, 1, -1)), 12);
        Assert.Equal(1.0, Scores.MatthewsCorrelation(Logits(3, True), Ids(True)), 12);
        Assert.Equal(0.0, Scores.MatthewsCorrelation(Ids(1, 1, 1), Ids(1, 1, 1)));   // undefined: every value the same class
    }

    [Fact]
    public void Mean_squared_error_matches_mean_squared_errors_examples()
    {
        Assert.Equal(0.375, Scores.MeanSquaredError(tensor(new[] { 2.5, 0.0, 2, 8 }), tensor(new[] { 3, -0.5, 2, 7 })), 12);
        // Two outputs, averaged uniformly -> 0.708...
        Assert.Equal(8.5 / 12, Scores.MeanSquaredError(tensor(new float[] { 0, 2, -1, 2, 8, -5 }).reshape(3, 2),
            tensor(new float[] { 0.5f, 1, -1, 1, 7, -6 }).reshape(3, 2)), 6);
        // A regression head's [N, 1] against labels [N].
        Assert.Equal(0.375, Scores.MeanSquaredError(tensor(new[] { 2.5, 0.0, 2, 8 }).reshape(4, 1), tensor(new[] { 3, -0.5, 2, 7 })), 12);
    }

    [Fact]
    public void Token_labels_of_minus_100_are_left_out_and_per_token_logits_are_scored()
    {
        // Two sequences of three tokens; the -100 positions (padding) would be wrong if they counted.
        var logits = Logits(2, 1, 0, 0, 1, 1, 1).reshape(2, 3, 2);
        var labels = tensor(new long[] { 1, 0, -100, 1, 1, -100 }).reshape(2, 3);
        Assert.Equal(1.0, Scores.Accuracy(logits, labels));
        Assert.Equal(1.0, Scores.F1(logits, labels));
    }

    [Fact]
    public void Wrong_inputs_are_refused_with_what_to_do()
    {
        var oneScore = Assert.Throws<ArgumentException>(() => Scores.Accuracy(tensor(new float[] { 0.2f, -1 }), Ids(1, 0)));
        Assert.Contains("one score per example", oneScore.Message);
        Assert.Contains("predictions.gt(0)", oneScore.Message);
        Assert.Contains("do not match labels", Assert.Throws<ArgumentException>(() => Scores.Accuracy(Logits(2, 0, 1, 1), Ids(0, 1))).Message);
        Assert.Contains("for regression use Scores.MeanSquaredError",
            Assert.Throws<ArgumentException>(() => Scores.Accuracy(Logits(2, 0, 1), tensor(new float[] { 0, 1 }))).Message);
        Assert.Contains("no labels to score", Assert.Throws<ArgumentException>(() => Scores.Accuracy(Ids(1), Ids(-100))).Message);
        Assert.Contains("as many predictions as labels",
            Assert.Throws<ArgumentException>(() => Scores.MeanSquaredError(tensor(new float[] { 1, 2 }), tensor(new float[] { 1 }))).Message);
    }

    [Fact]
    public void As_one_line_Metrics_they_report_what_they_compute_on_the_predictions()
    {
        using var temp = new TempDirectory();
        var trainer = new ScoredTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        var data = SampleData.Make(40);
        var result = trainer.Evaluate(data);
        using var output = trainer.Predict(data);
        Assert.Equal(Scores.F1(output.Predictions!, output.LabelIds!, Average.Macro), result["eval_f1"], 12);
        Assert.Equal(Scores.Accuracy(output.Predictions!, output.LabelIds!), result["eval_accuracy"], 12);
        Assert.Equal(Scores.MatthewsCorrelation(output.Predictions!, output.LabelIds!), result["eval_mcc"], 12);
    }
}

/// <summary>HF's compute_metrics returning accuracy, macro F1 and MCC, as three one-line [Metric]s.</summary>
[Trainer]
public partial class ScoredTrainer(TinyNet model, TrainingArguments args)
{
    [TrainStep]
    StepOutput Step(SampleBatch batch)
    {
        var logits = model.forward(batch.X);
        return new StepOutput(nn.functional.cross_entropy(logits, batch.Y), logits, batch.Y);
    }

    [Metric] double Accuracy(Tensor predictions, Tensor labels) => Scores.Accuracy(predictions, labels);
    [Metric] double F1(Tensor predictions, Tensor labels) => Scores.F1(predictions, labels, Average.Macro);
    [Metric("mcc")] double Matthews(Tensor predictions, Tensor labels) => Scores.MatthewsCorrelation(predictions, labels);
}
