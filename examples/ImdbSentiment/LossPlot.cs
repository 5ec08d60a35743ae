using Dsl;

namespace ImdbSentiment;

/// <summary>Draws the training and evaluation loss from the trainer's log history (ScottPlot).</summary>
public static class LossPlot
{
    public static void Save(TrainerState state, string path)
    {
        var train = state.LogHistory.Where(e => e.ContainsKey("loss")).ToList();
        var eval = state.LogHistory.Where(e => e.ContainsKey("eval_loss")).ToList();
        var plot = new ScottPlot.Plot();
        if (train.Count > 0)
        {
            var line = plot.Add.Scatter(train.Select(e => (double)e.Step).ToArray(), train.Select(e => e["loss"]).ToArray());
            line.LegendText = "training loss";
        }
        if (eval.Count > 0)
        {
            var points = plot.Add.Scatter(eval.Select(e => (double)e.Step).ToArray(), eval.Select(e => e["eval_loss"]).ToArray());
            points.LegendText = "evaluation loss";
            points.MarkerSize = 9;
        }
        plot.Title("Loss");
        plot.XLabel("optimizer step");
        plot.YLabel("loss");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 900, 520);
    }
}
