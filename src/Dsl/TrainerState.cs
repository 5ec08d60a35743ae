using System.Text.Json.Nodes;
using Dsl.Logging;

namespace Dsl;

/// <summary>
/// Where training stands, with the fields of Hugging Face's <c>TrainerState</c>; saved in every
/// checkpoint as <c>trainer_state.json</c> and read back on resume.
/// </summary>
public sealed class TrainerState
{
    /// <summary>The epoch, with the fraction done of the current one (e.g. 1.25).</summary>
    public double Epoch { get; set; }

    /// <summary>Optimizer steps done.</summary>
    public int GlobalStep { get; set; }

    /// <summary>The checkpoint step this run resumed from, or null; not saved. Log files drop what was logged after it.</summary>
    internal int? ResumedAtStep { get; set; }

    /// <summary>Optimizer steps this run will do in all.</summary>
    public int MaxSteps { get; set; }

    /// <summary>Resolved logging interval in steps.</summary>
    public int LoggingSteps { get; set; } = 500;

    /// <summary>Resolved evaluation interval in steps.</summary>
    public int EvalSteps { get; set; } = 500;

    /// <summary>Resolved save interval in steps.</summary>
    public int SaveSteps { get; set; } = 500;

    /// <summary>Examples per training batch.</summary>
    public int TrainBatchSize { get; set; }

    /// <summary>Epochs the run will do (rounded up).</summary>
    public int NumTrainEpochs { get; set; }

    /// <summary>Tokens seen (not tracked yet; kept for HF's layout).</summary>
    public long NumInputTokensSeen { get; set; }

    /// <summary>Floating-point operations done (not tracked yet; kept for HF's layout).</summary>
    public double TotalFlos { get; set; }

    /// <summary>
    /// The state of stateful callbacks at this step (HF's <c>stateful_callbacks</c>): by name, an object with
    /// <c>args</c> and <c>attributes</c>. Early stopping writes <c>EarlyStoppingCallback</c>, the loop
    /// <c>TrainerControl</c>, and a trainer implementing <see cref="IHookState"/> its class name.
    /// </summary>
    public Dictionary<string, JsonObject> StatefulCallbacks { get; } = [];

    /// <summary>Every log entry so far: training logs, evaluations and the final summary.</summary>
    public List<LogEntry> LogHistory { get; } = [];

    /// <summary>The best value of <c>MetricForBestModel</c> so far.</summary>
    public double? BestMetric { get; set; }

    /// <summary>The step that reached <see cref="BestMetric"/>.</summary>
    public int? BestGlobalStep { get; set; }

    /// <summary>The checkpoint folder holding the best model.</summary>
    public string? BestModelCheckpoint { get; set; }

    /// <summary>
    /// False on every rank of a data-parallel job but rank 0, the one that logs and saves (HF's
    /// <c>is_world_process_zero</c>): a hook that prints can check it. True when training alone.
    /// </summary>
    public bool IsWorldProcessZero { get; set; } = true;

    /// <summary>False on every rank but the first on its machine (HF's <c>is_local_process_zero</c>). True when training alone.</summary>
    public bool IsLocalProcessZero { get; set; } = true;

    /// <summary>True once <c>Train</c> has started in this trainer (evaluations then report <c>epoch</c>).</summary>
    public bool HasTrained { get; set; }

    /// <summary>The Fp16 loss scaler's scale and growth counter at this step; null without Fp16.</summary>
    public Precision.LossScalerState? LossScaler { get; set; }

    /// <summary>Schedule steps taken: <see cref="GlobalStep"/> less the Fp16 steps skipped on overflow (HF skips the schedule step too).</summary>
    public int ScheduleSteps => GlobalStep - (LossScaler?.SkippedSteps ?? 0);

    /// <summary>The state as Hugging Face writes it in <c>trainer_state.json</c>.</summary>
    public JsonObject ToJson()
    {
        var history = new JsonArray();
        foreach (var entry in LogHistory) history.Add(entry.ToJson());
        var json = new JsonObject
        {
            ["best_global_step"] = BestGlobalStep,
            ["best_metric"] = BestMetric,
            ["best_model_checkpoint"] = BestModelCheckpoint,
            ["epoch"] = Epoch,
            ["eval_steps"] = EvalSteps,
            ["global_step"] = GlobalStep,
            ["is_hyper_param_search"] = false,
            ["is_local_process_zero"] = IsLocalProcessZero,
            ["is_world_process_zero"] = IsWorldProcessZero,
            ["log_history"] = history,
            ["logging_steps"] = LoggingSteps,
            ["max_steps"] = MaxSteps,
            ["num_input_tokens_seen"] = NumInputTokensSeen,
            ["num_train_epochs"] = NumTrainEpochs,
            ["save_steps"] = SaveSteps,
            ["stateful_callbacks"] = StatefulCallbacksJson(),
            ["total_flos"] = TotalFlos,
            ["train_batch_size"] = TrainBatchSize,
            ["trial_name"] = null,
            ["trial_params"] = null,
        };
        // Only Fp16 runs have a loss scaler; float32 and bf16 states keep HF's keys alone.
        if (LossScaler is { } scaler)
            json["loss_scaler"] = new JsonObject
            {
                ["growth_tracker"] = scaler.GrowthTracker, ["scale"] = scaler.Scale, ["skipped_steps"] = scaler.SkippedSteps,
            };
        return json;
    }

    private JsonObject StatefulCallbacksJson()
    {
        var callbacks = new JsonObject();
        foreach (var (name, state) in StatefulCallbacks) callbacks[name] = state.DeepClone();
        return callbacks;
    }

    /// <summary><c>trainer_state.json</c>'s text: indent 2, sorted keys, Python's float format.</summary>
    public string ToJsonString() => PythonJson.Serialize(ToJson()) + "\n";

    // Python's json writes NaN, Infinity and -Infinity bare (a skipped Fp16 step logs such a grad_norm);
    // System.Text.Json rejects them, so they are read as strings and LogEntry turns them back.
    private static string QuoteNonFinite(string json)
    {
        if (!json.Contains("NaN", StringComparison.Ordinal) && !json.Contains("Infinity", StringComparison.Ordinal)) return json;
        var result = new System.Text.StringBuilder(json.Length + 16);
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < json.Length) result.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            string? literal = Literal(json, i);
            if (literal is null) { result.Append(c); continue; }
            result.Append('"').Append(literal).Append('"');
            i += literal.Length - 1;
        }
        return result.ToString();

        static string? Literal(string text, int at)
        {
            foreach (string literal in (ReadOnlySpan<string>)["NaN", "Infinity", "-Infinity"])
                if (string.CompareOrdinal(text, at, literal, 0, literal.Length) == 0) return literal;
            return null;
        }
    }

    /// <summary>Reads <c>trainer_state.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not a trainer state; the message names the file and key.</exception>
    public static TrainerState Load(string path)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(QuoteNonFinite(File.ReadAllText(path))) as JsonObject
                ?? throw new InvalidDataException($"{path}: expected a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        T Get<T>(string key, T fallback)
        {
            try { return obj[key] is { } node ? node.GetValue<T>() : fallback; }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}: '{key}' is {obj[key]?.ToJsonString()}, expected a {typeof(T).Name}.", e);
            }
        }

        var state = new TrainerState
        {
            Epoch = Get("epoch", 0.0),
            GlobalStep = Get("global_step", 0),
            MaxSteps = Get("max_steps", 0),
            LoggingSteps = Get("logging_steps", 500),
            EvalSteps = Get("eval_steps", 500),
            SaveSteps = Get("save_steps", 500),
            TrainBatchSize = Get("train_batch_size", 0),
            NumTrainEpochs = Get("num_train_epochs", 0),
            NumInputTokensSeen = Get("num_input_tokens_seen", 0L),
            TotalFlos = Get("total_flos", 0.0),
            BestMetric = obj["best_metric"] is null ? null : Get("best_metric", 0.0),
            BestGlobalStep = obj["best_global_step"] is null ? null : Get("best_global_step", 0),
            BestModelCheckpoint = obj["best_model_checkpoint"] is null ? null : Get("best_model_checkpoint", ""),
            HasTrained = true,
        };
        if (state.GlobalStep < 0)
            throw new InvalidDataException($"{path}: 'global_step' is {state.GlobalStep}; a step count is 0 or more. The file is damaged; resume from another checkpoint.");
        if (!double.IsFinite(state.Epoch) || state.Epoch < 0)
            throw new InvalidDataException($"{path}: 'epoch' is {state.Epoch}; expected a finite number, 0 or more. The file is damaged; resume from another checkpoint.");
        if (obj["loss_scaler"] is JsonObject scaler)
        {
            try
            {
                state.LossScaler = new Precision.LossScalerState(
                    scaler["scale"]?.GetValue<double>() ?? throw new InvalidDataException($"{path}: 'loss_scaler' has no 'scale'."),
                    scaler["growth_tracker"]?.GetValue<int>() ?? 0,
                    scaler["skipped_steps"]?.GetValue<int>() ?? 0);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}: 'loss_scaler' is {scaler.ToJsonString()}, expected a number 'scale' and integers 'growth_tracker' and 'skipped_steps'.", e);
            }
        }
        if (obj["stateful_callbacks"] is { } callbacks)
        {
            if (callbacks is not JsonObject named)
                throw new InvalidDataException($"{path}: 'stateful_callbacks' is {callbacks.ToJsonString()}, expected an object of callback states.");
            foreach (var (name, value) in named)
            {
                if (value is not JsonObject callback)
                    throw new InvalidDataException($"{path}: 'stateful_callbacks.{name}' is {value?.ToJsonString() ?? "null"}, expected an object with 'args' and 'attributes'.");
                state.StatefulCallbacks[name] = (JsonObject)callback.DeepClone();
            }
        }
        if (obj["log_history"] is JsonArray history)
            foreach (var item in history)
                if (item is JsonObject entry) state.LogHistory.Add(LogEntry.FromJson(entry));
        return state;
    }
}
