using System.Globalization;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Analyzers;

public sealed partial class ConstantArgumentsAnalyzer
{
    /// <summary>
    /// The single-setting range checks of <c>TrainingArguments.Validate()</c> not covered by a rule of their own,
    /// with Validate's wording of the allowed range. As in Validate, NaN fails every range and infinity passes an open one. A test sets every setting to values on both sides of each
    /// range and checks that Validate() throws exactly when this analyzer reports (DSL038).
    /// </summary>
    internal static readonly (string Setting, System.Func<double, bool> Valid, string Allowed, double Default)[] Ranges =
    [
        ("PerDeviceTrainBatchSize", v => v >= 1, "at least 1", 1),
        ("PerDeviceEvalBatchSize", v => v >= 1, "at least 1", 1),
        ("WeightDecay", v => v >= 0, "0 or more", 0),
        ("AdamBeta1", v => v >= 0 && v < 1, "in [0, 1)", 0.9),
        ("AdamBeta2", v => v >= 0 && v < 1, "in [0, 1)", 0.999),
        ("AdamEpsilon", v => v >= 0, "0 or more", 1e-8),
        ("MaxGradNorm", v => v >= 0, "0 (no clipping) or more", 1),
        ("MaxSteps", v => v == -1 || v > 0, "-1 (use NumTrainEpochs) or at least 1", -1),
        ("WarmupSteps", v => v >= 0, "0 or more", 0),
        ("EvalDelay", v => v >= 0, "0 or more", 0),
        ("DataloaderPrefetchFactor", v => v >= 0, "0 or more", 0),
        // Settings of other branches' TrainingArguments (early stopping, evaluation, label smoothing): inert where the
        // setting does not exist, and what ValidateInStepTests asks for where it does.
        ("EarlyStoppingPatience", v => v >= 1, "null (off) or at least 1", 1),
        ("EarlyStoppingThreshold", v => v >= 0 && IsFinite(v), "a finite number, 0 or more", 0),
        ("EvalAccumulationSteps", v => v >= 1, "null (keep on the device) or at least 1", 1),
        ("LabelSmoothingFactor", v => v >= 0 && v <= 1, "in [0, 1] (0: no smoothing)", 0),
    ];

    /// <summary>
    /// The value a code fix puts in place of an out-of-range one: the range's bound nearest to it (1 for a batch
    /// size of 0, 0 for a negative decay, 1 for MaxSteps 0); for a value above an open bound (AdamBeta2 = 1) or
    /// not finite, the default. Null for a setting of no range here.
    /// </summary>
    internal static double? NearestValid(string setting, double value)
    {
        foreach (var range in Ranges)
        {
            if (range.Setting != setting) continue;
            if (!IsFinite(value)) return range.Default;
            return setting switch
            {
                "MaxSteps" => value < -1 ? -1 : 1,
                "AdamBeta1" or "AdamBeta2" => value < 0 ? 0 : range.Default,
                "PerDeviceTrainBatchSize" or "PerDeviceEvalBatchSize" or "EarlyStoppingPatience" or "EvalAccumulationSteps" => 1,
                "LabelSmoothingFactor" when value > 1 => 1,
                _ => 0,
            };
        }
        return null;
    }

    private static void CheckRanges(ArgumentValues values, Reporter report)
    {
        foreach (var (setting, valid, allowed, _) in Ranges)
            if (values.TryGetDouble(setting, out double value) && !valid(value))
                report.On(values, setting, DiagnosticDescriptors.SettingOutOfRange, setting, ArgumentValues.Format(Boxed(values, setting)), allowed);

        // Validate: an output folder is a path, not blank.
        if (values.TryGet("OutputDir", out object? output) && (output is null || output is string text && text.Trim().Length == 0))
            report.On(values, "OutputDir", DiagnosticDescriptors.SettingOutOfRange, "OutputDir", ArgumentValues.Format(output), "a folder path");

        // Validate (HF: max_steps overrides num_train_epochs): the run's length comes from one of the two.
        if (values.TryGetDouble("NumTrainEpochs", out double epochs) && !(epochs > 0 && IsFinite(epochs))
            && values.TryGetInt("MaxSteps", out int maxSteps) && maxSteps <= 0)
            report.On(values, "NumTrainEpochs", DiagnosticDescriptors.NoTrainingLength, ArgumentValues.Format(epochs));

        // Validate: every scheduler argument is finite.
        if (values.ElementsOf("LrSchedulerKwargs") is { } kwargs)
            foreach (var (key, value, element) in kwargs)
                if (key is string name && value is not null && !IsFinite(System.Convert.ToDouble(value, CultureInfo.InvariantCulture)))
                    report.OnElement(element, DiagnosticDescriptors.SettingOutOfRange, $"LrSchedulerKwargs[{name}]", ArgumentValues.Format(value), "a finite number");
    }

    private static object? Boxed(ArgumentValues values, string setting) => values.TryGet(setting, out object? value) ? value : null;
}
