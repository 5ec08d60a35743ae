namespace Dsl.Training;

/// <summary>
/// The keys an evaluation during training will produce, known when <c>Train</c> starts: the generated loop passes
/// its <c>[Metric]</c> names. A <see cref="TrainingArguments.MetricForBestModel"/> (which early stopping and a
/// ReduceLROnPlateau schedule watch too) that none of them provides is refused before the first step, instead of a
/// <see cref="KeyNotFoundException"/> after the first evaluation, possibly hours later.
/// </summary>
internal static class MetricNames
{
    // What every evaluation reports besides the [Metric] methods (HF's evaluation_loop and speed_metrics).
    private static readonly string[] AlwaysReported = ["loss", "runtime", "samples_per_second", "steps_per_second"];

    /// <summary>
    /// The keys of an evaluation during training: <c>eval_{key}</c>, or <c>eval_{name}_{key}</c> for each of
    /// <paramref name="datasetNames"/> (HF's dict of evaluation datasets). The metrics are left out when
    /// <see cref="TrainingArguments.PredictionLossOnly"/> keeps them from running.
    /// </summary>
    public static List<string> Known(TrainingArguments args, IReadOnlyList<string>? metricNames, IEnumerable<string>? datasetNames)
    {
        var keys = new List<string>(AlwaysReported);
        if (!args.PredictionLossOnly && metricNames is not null) keys.AddRange(metricNames);
        var prefixes = datasetNames?.Select(name => "eval_" + name + "_").ToList() ?? ["eval_"];
        return prefixes.SelectMany(prefix => keys.Select(key => prefix + key)).ToList();
    }

    /// <summary>Throws unless the metric the run watches, if any, is among the evaluation's keys.</summary>
    /// <exception cref="ArgumentException">The metric is unknown; the message names it, the setting that asked for it and the known keys.</exception>
    public static void RequireWatchedMetric(TrainingArguments args, IReadOnlyList<string>? metricNames, IEnumerable<string>? datasetNames)
    {
        if (args.ResolvedMetricForBestModel is not { } watched) return;
        var known = Known(args, metricNames, datasetNames);
        if (known.Contains(watched, StringComparer.Ordinal)) return;
        string setting = args.MetricForBestModel is not null
            ? $"TrainingArguments.MetricForBestModel is '{args.MetricForBestModel}'"
            : $"The metric watched by default ({(args.LoadBestModelAtEnd ? "LoadBestModelAtEnd" : "a ReduceLROnPlateau schedule")}) is 'loss'";
        string user = args.EarlyStoppingPatience is not null ? " (early stopping watches it too)" : "";
        string without = args.PredictionLossOnly && metricNames is { Count: > 0 }
            ? $" PredictionLossOnly is set, so the [Metric] methods ({string.Join(", ", metricNames)}) do not run."
            : "";
        throw new ArgumentException(
            $"{setting}{user}, which resolves to '{watched}', but no evaluation during training reports that key: they report " +
            $"{string.Join(", ", known)}.{without} Declare a [Metric] with that name, or set MetricForBestModel to one of these keys.",
            nameof(TrainingArguments.MetricForBestModel));
    }
}
