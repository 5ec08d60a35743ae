using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Dsl.Adapters;
using Dsl.Interop;
using Dsl.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Checkpoints;

/// <summary>
/// Checkpoints in Hugging Face's layout: <c>{OutputDir}/checkpoint-{step}/</c> with
/// <c>model.safetensors</c> and <c>config.json</c> (or, for a model with an adapter, only the adapter's files: see
/// <see cref="SaveWeights"/>), the optimizer, schedule and RNG state, and <c>trainer_state.json</c>. A checkpoint is written into a temporary folder and renamed, so a
/// folder named <c>checkpoint-N</c> is always complete.
/// </summary>
public static partial class Checkpoint
{
    /// <summary>HF's <c>PREFIX_CHECKPOINT_DIR</c>.</summary>
    public const string Prefix = "checkpoint";
    /// <summary>The model weights.</summary>
    public const string ModelFile = "model.safetensors";
    /// <summary>The model's configuration.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>The optimizer state, in TorchSharp's format.</summary>
    public const string OptimizerFile = "optimizer.bin";
    /// <summary>The schedule's state.</summary>
    public const string SchedulerFile = "scheduler.json";
    /// <summary>torch's CPU generator state.</summary>
    public const string RngFile = "rng_state.bin";
    /// <summary>Rank <paramref name="rank"/>'s generator state in a data-parallel run (HF's <c>rng_state_{rank}</c>).</summary>
    public static string RankRngFile(int rank) => $"rng_state_{rank.ToString(CultureInfo.InvariantCulture)}.bin";
    /// <summary>The trainer state (HF layout).</summary>
    public const string StateFile = "trainer_state.json";
    /// <summary>The arguments the run used.</summary>
    public const string ArgumentsFile = "training_args.json";

    [GeneratedRegex(@"^checkpoint-([0-9]+)$")]
    private static partial Regex CheckpointName();

    private static readonly JsonSerializerOptions ArgumentsJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The folder of the checkpoint at <paramref name="step"/>.</summary>
    public static string PathFor(string outputDir, int step) =>
        Path.Combine(outputDir, $"{Prefix}-{step.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// Writes a checkpoint of <paramref name="state"/>'s step and returns its folder. With
    /// <paramref name="optimizer"/> null only the model and trainer state are written. With
    /// <paramref name="rankRngStates"/> (a data-parallel run) each rank's generator state is written as
    /// <see cref="RankRngFile"/> instead of this process's as <see cref="RngFile"/>.
    /// </summary>
    public static string Save(string outputDir, nn.Module model, Optimizer? optimizer, LRScheduler? scheduler,
        TrainerState state, TrainingArguments args, IReadOnlyList<byte[]>? rankRngStates = null) =>
        Save(outputDir, model, optimizer, scheduler, state, args, rankRngStates, run: null);

    /// <summary><see cref="Save(string, nn.Module, Optimizer?, LRScheduler?, TrainerState, TrainingArguments, IReadOnlyList{byte[]}?)"/>, marked as written by <paramref name="run"/>.</summary>
    internal static string Save(string outputDir, nn.Module model, Optimizer? optimizer, LRScheduler? scheduler,
        TrainerState state, TrainingArguments args, IReadOnlyList<byte[]>? rankRngStates, CheckpointRun? run)
    {
        string final = PathFor(outputDir, state.GlobalStep);
        string temp = Path.Combine(outputDir, $"tmp-{Prefix}-{state.GlobalStep.ToString(CultureInfo.InvariantCulture)}");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);

        string writing = temp;   // the file being written, for the message when the disk is full
        string In(string file) => writing = Path.Combine(temp, file);
        try
        {
            In(AdapterOf(model) is null ? ModelFile : LoraModel.WeightsFile);
            SaveWeights(model, temp);
            if (optimizer is not null) SaveOptimizer(optimizer, In(OptimizerFile));
            if (scheduler is not null) SaveScheduler(scheduler, state.ScheduleSteps, In(SchedulerFile));
            if (optimizer is not null && rankRngStates is null) SaveRng(In(RngFile));
            if (optimizer is not null && rankRngStates is not null)
                for (int rank = 0; rank < rankRngStates.Count; rank++) File.WriteAllBytes(In(RankRngFile(rank)), rankRngStates[rank]);
            File.WriteAllText(In(ArgumentsFile), PythonJson.Serialize(ArgumentsToJson(args, optimizer)) + "\n");
            File.WriteAllText(In(StateFile), state.ToJsonString());
            if (run is not null) run.WriteInto(Path.GetDirectoryName(In(CheckpointRun.FileName))!);
            In(ChecksumsFile);
            WriteChecksums(temp);
            writing = temp;
            DurableFiles.FlushFolderAndFiles(temp);
        }
        catch (Exception e) when (StorageErrors.IsDiskFull(e))
        {
            throw DiskFullWhileSaving(e, writing, temp, outputDir, model, optimizer);
        }

        if (Directory.Exists(final)) DeleteByRenaming(final);
        Directory.Move(temp, final);
        DurableFiles.FlushFolder(outputDir);
        return final;
    }

    /// <summary>
    /// <c>training_args.json</c>: the arguments with HF's snake_case names and values (<c>"optim":
    /// "adamw_torch"</c>). HF types <c>logging_steps</c>, <c>save_steps</c> and <c>eval_steps</c> as
    /// float so that a value below 1 can be a fraction of training, yet writes the whole numbers users
    /// pass as integers (<c>"logging_steps": 10</c>); so does this. Integer arguments are integers
    /// (<c>"per_device_train_batch_size": 8</c>), floats are floats (<c>"max_grad_norm": 1.0</c>). <c>optim</c> is the argument's value,
    /// which only a trainer without <c>[Optimizer]</c> uses; <c>optimizer</c> names the optimizer that
    /// actually stepped (a trainer's own <c>[Optimizer]</c>, e.g. <c>SGD</c>).
    /// </summary>
    public static JsonObject ArgumentsToJson(TrainingArguments args, Optimizer? optimizer)
    {
        var json = JsonSerializer.SerializeToNode(args, ArgumentsJson)!.AsObject();
        // The serializer's numbers all read back as doubles (PythonJson would write 8 as 8.0): integer
        // properties are written as integers again, from their declared type.
        foreach (var property in typeof(TrainingArguments).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if ((type == typeof(int) || type == typeof(long)) && property.GetValue(args) is { } whole)
                json[JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name)] = Convert.ToInt64(whole, CultureInfo.InvariantCulture);
        }
        foreach (string key in (ReadOnlySpan<string>)["logging_steps", "save_steps", "eval_steps"])
            if (json[key] is JsonValue value && value.TryGetValue(out double steps) && steps >= 1 && steps == Math.Floor(steps) && steps <= long.MaxValue)
                json[key] = (long)steps;
        if (optimizer is not null) json["optimizer"] = optimizer.GetType().Name;
        return json;
    }

    /// <summary>Rewrites only <c>trainer_state.json</c> of an existing checkpoint (e.g. after an evaluation at the same step).</summary>
    public static void UpdateState(string checkpointDir, TrainerState state)
    {
        string temp = Path.Combine(checkpointDir, StateFile + ".tmp");
        try
        {
            using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(state.ToJsonString()));
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (StorageErrors.IsDiskFull(e))
        {
            File.Delete(temp);
            throw StorageErrors.DiskFull(temp, null, $"{Path.Combine(checkpointDir, StateFile)} is unchanged. Free some space and resume with resumeFromCheckpoint: \"last\".", e);
        }
        File.Move(temp, Path.Combine(checkpointDir, StateFile), overwrite: true);
        DurableFiles.FlushFolder(checkpointDir);
    }

    /// <summary>The checkpoint folders of <paramref name="outputDir"/> by step, oldest first, with the best one moved next to last so rotation keeps it (HF's <c>_sorted_checkpoints</c>).</summary>
    public static List<string> Sorted(string outputDir, string? bestCheckpoint = null)
    {
        var found = new List<(int Step, string Path)>();
        if (Directory.Exists(outputDir))
            foreach (string dir in Directory.EnumerateDirectories(outputDir, Prefix + "-*"))
            {
                var match = CheckpointName().Match(Path.GetFileName(dir));
                if (match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int step))
                    found.Add((step, dir));
            }
        found.Sort((a, b) => a.Step.CompareTo(b.Step));
        var sorted = found.Select(f => f.Path).ToList();
        if (bestCheckpoint is not null)
        {
            int best = sorted.FindIndex(p => SamePath(p, bestCheckpoint));
            if (best >= 0)
                for (int i = best; i < sorted.Count - 2; i++) (sorted[i], sorted[i + 1]) = (sorted[i + 1], sorted[i]);
        }
        return sorted;
    }

    /// <summary>
    /// Deletes the oldest checkpoints beyond <paramref name="limit"/>, never the best one (HF's
    /// <c>_rotate_checkpoints</c>). Returns the deleted folders.
    /// </summary>
    public static IReadOnlyList<string> Rotate(string outputDir, int? limit, string? bestCheckpoint) =>
        Rotate(outputDir, limit, bestCheckpoint, owner: null);

    /// <summary>
    /// <see cref="Rotate(string, int?, string?)"/> among the checkpoints <paramref name="owner"/> wrote (all of them when
    /// null): another run's checkpoints in the same folder are neither counted nor deleted.
    /// </summary>
    internal static IReadOnlyList<string> Rotate(string outputDir, int? limit, string? bestCheckpoint, CheckpointRun? owner)
    {
        if (limit is null or <= 0) return [];
        var sorted = Sorted(outputDir, bestCheckpoint);
        if (owner is not null) sorted = sorted.FindAll(owner.Wrote);
        if (sorted.Count <= limit) return [];
        // HF: with a limit of 1 and a best checkpoint that is not the newest, keep both.
        int keep = bestCheckpoint is not null && limit == 1 && !SamePath(sorted[^1], bestCheckpoint) ? 2 : limit.Value;
        var deleted = sorted.Take(Math.Max(0, sorted.Count - keep)).ToList();
        foreach (string dir in deleted) DeleteByRenaming(dir);
        return deleted;
    }

    /// <summary>
    /// Deletes every checkpoint in <paramref name="outputDir"/> but <paramref name="bestCheckpoint"/>. HF does
    /// this when training ends with <c>save_total_limit=1</c> and a best checkpoint (trainer.py, the end of
    /// <c>_inner_training_loop</c>): during training it keeps the newest too, so a run can resume; once
    /// finished, only the best is left. Returns the deleted folders.
    /// </summary>
    public static IReadOnlyList<string> KeepOnlyBest(string outputDir, string bestCheckpoint) =>
        KeepOnlyBest(outputDir, bestCheckpoint, owner: null);

    /// <summary><see cref="KeepOnlyBest(string, string)"/> among the checkpoints <paramref name="owner"/> wrote (all of them when null).</summary>
    internal static IReadOnlyList<string> KeepOnlyBest(string outputDir, string bestCheckpoint, CheckpointRun? owner)
    {
        ArgumentNullException.ThrowIfNull(bestCheckpoint);
        var deleted = Sorted(outputDir).Where(dir => !SamePath(dir, bestCheckpoint) && (owner is null || owner.Wrote(dir))).ToList();
        foreach (string dir in deleted) DeleteByRenaming(dir);
        return deleted;
    }

    /// <summary>
    /// Removes what an interrupted run left in <paramref name="outputDir"/>: half-written
    /// <c>tmp-checkpoint-N</c> and half-deleted <c>deleting-checkpoint-N</c> folders, never a
    /// <c>checkpoint-N</c>. Call it only while holding the folder's <see cref="OutputFolderLock"/>.
    /// </summary>
    public static void RemoveLeftovers(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return;
        foreach (string pattern in new[] { DeletingPrefix + Prefix + "-*", "tmp-" + Prefix + "-*" })
            foreach (string stale in Directory.EnumerateDirectories(outputDir, pattern)) Directory.Delete(stale, recursive: true);
    }

    private const string DeletingPrefix = "deleting-";

    // A kill in the middle of a recursive delete would leave a checkpoint-N folder with some files
    // gone. Renamed first (atomic), it stops being a checkpoint at once; what is left of it is removed
    // now or by the next rotation.
    private static void DeleteByRenaming(string dir)
    {
        string parent = Path.GetDirectoryName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar))!;
        string doomed = Path.Combine(parent, DeletingPrefix + Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar)));
        if (Directory.Exists(doomed)) Directory.Delete(doomed, recursive: true);
        Directory.Move(dir, doomed);
        DurableFiles.FlushFolder(parent);
        Directory.Delete(doomed, recursive: true);
    }

    /// <summary>
    /// The newest complete checkpoint in <paramref name="outputDir"/>, or null (HF's <c>get_last_checkpoint</c>, the
    /// highest step). When several runs wrote into the folder (<see cref="TrainingArguments.OverwriteOutputDir"/>), the
    /// newest run's highest step: an older run's checkpoint at a higher step is stale, not the last.
    /// </summary>
    public static string? Last(string outputDir)
    {
        var complete = Sorted(outputDir).FindAll(dir => File.Exists(Path.Combine(dir, StateFile)));
        if (complete.Count == 0) return null;
        var runs = complete.ConvertAll(CheckpointRun.NumberOf);
        return complete[runs.LastIndexOf(runs.Max())];
    }

    /// <summary>Writes the optimizer's state (TorchSharp's format).</summary>
    public static void SaveOptimizer(Optimizer optimizer, string path)
    {
        if (optimizer is not OptimizerHelper helper)
            throw new NotSupportedException(
                $"The optimizer {optimizer.GetType().Name} cannot save its state, so checkpoints cannot resume it; " +
                "set TrainingArguments.SaveOnlyModel = true or use one of TorchSharp's managed optimizers.");
        helper.save_state_dict(path);
    }

    /// <summary>Loads the optimizer's state written by <see cref="SaveOptimizer"/>.</summary>
    public static void LoadOptimizer(Optimizer optimizer, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No optimizer state at {path}; was the checkpoint saved with SaveOnlyModel?", path);
        if (optimizer is not OptimizerHelper helper)
            throw new NotSupportedException($"The optimizer {optimizer.GetType().Name} cannot load a saved state.");
        // TorchSharp allocates each state tensor with the shape written in the file, so a damaged
        // file could ask libtorch for any size. The state of one optimizer over one model always has
        // the same length: compare with the live state's length before reading anything.
        long length = new FileInfo(path).Length, expected = TorchSharpInternals.SavedStateLength(helper);
        if (length != expected)
            throw new InvalidDataException(
                $"{path} has {length} bytes but this optimizer's state takes {expected}: the file is damaged or was written " +
                "for another optimizer or model; resume from another checkpoint.");
        try { helper.load_state_dict(path); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException or IOException or FormatException or OverflowException or ExternalException)
        {
            throw new InvalidDataException($"{path}: the optimizer state does not fit this optimizer ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Writes the schedule's state: the steps taken and the last rates. TorchSharp's schedules have no
    /// state dict; every schedule here is a function of the step count, so restoring replays the steps.
    /// </summary>
    public static void SaveScheduler(LRScheduler scheduler, int stepsTaken, string path)
    {
        var rates = new JsonArray();
        foreach (double lr in scheduler.get_last_lr()) rates.Add(lr);
        var obj = new JsonObject
        {
            ["type"] = scheduler switch
            {
                LambdaSchedule named => named.Name,
                PlateauSchedule => "ReduceLROnPlateau",
                _ => scheduler.GetType().Name,
            },
            ["last_epoch"] = stepsTaken,
            ["_last_lr"] = rates,
        };
        // The plateau schedule is not a function of the step count: its counters are saved as they are.
        if (scheduler is PlateauSchedule plateau) plateau.WriteState(obj);
        File.WriteAllText(path, PythonJson.Serialize(obj) + "\n");
    }

    /// <summary>
    /// Restores a schedule by replaying its steps, then compares its rates with the saved ones. Call
    /// it on a new schedule, before loading the optimizer state. Returns a warning when they differ:
    /// the schedule changed (e.g. a longer run resumed from the end of a shorter one), and training
    /// continues on the new schedule, as Hugging Face's does.
    /// </summary>
    public static string? RestoreScheduler(LRScheduler scheduler, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No schedule state at {path}.", path);
        JsonObject obj;
        int steps;
        try
        {
            obj = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object.");
            steps = obj["last_epoch"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: 'last_epoch' is missing.");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a schedule state ({e.Message}).", e);
        }
        var saved = obj["_last_lr"]?.AsArray().Select(n => n!.GetValue<double>()).ToArray() ?? [];
        if (scheduler is PlateauSchedule plateau)
        {
            plateau.ReadState(obj, saved);
            return null;
        }
        for (int i = 0; i < steps; i++) scheduler.step();
        var now = scheduler.get_last_lr().ToArray();
        if (saved.Length == 0 || saved.SequenceEqual(now)) return null;
        return $"after replaying {steps} steps the schedule's rates are [{string.Join(", ", now)}], but {path} has " +
               $"[{string.Join(", ", saved)}]: the schedule changed since the checkpoint (other MaxSteps, epochs or [Scheduler]); " +
               "training continues on the new schedule.";
    }

    /// <summary>Writes torch's CPU generator state.</summary>
    public static void SaveRng(string path)
    {
        using var state = torch.get_rng_state();
        File.WriteAllBytes(path, state.bytes.ToArray());
    }

    /// <summary>
    /// Restores torch's CPU generator state written by <see cref="SaveRng"/>. The bytes are checked
    /// first: libtorch rejects a bad state with a C++ error that does not cross into .NET (the process
    /// aborts), so a state it would reject never reaches it.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a torch CPU generator state; the message names it.</exception>
    public static void LoadRng(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No RNG state at {path}.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (RngStateProblem(bytes) is { } problem)
            throw new InvalidDataException($"{path}: not a torch CPU generator state ({problem}); the checkpoint is damaged, resume from another one.");
        using var state = torch.tensor(bytes, torch.uint8);
        try { torch.set_rng_state(state); }
        catch (Exception e) when (e is ExternalException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a torch generator state ({bytes.Length} bytes).", e);
        }
    }

    /// <summary>What libtorch would reject in a CPU generator state, or null (see <see cref="TorchSharpInternals.RngStateProblem"/>).</summary>
    internal static string? RngStateProblem(ReadOnlySpan<byte> bytes) => TorchSharpInternals.RngStateProblem(bytes);

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
