using Dsl;
using ImdbSentiment;

namespace Examples.Tests;

/// <summary>
/// loss.png reads honestly for any run (issue 15): a run too short to log shows its mean loss and
/// says why; few points carry markers, thousands are a line; the y-axis starts at 0 so a flat curve
/// looks flat; every evaluation is labelled with its loss. Set DSL_LOSS_PLOTS to a folder to keep
/// the PNGs these tests draw, to look at them.
/// </summary>
public sealed class LossPlotTests : IDisposable
{
    private readonly string _folder = Environment.GetEnvironmentVariable("DSL_LOSS_PLOTS") is { Length: > 0 } kept
        ? Directory.CreateDirectory(kept).FullName
        : Directory.CreateTempSubdirectory("loss-plot-").FullName;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("DSL_LOSS_PLOTS") is not { Length: > 0 }) Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A log history as the loop writes it: a loss every <paramref name="loggingSteps"/>, evaluations, the final summary.</summary>
    private static List<LogEntry> History(int steps, int loggingSteps, Func<int, double> loss, int[] evaluatedAt)
    {
        var history = new List<LogEntry>();
        for (int step = 1; step <= steps; step++)
        {
            if (step % loggingSteps == 0) history.Add(new LogEntry(step, [new("loss", Math.Round(loss(step), 4)), new("epoch", step / (double)steps)]));
            if (evaluatedAt.Contains(step)) history.Add(new LogEntry(step, [new("eval_loss", loss(step) + 0.05), new("epoch", step / (double)steps)]));
        }
        history.Add(new LogEntry(steps, [new("train_runtime", 1.0), new("train_loss", loss(steps / 2))]));
        return history;
    }

    private string Draw(LossPlot.Layout layout, string name)
    {
        string path = Path.Combine(_folder, name);
        LossPlot.Save(layout, path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        return path;
    }

    [Fact]
    public void A_run_too_short_to_log_shows_its_mean_loss_and_says_why()
    {
        // The tutorial's settings: 4 steps, a log every 10, one evaluation at the end.
        var layout = LossPlot.Plan(History(4, 10, _ => 0.6931, evaluatedAt: [4]));
        Assert.Empty(layout.Training);
        Assert.Equal(4, layout.MeanTrainingLoss!.Value.Step);
        Assert.Contains("LoggingSteps", layout.Note);
        Assert.Single(layout.Evaluations);
        Assert.True(layout.XMax > 4);   // the last point is inside the plot, not on its edge
        Draw(layout, "loss-4-steps.png");
    }

    [Fact]
    public void Few_logged_losses_are_points_on_a_line_and_thousands_are_a_line()
    {
        var fifty = LossPlot.Plan(History(50, 10, s => 0.7 - 0.005 * s, evaluatedAt: [25, 50]));
        Assert.Equal([10, 20, 30, 40, 50], fifty.Training.Select(t => t.Step));
        Assert.True(fifty.TrainingMarkers);
        Assert.Null(fifty.MeanTrainingLoss);   // the curve is there: no stand-in
        Assert.Null(fifty.Note);
        Draw(fifty, "loss-50-steps.png");

        var many = LossPlot.Plan(History(5000, 10, s => 0.3 + 0.4 * Math.Exp(-s / 800.0) + 0.02 * Math.Sin(s / 7.0), evaluatedAt: [1000, 2000, 3000, 4000, 5000]));
        Assert.Equal(500, many.Training.Count);
        Assert.False(many.TrainingMarkers);
        Assert.Equal(5, many.Evaluations.Count);
        Draw(many, "loss-5000-steps.png");
    }

    [Fact]
    public void A_flat_curve_is_drawn_flat_from_zero()
    {
        // A loss that stays at ln 2 ± 0.0005 (a model that learns nothing) must not fill the height.
        var layout = LossPlot.Plan(History(200, 10, s => 0.6931 + 0.0005 * Math.Sin(s), evaluatedAt: [100, 200]));
        double spread = layout.Training.Max(t => t.Loss) - layout.Training.Min(t => t.Loss);
        Assert.Equal(0, layout.YMin);
        Assert.True(layout.YMax >= layout.Training.Max(t => t.Loss));
        Assert.True(spread < 0.01 * (layout.YMax - layout.YMin), $"spread {spread} on an axis of {layout.YMax - layout.YMin}");
        Draw(layout, "loss-flat.png");
    }

    [Fact]
    public void Every_evaluation_is_labelled_with_its_loss()
    {
        var layout = LossPlot.Plan(History(50, 10, s => 0.7 - 0.005 * s, evaluatedAt: [25, 50]));
        Assert.Equal([(25, "0.625"), (50, "0.5")], layout.Evaluations.Select(e => (e.Step, e.Label)));
    }
}
