using System.ComponentModel;
using System.Diagnostics;
using Dsl.Data;
using Dsl.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>
/// The bookkeeping of one <c>Evaluate</c> or <c>Predict</c> call (HF's <c>evaluation_loop</c>): the
/// model in eval mode, the loss summed on the device weighted by batch size, logits and labels kept
/// for the metrics, and HF's keys and rounding at the end. Called by generated code.
/// </summary>
/// <typeparam name="TBatch">The batch type of the evaluation step.</typeparam>
/// <typeparam name="TExample">The dataset's example type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EvaluationRun<TBatch, TExample> : IDisposable
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly nn.Module _model;
    private readonly bool _wasTraining;
    private readonly DataLoader<TBatch, TExample> _loader;
    private readonly bool _keepPredictions;
    private readonly string _stepName;
    private readonly TrainerState _state;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly EvalResult _metrics;
    private readonly List<Tensor> _logits = [];
    private readonly List<Tensor> _labels = [];
    private readonly Dictionary<int, Scalar> _sizeScalars = [];
    private Tensor? _lossSum;
    private int _examples;
    private Tensor? _predictions, _labelIds;
    private bool _handedOver;
    private readonly ProgressDisplay? _training, _ownProgress;
    private int _batches;
    private readonly MixedPrecision? _precision;   // null: float32
    private readonly Distributed.ProcessGroup? _group;   // null when this process evaluates alone
    private readonly int _datasetSize, _batchSize;
    private readonly bool _dropLast;

    private EvaluationRun(TrainingArguments args, nn.Module model, IReadOnlyList<TExample> dataset, string prefix,
        bool keepPredictions, string stepName, TrainerState state)
    {
        _model = model;
        _keepPredictions = keepPredictions;
        _stepName = stepName;
        _state = state;
        _metrics = new EvalResult(prefix);
        var device = args.ResolveDevice();
        TrainingRun.MoveToDevice(model, device);
        // Under mpirun each rank evaluates its own batches; Predictions and Finish gather them.
        _group = Distributed.DistributedLaunch.For(args);
        (_datasetSize, _batchSize, _dropLast) = (dataset.Count, args.PerDeviceEvalBatchSize, args.DataloaderDropLast);
        var shard = _group is null ? (Distributed.DataShard?)null : new Distributed.DataShard(_group.Rank, _group.WorldSize, EvenBatches: false);
        _loader = new DataLoader<TBatch, TExample>(dataset, args.PerDeviceEvalBatchSize, shuffle: false,
            dropLast: args.DataloaderDropLast, device: device, prefetch: args.DataloaderPrefetchFactor, shard: shard);
        if (_group is not null && dataset.Count > 0) Distributed.EvaluationGather.RequireBatchPerRank(_group, dataset.Count, _batchSize, _dropLast);
        if (_loader.Count == 0)
            throw new ArgumentException(dataset.Count == 0
                ? "The evaluation dataset is empty."
                : $"The evaluation dataset has {dataset.Count} examples, fewer than one batch of {args.PerDeviceEvalBatchSize} with DataloaderDropLast.");
        _wasTraining = model.training;
        model.eval();
        _precision = MixedPrecision.ForEvaluation(model, args, device);
        _loader.FloatDType = _precision?.BatchDType;

        // Nested under the training bar, or a bar of its own on an interactive terminal.
        bool show = !args.DisableTqdm && (_group?.IsMain ?? true);
        _training = show ? ProgressDisplay.Current : null;
        if (_training is not null) _training.StartEvaluation(_loader.Count);
        else _ownProgress = ProgressDisplay.Start("Evaluating", _loader.Count, 0, show, interactiveOnly: true);
    }

    /// <summary>Starts an evaluation: the model goes to the device and into eval mode until <see cref="Dispose"/>.</summary>
    /// <param name="args">Batch size, device, drop-last.</param>
    /// <param name="model">The model.</param>
    /// <param name="dataset">The examples.</param>
    /// <param name="prefix"><c>eval</c> or <c>test</c>.</param>
    /// <param name="keepPredictions">Keep logits and labels (for metrics or <c>Predict</c>).</param>
    /// <param name="stepName">The step method's name, for error messages.</param>
    /// <param name="state">The trainer state (for <c>epoch</c>).</param>
    public static EvaluationRun<TBatch, TExample> Start(TrainingArguments args, nn.Module model, IReadOnlyList<TExample> dataset,
        string prefix, bool keepPredictions, string stepName, TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        args.Validate();
        return new EvaluationRun<TBatch, TExample>(args, model, dataset, prefix, keepPredictions, stepName, state);
    }

    /// <summary>The batches, in order.</summary>
    public BatchEnumerator<TBatch, TExample> Batches() => _loader.Epoch(0);

    /// <summary>
    /// Adds one batch's output: its loss × its size to the device sum (HF's <c>eval_loss</c> is the
    /// mean over examples), and its logits and labels when they are kept.
    /// </summary>
    public void Add(StepOutput output, int batchSize)
    {
        if (output.Loss is null)
            throw new InvalidOperationException($"{_stepName} returned no loss.");
        if (!_sizeScalars.TryGetValue(batchSize, out var size)) _sizeScalars[batchSize] = size = batchSize.ToScalar();
        var weighted = output.Loss.detach().to(ScalarType.Float32).mul(size);
        if (_lossSum is null) _lossSum = weighted.DetachFromDisposeScope();
        else _lossSum.add_(weighted);
        _examples += batchSize;
        _batches++;
        _training?.EvaluationBatchDone();
        _ownProgress?.Report(_batches);

        if (!_keepPredictions) return;
        if (output.Logits is null)
            throw new InvalidOperationException(
                $"{_stepName} returned no logits, which the metrics and Predict need: return new StepOutput(loss, logits, labels).");
        _logits.Add(output.Logits.detach().DetachFromDisposeScope());
        if (output.Labels is not null) _labels.Add(output.Labels.detach().DetachFromDisposeScope());
    }

    /// <summary>The batches added so far.</summary>
    public int BatchesDone => _batches;

    /// <summary>Every example's logits, concatenated on the CPU.</summary>
    public Tensor Predictions => _predictions ??= Gathered(Concatenate(_logits, "logits"), "logits");

    /// <summary>Every example's labels, concatenated on the CPU.</summary>
    public Tensor Labels => _labelIds ??= _labels.Count > 0
        ? Gathered(Concatenate(_labels, "labels"), "labels")
        : throw new InvalidOperationException(
            $"{_stepName} returned no labels, which the metrics need: return new StepOutput(loss, logits, labels).");

    /// <summary>
    /// Whether labels were collected for the metrics. HF skips metrics without labels; with
    /// <paramref name="required"/> (Evaluate of a trainer that declares metrics) that is an error.
    /// </summary>
    public bool HasLabels(bool required)
    {
        if (_labels.Count > 0) return true;
        if (!required) return false;
        throw new InvalidOperationException(
            $"{_stepName} returned no labels, which the [Metric] methods need: return new StepOutput(loss, logits, labels).");
    }

    /// <summary>Adds a metric as <c>{prefix}_{name}</c>.</summary>
    public void AddMetric(string name, double value) => _metrics.Set(_metrics.Prefix + "_" + name, value);

    /// <summary>
    /// The result with HF's keys: <c>{prefix}_loss</c>, the metrics, runtime and speeds, and
    /// <c>epoch</c> when training has run (and <paramref name="withEpoch"/>).
    /// </summary>
    public PredictionOutput Finish(bool withEpoch)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        var result = new EvalResult(_metrics.Prefix);
        double lossSum = _lossSum is null ? 0 : Tensors.ReadFloat(_lossSum), examples = _examples;
        if (_group is not null)
        {
            lossSum = _group.Sum(lossSum, "the sum of evaluation losses");
            examples = _group.Sum(examples, "the count of evaluated examples");
        }
        if (_lossSum is not null) result.Set(_metrics.Prefix + "_loss", lossSum / examples);
        foreach (var (key, value) in _metrics) result.Set(key, value);
        TrainingRun.AddSpeed(result, _metrics.Prefix, seconds, examples, _loader.Count);
        if (withEpoch && _state.HasTrained) result.Set("epoch", _state.Epoch);

        _handedOver = true;
        return new PredictionOutput(
            _logits.Count > 0 ? Predictions : null,
            _labels.Count > 0 ? Labels : null,
            result);
    }

    /// <summary>Restores the model's training mode and frees what was not handed over.</summary>
    public void Dispose()
    {
        _training?.EndEvaluation();
        _ownProgress?.Dispose();
        _model.train(_wasTraining);
        _precision?.Dispose();
        _lossSum?.Dispose();
        foreach (var t in _logits) t.Dispose();
        foreach (var t in _labels) t.Dispose();
        foreach (var s in _sizeScalars.Values) s.Dispose();
        if (!_handedOver)
        {
            _predictions?.Dispose();
            _labelIds?.Dispose();
        }
    }

    private Tensor Gathered(Tensor local, string what) => _group is null
        ? local
        : Distributed.EvaluationGather.InDatasetOrder(_group, local, _datasetSize, _batchSize, _dropLast, what);

    private static Tensor Concatenate(List<Tensor> parts, string what)
    {
        if (parts.Count == 0) throw new InvalidOperationException($"No {what} were collected.");
        using var scope = torch.NewDisposeScope();
        var all = torch.cat(parts, 0).cpu();
        return all.DetachFromDisposeScope();   // owned by this run (or the caller after Finish), whatever scope is open
    }
}
