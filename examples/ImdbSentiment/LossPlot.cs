using System.Globalization;
using Dsl;

namespace ImdbSentiment;

/// <summary>
/// Draws the training and evaluation loss from the trainer's log history (ScottPlot), so that any
/// run reads honestly: few logged losses show as points joined by a line, thousands as a plain line;
/// the y-axis starts at 0 (a loss that hardly moves looks flat, not like swings); every evaluation is
/// a point labelled with its loss; a run too short to log a loss shows its mean training loss
/// (<c>train_loss</c>) and says so.
/// </summary>
public static class LossPlot
{
    /// <summary>Up to this many training-loss points get markers; more are drawn as a line only.</summary>
    public const int MarkerLimit = 60;

    /// <summary>What the plot shows, worked out from the log history; <see cref="Save(Layout, string)"/> draws it.</summary>
    public sealed record Layout(
        IReadOnlyList<(int Step, double Loss)> Training, bool TrainingMarkers,
        (int Step, double Loss, string Label)? MeanTrainingLoss,
        IReadOnlyList<(int Step, double Loss, string Label)> Evaluations,
        double XMin, double XMax, double YMin, double YMax, string? Note);

    /// <summary>The layout of <paramref name="history"/> (HF's <c>log_history</c>).</summary>
    public static Layout Plan(IReadOnlyList<LogEntry> history)
    {
        var training = new List<(int, double)>();
        var evaluations = new List<(int, double, string)>();
        (int, double, string)? mean = null;
        foreach (var entry in history)
        {
            if (entry.TryGetValue("loss", out double loss) && double.IsFinite(loss)) training.Add((entry.Step, loss));
            if (entry.TryGetValue("eval_loss", out double evalLoss) && double.IsFinite(evalLoss))
                evaluations.Add((entry.Step, evalLoss, evalLoss.ToString("0.####", CultureInfo.InvariantCulture)));
            if (entry.TryGetValue("train_loss", out double trainLoss) && double.IsFinite(trainLoss))
                mean = (entry.Step, trainLoss, trainLoss.ToString("0.####", CultureInfo.InvariantCulture));
        }
        // The mean over the run only stands in for a curve the run was too short to log.
        if (training.Count >= 2) mean = null;
        string? note = training.Count == 0
            ? mean is null && evaluations.Count == 0
                ? "No loss was logged (the run ended before LoggingSteps)."
                : "No training loss was logged: the run ended before LoggingSteps.\nThe square is the run's mean training loss (train_loss)."
            : null;

        var ys = training.Select(t => t.Item2).Concat(evaluations.Select(e => e.Item2)).Concat(mean is { } m ? [m.Item2] : []).ToList();
        var xs = training.Select(t => t.Item1).Concat(evaluations.Select(e => e.Item1)).Concat(mean is { } n ? [n.Item1] : []).ToList();
        // The y-axis includes 0 and leaves room above the highest point for the labels.
        double yMin = Math.Min(0, ys.Count > 0 ? ys.Min() : 0);
        double yTop = ys.Count > 0 ? ys.Max() : 1;
        double yMax = yTop > yMin ? yTop + 0.15 * (yTop - yMin) : yMin + 1;
        // Steps start at 1; the x-axis runs from 0 to the last step, with room for the last point's label.
        double xMax = Math.Max(1, xs.Count > 0 ? xs.Max() : 1);
        return new Layout(training, training.Count <= MarkerLimit, mean, evaluations, 0, xMax * 1.1, yMin, yMax, note);
    }

    /// <summary>Saves the plot of <paramref name="state"/>'s log history as a PNG.</summary>
    public static void Save(TrainerState state, string path) => Save(Plan(state.LogHistory), path);

    /// <summary>Draws <paramref name="layout"/> into a 900×520 PNG at <paramref name="path"/>.</summary>
    public static void Save(Layout layout, string path)
    {
        var plot = new ScottPlot.Plot();
        if (layout.Training.Count > 0)
        {
            var line = plot.Add.Scatter(layout.Training.Select(t => (double)t.Step).ToArray(), layout.Training.Select(t => t.Loss).ToArray());
            line.LegendText = "training loss";
            line.LineWidth = 2;
            line.MarkerSize = layout.TrainingMarkers ? 7 : 0;
        }
        if (layout.MeanTrainingLoss is { } mean)
        {
            var point = plot.Add.Scatter(new[] { (double)mean.Step }, new[] { mean.Loss });
            point.LegendText = "mean training loss (train_loss)";
            point.LineWidth = 0;
            point.MarkerSize = 11;
            point.MarkerShape = ScottPlot.MarkerShape.FilledSquare;
            var text = plot.Add.Text($"train_loss {mean.Label}", mean.Step, mean.Loss);
            text.LabelFontSize = 13;
            text.LabelAlignment = ScottPlot.Alignment.UpperCenter;
            text.OffsetY = 10;
            text.LabelFontColor = point.Color;
        }
        if (layout.Evaluations.Count > 0)
        {
            var points = plot.Add.Scatter(layout.Evaluations.Select(e => (double)e.Step).ToArray(), layout.Evaluations.Select(e => e.Loss).ToArray());
            points.LegendText = "evaluation loss";
            points.LineWidth = layout.Evaluations.Count > 1 ? 1 : 0;
            points.LinePattern = ScottPlot.LinePattern.Dashed;
            points.MarkerSize = 11;
            points.MarkerShape = ScottPlot.MarkerShape.FilledDiamond;
            foreach (var (step, loss, label) in layout.Evaluations)
            {
                var text = plot.Add.Text($"eval {label}", step, loss);
                text.LabelFontSize = 13;
                text.LabelAlignment = ScottPlot.Alignment.LowerCenter;
                text.OffsetY = -10;
                text.LabelFontColor = points.Color;
            }
        }
        if (layout.Note is not null)
        {
            var note = plot.Add.Text(layout.Note, (layout.XMin + layout.XMax) / 2, (layout.YMin + layout.YMax) / 2);
            note.LabelFontSize = 14;
            note.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
        }
        plot.Axes.SetLimits(layout.XMin, layout.XMax, layout.YMin, layout.YMax);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };   // steps are whole
        plot.Title("Loss");
        plot.XLabel("optimizer step");
        plot.YLabel("loss");
        if (layout.Training.Count > 0 || layout.Evaluations.Count > 0 || layout.MeanTrainingLoss is not null)
            plot.ShowLegend(ScottPlot.Alignment.LowerLeft);   // a falling loss leaves the lower left empty
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Drawn aside and renamed: every rank under mpirun saves it, and none may see another's half-written file.
        string temp = $"{path}.{Environment.ProcessId}.tmp.png";
        plot.SavePng(temp, 900, 520);
        File.Move(temp, path, overwrite: true);
    }
}
