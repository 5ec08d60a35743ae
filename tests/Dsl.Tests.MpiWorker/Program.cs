using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Dsl;
using Dsl.Tests.MpiWorker;
using TorchSharp;

// Usage: dotnet Dsl.Tests.MpiWorker.dll --result DIR [--batch 8] [--ga 1] [--examples 320] [--epochs 1]
//   [--eval-examples 0] [--eval-batch 8] [--dropout 0] [--save-steps 0] [--output DIR] [--resume last]
//   [--die-at-step K] [--hang-at-step K] [--die-before-start 1] [--throw-at-step K] [--seed-by-rank 1] [--timeout 1800] [--bucket-mb 25] [--threads 1] [--width 16] [--max-steps -1]
//   [--ragged-eval 1] [--fault-rank 1] [--kill-at-step K] [--null-at-step K] [--term-at-step K] [--announce 1] [--sleep-ms 0]
//   [--save-on-each-node 1]
//   [--collectives 1]
// Every rank writes DIR/rank-{rank}.json. The faults happen on --fault-rank (default 1).
var options = Options.Parse(args);
torch.set_num_threads(options.Int("threads", 1));
var launch = Dsl.Distributed.Launch.Current;
int faultRank = options.Int("fault-rank", 1);
if (options.Has("collectives"))
{
    var collectives = Collectives.Run(Path.Combine(options.String("result"), "output"));
    Directory.CreateDirectory(options.String("result"));
    File.WriteAllText(Path.Combine(options.String("result"), $"rank-{collectives["rank"]}.json"), collectives.ToJsonString());
    return 0;
}

int width = options.Int("width", 16);
// --seed-by-rank 1 initialises every rank differently: training must start from rank 0's weights anyway.
int initSeed = 1 + (options.Has("seed-by-rank") ? launch.Rank : 0);
var model = WorkerNet.Create(seed: initSeed, dropout: options.Double("dropout", 0), width: width);
var trainingArguments = new TrainingArguments
{
    OutputDir = options.String("output", Path.Combine(options.String("result"), "output")),
    ReportTo = ["none"],
    DisableTqdm = true,
    LearningRate = 1e-2,
    PerDeviceTrainBatchSize = options.Int("batch", 8),
    PerDeviceEvalBatchSize = options.Int("eval-batch", 8),
    GradientAccumulationSteps = options.Int("ga", 1),
    NumTrainEpochs = options.Double("epochs", 1),
    MaxSteps = options.Int("max-steps", -1),
    LoggingSteps = 1,
    SaveStrategy = options.Int("save-steps", 0) > 0 ? SaveStrategy.Steps : SaveStrategy.No,
    SaveSteps = Math.Max(1, options.Int("save-steps", 0)),
    DataloaderPrefetchFactor = 2,
    DdpTimeout = options.Int("timeout", 1800),
    DdpBucketCapMb = options.Double("bucket-mb", 25),
    SaveOnEachNode = options.Has("save-on-each-node"),
};

var trainer = new WorkerTrainer(model, trainingArguments)
{
    IsFaultRank = launch.Rank == faultRank,
    KillAtStep = options.Int("kill-at-step", -1),
    TermAtStep = options.Int("term-at-step", -1),
    Announce = options.Has("announce"),
    SleepPerStep = TimeSpan.FromMilliseconds(options.Int("sleep-ms", 0)),
    NullAtStep = options.Int("null-at-step", -1),
    DieAtStep = options.Int("die-at-step", -1),
    HangAtStep = options.Int("hang-at-step", -1),
    ThrowAtStep = options.Int("throw-at-step", -1),
    RaggedEval = options.Has("ragged-eval"),
};
var train = WorkerData.Make(options.Int("examples", 320), seed: 7);
if (options.Has("die-before-start") && launch.Rank == faultRank)
{
    Console.Error.WriteLine($"rank {faultRank}: exiting before training starts, on purpose");
    return 3;
}
int evalExamples = options.Int("eval-examples", 0);

var clock = Stopwatch.StartNew();
var output = trainer.Train(train, resumeFromCheckpoint: options.Has("resume") ? options.String("resume") : null);
double seconds = clock.Elapsed.TotalSeconds;
// Every sum this rank took part in (gradients, and the logged loss at each log step), per optimizer step.
var group = Dsl.Distributed.DistributedLaunch.Current;
int rank = group?.Rank ?? 0, worldSize = group?.WorldSize ?? 1;
double bytesPerStep = (double)(group?.BytesAllReduced ?? 0) / Math.Max(1, output.GlobalStep - trainer.FirstStep);
var result = new JsonObject
{
    ["rank"] = rank,
    ["world_size"] = worldSize,
    ["host"] = Environment.MachineName,
    ["abi"] = (group as Dsl.Distributed.MpiProcessGroup)?.Abi,
    ["global_step"] = output.GlobalStep,
    ["first_step"] = trainer.FirstStep,
    ["is_world_process_zero"] = trainer.State.IsWorldProcessZero,
    ["train_loss"] = output.TrainingLoss,
    ["seconds"] = seconds,
    ["bytes_allreduced_per_step"] = bytesPerStep,
    ["seconds_in_collectives"] = group?.TimeInCollectives.TotalSeconds ?? 0,
    ["seconds_in_allreduce"] = group?.TimeInAllReduce.TotalSeconds ?? 0,
    ["log_history"] = new JsonArray(trainer.State.LogHistory.Select(e => (JsonNode?)e.ToJson()).ToArray()),
    ["weights"] = new JsonObject(model.Snapshot().Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray(p.Value.Select(v => (JsonNode?)v).ToArray())))),
};
if (evalExamples > 0)
{
    var evalSet = WorkerData.Make(evalExamples, seed: 11);
    var metrics = trainer.Evaluate(evalSet);
    result["eval"] = new JsonObject(metrics.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));
    using var predictions = trainer.Predict(evalSet);
    result["predictions"] = new JsonArray(predictions.Predictions!.data<float>().ToArray().Select(v => (JsonNode?)v).ToArray());
    result["label_ids"] = new JsonArray(predictions.LabelIds!.data<long>().ToArray().Select(v => (JsonNode?)v).ToArray());
    result["predictions_shape"] = new JsonArray(predictions.Predictions.shape.Select(v => (JsonNode?)v).ToArray());
}
Directory.CreateDirectory(options.String("result"));
File.WriteAllText(Path.Combine(options.String("result"), $"rank-{rank}.json"), result.ToJsonString());
if (rank == 0)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"world {worldSize} steps {output.GlobalStep} in {seconds:0.000} s: {output.GlobalStep / seconds:0.00} steps/s, {bytesPerStep:0} bytes allreduced per step, {1000 * (group?.TimeInAllReduce.TotalSeconds ?? 0) / Math.Max(1, output.GlobalStep - trainer.FirstStep):0.00} ms in allreduce per step on rank 0"));
return 0;

/// <summary>--name value pairs.</summary>
internal sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected --name value, got '{args[i]}'.");
            values[args[i][2..]] = args[i + 1];
        }
        return new Options(values);
    }

    public bool Has(string name) => values.ContainsKey(name);
    public string String(string name, string? fallback = null) =>
        values.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required.");
    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public double Double(string name, double fallback) => values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
