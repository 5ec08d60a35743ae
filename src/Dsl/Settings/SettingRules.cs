// Compiled into the runtime (net10.0) and, as a linked file, into Dsl.Generators (netstandard2.0):
// nothing here may use TorchSharp, the runtime's own types, or APIs netstandard2.0 lacks.
using System;
using System.Collections.Generic;

namespace Dsl.Settings;

/// <summary>
/// THE settings rules: what <c>TrainingArguments.Validate()</c> throws on when training starts (HF's
/// <c>TrainingArguments.__post_init__</c>), and what the analyzers report where the same settings are
/// constants (<c>new TrainingArguments { ... }</c>, a <c>with</c>). Both read this one table, so they cannot
/// disagree; the runtime's message is the analyzer's, with a final period.
/// </summary>
/// <remarks>
/// <para><b>Adding a rule.</b> (1) Add the setting to <c>TrainingArguments</c> and its default to
/// <see cref="Defaults"/> (a test compares the two). (2) Add one entry to <see cref="All"/>, where the runtime
/// should check it (the first broken rule is the one Validate throws). A single-setting range is one line:
/// <c>Range("LoraRank", v => v >= 1, "at least 1", nearest: _ => 8)</c> (reported as DSL038, "TrainingArguments.LoraRank
/// is 0; it must be at least 1"). Anything else is a <see cref="SettingRule"/>: its diagnostic ID, the setting to
/// blame, every setting it reads (a rule is decided only when all are known: at compile time that means
/// constants or a <c>new</c>'s defaults), when the settings can never work, and the arguments of the ID's
/// message format (<see cref="Formats"/>; a new ID also needs its descriptor in DiagnosticDescriptors.cs, a
/// section in docs/diagnostics.md and a line in AnalyzerReleases.Unshipped.md). Name enum members as strings
/// (<c>view.Member("SaveStrategy") == Steps</c>), never by number. <c>.AtTrainStart()</c> checks a rule only
/// when training starts; <c>.OnFileSystem()</c> only at run time. (3) Nothing else: ValidateInStepTests sets
/// every setting to values on both sides of every range and fails, naming the setting, where Validate and the
/// analyzers disagree, or where a rule reads a setting it did not declare.</para>
/// </remarks>
internal static partial class SettingRules
{
    // Enum members the rules name (a test checks each is a member of its enum).
    internal const string No = "No", Steps = "Steps", Best = "Best", Plateau = "ReduceLROnPlateau", Linear = "Linear";

    /// <summary>The report targets <c>ReportTo</c> may name.</summary>
    public static readonly string[] ReportTargets = ["all", "none", "console", "jsonl", "tensorboard"];

    /// <summary>The keys <c>LrSchedulerKwargs</c> may hold (HF's <c>lr_scheduler_kwargs</c> of the schedules here).</summary>
    public static readonly string[] SchedulerKwargs =
    [
        "num_cycles", "power", "lr_end", "min_lr", "min_lr_rate", "num_decay_steps", "num_stable_steps", "min_lr_ratio",
        "factor", "patience", "threshold", "cooldown", "eps",
    ];

    /// <summary>The keys <c>GradientCheckpointingKwargs</c> may hold (HF's <c>gradient_checkpointing_kwargs</c> that mean something here).</summary>
    public static readonly string[] CheckpointingKwargs = ["preserve_rng_state", "determinism_check", "use_reentrant"];

    /// <summary>
    /// The defaults of <c>TrainingArguments</c> (HF's) for every setting a rule reads: what a <c>new</c> leaves
    /// unset. Enum values by member name. A test compares them with a fresh <c>TrainingArguments</c>.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, object?> Defaults = new Dictionary<string, object?>
    {
        ["OutputDir"] = "trainer_output",
        ["LoggingDir"] = null,
        ["PerDeviceTrainBatchSize"] = 8,
        ["PerDeviceEvalBatchSize"] = 8,
        ["GradientAccumulationSteps"] = 1,
        ["LearningRate"] = 5e-5,
        ["WeightDecay"] = 0.0,
        ["AdamBeta1"] = 0.9,
        ["AdamBeta2"] = 0.999,
        ["AdamEpsilon"] = 1e-8,
        ["MaxGradNorm"] = 1.0,
        ["NumTrainEpochs"] = 3.0,
        ["MaxSteps"] = -1,
        ["WarmupRatio"] = 0.0,
        ["WarmupSteps"] = 0,
        ["EvalDelay"] = 0.0,
        ["DataloaderPrefetchFactor"] = 2,
        ["SaveTotalLimit"] = null,
        ["EarlyStoppingPatience"] = null,
        ["EarlyStoppingThreshold"] = 0.0,
        ["EvalAccumulationSteps"] = null,
        ["LoggingStrategy"] = Steps,
        ["LoggingSteps"] = 500.0,
        ["SaveStrategy"] = Steps,
        ["SaveSteps"] = 500.0,
        ["EvalStrategy"] = No,
        ["EvalSteps"] = null,
        ["LoadBestModelAtEnd"] = false,
        ["MetricForBestModel"] = null,
        ["LrSchedulerType"] = Linear,
        ["LabelSmoothingFactor"] = 0.0,
        ["Bf16"] = false,
        ["Fp16"] = false,
        ["Bf16FullEval"] = false,
        ["Fp16FullEval"] = false,
        ["Device"] = null,
        ["GradientCheckpointing"] = false,
    };

    /// <summary>The message formats of the rules' diagnostics; a range rule with an ID of its own gets its format from the rule.</summary>
    private static readonly Dictionary<string, string> Formats = new()
    {
        ["DSL021"] = "TrainingArguments.{0} is {1} with {2}; it must be above 0, and a whole number when 1 or more (below 1 it is a fraction of the run)",
        ["DSL025"] = "TrainingArguments sets both {0} and {1}{2}; choose one precision",
        ["DSL026"] = "LoadBestModelAtEnd needs evaluations to pick the best model, but EvalStrategy is No{0}; set EvalStrategy to Steps or Epoch",
        ["DSL027"] = "LoadBestModelAtEnd needs the checkpoints to be saved where evaluations are (HF's rule), but SaveStrategy is {0} and EvalStrategy is {1}; make them match, or set SaveStrategy to Best (saves on each new best)",
        ["DSL028"] = "LoadBestModelAtEnd needs every checkpoint to be saved at an evaluation step (HF's rule), but SaveSteps ({0}) is not a multiple of EvalSteps ({1}{2})",
        ["DSL033"] = "SaveStrategy is Best, which saves on a new best MetricForBestModel, but no metric is set; set MetricForBestModel (or LoadBestModelAtEnd, which defaults it to loss)",
        ["DSL038"] = "TrainingArguments.{0} is {1}; it must be {2}",
        ["DSL039"] = "TrainingArguments.NumTrainEpochs is {0} and MaxSteps is not set, so the run has no length; train for more than 0 epochs, or set MaxSteps to the number of optimizer steps",
        ["DSL040"] = "EarlyStoppingPatience stops training when an evaluation metric stops improving, but {0}; {1}",
        ["DSL047"] = "TrainingArguments.{0} has '{1}', which is not {2}; use {3}",
        ["DSL048"] = "TrainingArguments.LrSchedulerType is ReduceLROnPlateau, which steps with the evaluation metric, but EvalStrategy is No{0}; set EvalStrategy to Steps or Epoch",
    };

    /// <summary>Every rule, in the order the runtime checks them.</summary>
    public static readonly SettingRule[] All =
    [
        new SettingRule("DSL038", "OutputDir", ["OutputDir"],
            s => s.Text("OutputDir") is not { } path || path.Trim().Length == 0,
            s => ["OutputDir", Show(s.Value("OutputDir")), "a folder path"]),
        // Found at the start, not at the first save or log hours later.
        new SettingRule("DSL038", "OutputDir", ["OutputDir"],
            s => s.Text("OutputDir") is { } path && path.Trim().Length > 0 && s.IsExistingFile(path),
            s => ["OutputDir", Show(s.Value("OutputDir")), "a folder, not an existing file"]).OnFileSystem(),
        new SettingRule("DSL038", "LoggingDir", ["LoggingDir"],
            s => s.Text("LoggingDir") is { } path && path.Trim().Length > 0 && s.IsExistingFile(path),
            s => ["LoggingDir", Show(s.Value("LoggingDir")), "a folder, not an existing file"]).OnFileSystem(),

        Range("PerDeviceTrainBatchSize", v => v >= 1, "at least 1", nearest: _ => 1),
        Range("PerDeviceEvalBatchSize", v => v >= 1, "at least 1", nearest: _ => 1),
        Range("GradientAccumulationSteps", v => v >= 1, "at least 1", id: "DSL020", note: "the batches whose gradients add up to one optimizer step"),
        Range("LearningRate", v => v > 0 && IsFinite(v), "a finite number above 0", id: "DSL023"),
        Range("WeightDecay", v => v >= 0, "0 or more", nearest: _ => 0),
        Range("AdamBeta1", v => v >= 0 && v < 1, "in [0, 1)", nearest: v => v < 0 ? 0 : 0.9),
        Range("AdamBeta2", v => v >= 0 && v < 1, "in [0, 1)", nearest: v => v < 0 ? 0 : 0.999),
        Range("AdamEpsilon", v => v >= 0, "0 or more", nearest: _ => 0),
        Range("MaxGradNorm", v => v >= 0, "0 (no clipping) or more", nearest: _ => 0),
        // HF: max_steps overrides num_train_epochs, so the run's length comes from one of the two.
        new SettingRule("DSL039", "NumTrainEpochs", ["NumTrainEpochs", "MaxSteps"],
            s => s.Number("MaxSteps") <= 0 && !(s.Number("NumTrainEpochs") > 0 && IsFinite(s.Number("NumTrainEpochs"))),
            s => [Show(s.Value("NumTrainEpochs"))]),
        Range("MaxSteps", v => v == -1 || v > 0, "-1 (use NumTrainEpochs) or at least 1", nearest: v => v < -1 ? -1 : 1),
        Range("WarmupRatio", v => v >= 0 && v < 1, "in [0, 1)", id: "DSL024", note: "the fraction of the training steps spent warming up"),
        Range("WarmupSteps", v => v >= 0, "0 or more", nearest: _ => 0),
        Range("EvalDelay", v => v >= 0, "0 or more", nearest: _ => 0),
        Range("DataloaderPrefetchFactor", v => v >= 0, "0 or more", nearest: _ => 0),
        Range("SaveTotalLimit", v => v >= 0, "null or 0 (keep every checkpoint), or the number of checkpoints to keep", id: "DSL022"),
        Range("EarlyStoppingPatience", v => v >= 1, "null (off) or at least 1", nearest: _ => 1),
        Range("EarlyStoppingThreshold", v => v >= 0 && IsFinite(v), "a finite number, 0 or more", nearest: _ => 0),
        Range("EvalAccumulationSteps", v => v >= 1, "null (keep on the device) or at least 1", nearest: _ => 1),

        // HF: a Steps strategy needs its interval above 0; evaluation uses LoggingSteps when EvalSteps is null.
        Interval("LoggingSteps", "LoggingStrategy"),
        Interval("SaveSteps", "SaveStrategy"),
        new SettingRule("DSL021", "EvalSteps", ["EvalSteps", "EvalStrategy"],
            s => s.Member("EvalStrategy") == Steps && !s.IsNull("EvalSteps") && InvalidSteps(s.Number("EvalSteps")),
            s => ["EvalSteps", Show(s.Value("EvalSteps")), "EvalStrategy = Steps"]),
        new SettingRule("DSL021", "LoggingSteps", ["LoggingSteps", "EvalStrategy", "EvalSteps", "LoggingStrategy"],
            s => s.Member("EvalStrategy") == Steps && s.IsNull("EvalSteps") && s.Member("LoggingStrategy") != Steps
                 && InvalidSteps(s.Number("LoggingSteps")),
            s => ["LoggingSteps", Show(s.Value("LoggingSteps")), "EvalStrategy = Steps and EvalSteps null (evaluation uses LoggingSteps)"]),

        // HF's three conditions on load_best_model_at_end, in its order (each assumes the ones before it hold).
        new SettingRule("DSL026", "LoadBestModelAtEnd", ["LoadBestModelAtEnd", "EvalStrategy"],
            s => s.Flag("LoadBestModelAtEnd") && s.Member("EvalStrategy") == No,
            s => [s.DefaultNote("EvalStrategy")]),
        new SettingRule("DSL027", "LoadBestModelAtEnd", ["LoadBestModelAtEnd", "EvalStrategy", "SaveStrategy"],
            s => s.Flag("LoadBestModelAtEnd") && s.Member("EvalStrategy") != No && s.Member("SaveStrategy") != Best
                 && s.Member("SaveStrategy") != s.Member("EvalStrategy"),
            s => [s.Member("SaveStrategy"), s.Member("EvalStrategy")]),
        new SettingRule("DSL028", "LoadBestModelAtEnd", ["LoadBestModelAtEnd", "EvalStrategy", "SaveStrategy", "SaveSteps", "EvalSteps", "LoggingSteps"],
            s => s.Flag("LoadBestModelAtEnd") && s.Member("EvalStrategy") == Steps && s.Member("SaveStrategy") == Steps
                 && s.Number("SaveSteps") >= 1 && EvalStepsOf(s) >= 1 && s.Number("SaveSteps") % EvalStepsOf(s) != 0,
            s => [Show(s.Value("SaveSteps")), Show(EvalStepsOf(s)), s.IsNull("EvalSteps") ? ", from LoggingSteps" : ""]),
        // HF __post_init__: "lr_scheduler_type reduce_lr_on_plateau requires an eval strategy".
        new SettingRule("DSL048", "LrSchedulerType", ["LrSchedulerType", "EvalStrategy"],
            s => s.Member("LrSchedulerType") == Plateau && s.Member("EvalStrategy") == No,
            s => [s.DefaultNote("EvalStrategy")]),
        Range("LabelSmoothingFactor", v => v >= 0 && v <= 1, "in [0, 1] (0: no smoothing)", nearest: v => v > 1 ? 1 : 0),
        // HF: LoadBestModelAtEnd and the plateau schedule default the metric to loss.
        new SettingRule("DSL033", "SaveStrategy", ["SaveStrategy", "MetricForBestModel", "LoadBestModelAtEnd", "LrSchedulerType"],
            s => s.Member("SaveStrategy") == Best && s.IsNull("MetricForBestModel") && !s.Flag("LoadBestModelAtEnd")
                 && s.Member("LrSchedulerType") != Plateau,
            _ => []),

        // One run has one precision. (Fp16 alone is fine: the loss is scaled.)
        new SettingRule("DSL025", "Bf16", ["Bf16", "Fp16"], s => s.Flag("Bf16") && s.Flag("Fp16"), _ => ["Bf16", "Fp16", ""]).AsExclusivePair(),
        new SettingRule("DSL025", "Bf16FullEval", ["Bf16FullEval", "Fp16FullEval"],
            s => s.Flag("Bf16FullEval") && s.Flag("Fp16FullEval"), _ => ["Bf16FullEval", "Fp16FullEval", ""]).AsExclusivePair(),

        new SettingRule("DSL047", "ReportTo", ["ReportTo"],
            s => !(s.Element is string target && Array.IndexOf(ReportTargets, target) >= 0),
            s => ["ReportTo", Convert.ToString(s.Element, System.Globalization.CultureInfo.InvariantCulture) ?? "null", "a report target",
                  string.Join(", ", ReportTargets) + Suggestion(s.Element as string ?? "", ReportTargets)]).PerElement("ReportTo"),
        new SettingRule("DSL047", "LrSchedulerKwargs", ["LrSchedulerKwargs"],
            s => !(s.Key is string key && Array.IndexOf(SchedulerKwargs, key) >= 0),
            s => ["LrSchedulerKwargs", s.Key as string ?? "null", "a scheduler argument",
                  string.Join(", ", SchedulerKwargs) + Suggestion(s.Key as string ?? "", SchedulerKwargs)]).PerElement("LrSchedulerKwargs"),
        new SettingRule("DSL038", "LrSchedulerKwargs", ["LrSchedulerKwargs"],
            s => s.Element is not null && !IsFinite(ToNumber(s.Element)),
            s => ["LrSchedulerKwargs[" + s.Key + "]", Show(s.Element), "a finite number"]).PerElement("LrSchedulerKwargs"),
        // Read when training starts (GradientCheckpointingOptions), checked here so a wrong key fails before anything runs.
        new SettingRule("DSL047", "GradientCheckpointingKwargs", ["GradientCheckpointingKwargs"],
            s => !(s.Key is string key && Array.IndexOf(CheckpointingKwargs, key) >= 0),
            s => ["GradientCheckpointingKwargs", s.Key as string ?? "null", "a gradient checkpointing argument",
                  string.Join(", ", CheckpointingKwargs) + Suggestion(s.Key as string ?? "", CheckpointingKwargs)]).PerElement("GradientCheckpointingKwargs"),
        new SettingRule("DSL047", "GradientCheckpointingKwargs", ["GradientCheckpointingKwargs"],
            s => s.Key is string key && Array.IndexOf(CheckpointingKwargs, key) >= 0
                 && (key == "determinism_check" ? s.Element is not ("default" or "none") : s.Element is not bool),
            s => ["GradientCheckpointingKwargs[\"" + s.Key + "\"]", Convert.ToString(s.Element, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
                  (string)s.Key! == "determinism_check" ? "a determinism check" : "a bool",
                  (string)s.Key! == "determinism_check" ? "default or none" : "true or false"]).PerElement("GradientCheckpointingKwargs"),
        new SettingRule("DSL047", "Device", ["Device"],
            s => s.Text("Device") is { } device && !s.IsDevice(device),
            s => ["Device", s.Text("Device")!, "a device libtorch can parse",
                  "cpu, cuda or cuda:N" + Suggestion(s.Text("Device")!.Split(':')[0].ToLowerInvariant(), ["cpu", "cuda"])]),

        // HF's EarlyStoppingCallback.on_train_begin: early stopping needs evaluations and a metric to watch.
        new SettingRule("DSL040", "EarlyStoppingPatience", ["EarlyStoppingPatience", "EvalStrategy"],
            s => !s.IsNull("EarlyStoppingPatience") && s.Member("EvalStrategy") == No,
            s => ["EvalStrategy is No" + s.DefaultNote("EvalStrategy"), "set EvalStrategy to Steps or Epoch"]).AtTrainStart(),
        new SettingRule("DSL040", "EarlyStoppingPatience",
            ["EarlyStoppingPatience", "EvalStrategy", "MetricForBestModel", "LoadBestModelAtEnd", "LrSchedulerType"],
            s => !s.IsNull("EarlyStoppingPatience") && s.Member("EvalStrategy") != No && s.IsNull("MetricForBestModel")
                 && !s.Flag("LoadBestModelAtEnd") && s.Member("LrSchedulerType") != Plateau,
            _ => ["MetricForBestModel is null", "set MetricForBestModel (e.g. \"loss\"), or LoadBestModelAtEnd, which defaults it to loss"]).AtTrainStart(),
    ];

    /// <summary>The rules <paramref name="values"/> break, in table order; all stages when <paramref name="stage"/> is null.</summary>
    public static IEnumerable<BrokenRule> Check(ISettingValues values, RuleStage? stage = null)
    {
        foreach (var rule in All)
        {
            if ((stage is { } only && rule.Stage != only) || (rule.ReadsFileSystem && !values.CanReadFileSystem)) continue;
            if (rule.Elements is { } setting)
            {
                if (!values.TryGetElements(setting, out var elements)) continue;
                for (int i = 0; i < elements.Count; i++)
                {
                    var element = new SettingView(values, rule, elements[i].Key, elements[i].Value);
                    if (rule.Broken(element)) yield return new BrokenRule(rule, rule.Arguments(element), i);
                }
                continue;
            }
            if (!AllKnown(values, rule.Reads)) continue;
            var view = new SettingView(values, rule);
            if (rule.Broken(view)) yield return new BrokenRule(rule, rule.Arguments(view), -1);
        }
    }

    /// <summary>The message format of the diagnostic <paramref name="id"/> (string.Format holes).</summary>
    public static string Format(string id)
    {
        if (Formats.TryGetValue(id, out string? format)) return format;
        foreach (var rule in All)
            if (rule.Id == id && rule.RangeFormat is { } range) return range;
        throw new ArgumentException($"No settings rule has the ID {id}.", nameof(id));
    }

    /// <summary>
    /// The value a code fix puts in place of an out-of-range one: the range's bound nearest to it (1 for a batch
    /// size of 0, 0 for a negative decay, 1 for MaxSteps 0); for a value above an open bound (AdamBeta2 = 1) or
    /// not finite, the default. Null for a setting of no range with a fix.
    /// </summary>
    public static double? NearestValid(string setting, double value)
    {
        foreach (var rule in All)
            if (rule.Nearest is { } nearest && rule.Blame[0] == setting)
                return IsFinite(value) ? nearest(value) : ToNumber(Defaults[setting]);
        return null;
    }

    private static bool AllKnown(ISettingValues values, string[] settings)
    {
        foreach (string setting in settings)
            if (!values.TryGet(setting, out _)) return false;
        return true;
    }

    /// <summary>A range on one numeric setting; null passes (a nullable setting's "off").</summary>
    private static SettingRule Range(string setting, Func<double, bool> valid, string allowed, string id = "DSL038", string? note = null,
        Func<double, double>? nearest = null)
    {
        string must = note is null ? allowed : allowed + " (" + note + ")";
        var rule = new SettingRule(id, setting, [setting],
            s => s.Value(setting) is not null && !valid(s.Number(setting)),
            s => id == "DSL038" ? [setting, Show(s.Value(setting)), must] : [Show(s.Value(setting))]);
        if (id != "DSL038") rule.RangeFormat = "TrainingArguments." + setting + " is {0}; it must be " + must;
        return nearest is null ? rule : rule.FixedBy(nearest);
    }

    /// <summary>HF: with a Steps strategy, its interval must be above 0, and whole when 1 or more.</summary>
    private static SettingRule Interval(string steps, string strategy) =>
        new("DSL021", steps, [steps, strategy],
            s => s.Member(strategy) == Steps && InvalidSteps(s.Number(steps)),
            s => [steps, Show(s.Value(steps)), strategy + " = Steps"]);

    private static bool InvalidSteps(double steps) => !(steps > 0 && IsFinite(steps)) || (steps >= 1 && steps != Math.Floor(steps));

    private static double EvalStepsOf(SettingView s) => s.IsNull("EvalSteps") ? s.Number("LoggingSteps") : s.Number("EvalSteps");
}
