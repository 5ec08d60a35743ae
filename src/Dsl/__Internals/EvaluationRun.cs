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
/// for the metrics, and HF's keys and rounding at the end. The examples are a list, or a stream (an
/// <see cref="IEnumerable{T}"/> that is not an <see cref="IReadOnlyList{T}"/>, HF's <c>IterableDataset</c>):
/// read once, in order, until it ends; HF then counts the examples it saw (<c>observed_num_examples</c>),
/// and so does this. Called by generated code.
/// </summary>
/// <typeparam name="TBatch">The batch type of the evaluation step.</typeparam>
/// <typeparam name="TExample">The dataset's example type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class EvaluationRun<TBatch, TExample> : IDisposable
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly nn.Module _model;
    private readonly bool _wasTraining;
    private readonly DataLoader<TBatch, TExample>? _loader;   // null for a stream
    private readonly IEnumerable<TExample>? _stream;
    private readonly torch.Device _device;
    private readonly int _prefetch;
    private readonly bool _keepPredictions;
    private readonly string _stepName;
    private readonly TrainerState _state;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly EvalResult _metrics;
    private readonly List<Tensor> _logits = [];
    private readonly List<Tensor> _labels = [];
    // EvalAccumulationSteps: what was moved to the CPU so far, one padded tensor per flush.
    private readonly List<Tensor> _hostLogits = [];
    private readonly List<Tensor> _hostLabels = [];
    private readonly int _accumulationSteps;   // 0: keep everything on the device until the end
    private readonly bool _retain;             // keep every batch's logits and labels (metrics over the whole set, or Predict)
    private readonly BatchMetrics? _batchMetrics;   // BatchEvalMetrics: metrics per batch, averaged
    private Tensor? _batchLogits, _batchLabels;
    private readonly Dictionary<int, Scalar> _sizeScalars = [];
    private Tensor? _lossSum;
    private int _examples;
    private Tensor? _predictions, _labelIds;
    private bool _handedOver;
    private readonly ProgressDisplay? _training, _ownProgress;
    private int _batches, _lastBatchSize;
    private readonly MixedPrecision? _precision;   // null: float32
    private readonly Distributed.ProcessGroup? _group;   // null when this process evaluates alone
    private readonly int _datasetSize, _batchSize;
    private readonly bool _dropLast;
    private readonly Threading.FreeCoreThreads? _threads;   // null: none of its own (a training run's may be following)

    private EvaluationRun(TrainingArguments args, nn.Module model, IEnumerable<TExample> dataset, string prefix,
        bool keepPredictions, bool isPredict, string stepName, TrainerState state)
    {
        _model = model;
        _keepPredictions = keepPredictions;
        // HF (evaluation_loop): with batch_eval_metrics, evaluate keeps no logits, predict still returns them.
        _retain = keepPredictions && (!args.BatchEvalMetrics || isPredict);
        _batchMetrics = keepPredictions && args.BatchEvalMetrics ? new BatchMetrics() : null;
        _accumulationSteps = args.EvalAccumulationSteps ?? 0;
        _stepName = stepName;
        _state = state;
        _metrics = new EvalResult(prefix);
        var device = args.ResolveDevice();
        // Under mpirun each rank evaluates its own batches; Predictions and Finish gather them.
        _group = Distributed.DistributedLaunch.For(args);
        (_device, _prefetch, _batchSize, _dropLast) = (device, args.DataloaderPrefetchFactor, args.PerDeviceEvalBatchSize, args.DataloaderDropLast);
        if (dataset is IReadOnlyList<TExample> list)
        {
            _datasetSize = list.Count;
            var shard = _group is null ? (Distributed.DataShard?)null : new Distributed.DataShard(_group.Rank, _group.WorldSize, EvenBatches: false);
            _loader = new DataLoader<TBatch, TExample>(list, args.PerDeviceEvalBatchSize, shuffle: false,
                dropLast: args.DataloaderDropLast, device: device, prefetch: args.DataloaderPrefetchFactor, shard: shard);
            if (_group is not null && list.Count > 0) Distributed.EvaluationGather.RequireBatchPerRank(_group, list.Count, _batchSize, _dropLast);
            if (_loader.Count == 0)
                throw new ArgumentException(list.Count == 0
                    ? "The evaluation dataset is empty."
                    : $"The evaluation dataset has {list.Count} examples, fewer than one batch of {args.PerDeviceEvalBatchSize} with DataloaderDropLast.");
        }
        else if (_group is not null)
            throw new NotSupportedException(
                "Evaluate and Predict take a stream only in a single process: under mpirun the ranks' shares and the gathered order " +
                "need the dataset's length. Pass an IReadOnlyList (e.g. .ToList()).");
        else _stream = dataset;
        TrainingRun.MoveToDevice(model, device);
        _wasTraining = model.training;
        model.eval();
        _precision = MixedPrecision.ForEvaluation(model, args, device);
        if (_loader is not null) _loader.FloatDType = _precision?.BatchDType;

        // Nested under the training bar, or a bar of its own on an interactive terminal; a stream has no length to show.
        bool show = !args.DisableTqdm && (_group?.IsMain ?? true) && _loader is not null;
        _training = show ? ProgressDisplay.Current : null;
        if (_training is not null) _training.StartEvaluation(_loader!.Count);
        else if (show) _ownProgress = ProgressDisplay.Start("Evaluating", _loader!.Count, 0, show, interactiveOnly: true);
        _threads = Threading.FreeCoreThreads.Start(device);
    }

    /// <summary>Starts an evaluation: the model goes to the device and into eval mode until <see cref="Dispose"/>.</summary>
    /// <param name="args">Batch size, device, drop-last.</param>
    /// <param name="model">The model.</param>
    /// <param name="dataset">The examples: a list, or a stream read once in order.</param>
    /// <param name="prefix"><c>eval</c> or <c>test</c>.</param>
    /// <param name="keepPredictions">Keep logits and labels (for metrics or <c>Predict</c>).</param>
    /// <param name="isPredict"><c>Predict</c> (which returns the logits even with <see cref="TrainingArguments.BatchEvalMetrics"/>), not <c>Evaluate</c>.</param>
    /// <param name="stepName">The step method's name, for error messages.</param>
    /// <param name="state">The trainer state (for <c>epoch</c>).</param>
    public static EvaluationRun<TBatch, TExample> Start(TrainingArguments args, nn.Module model, IEnumerable<TExample> dataset,
        string prefix, bool keepPredictions, bool isPredict, string stepName, TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        args.Validate();
        return new EvaluationRun<TBatch, TExample>(args, model, dataset, prefix, keepPredictions, isPredict, stepName, state);
    }

    /// <summary>The batches, in order: the list's, or the stream's until it ends.</summary>
    public EvaluationBatches<TBatch, TExample> Batches() => _loader is not null
        ? new(_loader.Epoch(0))
        : new(new StreamBatchEnumerator<TBatch, TExample>(_stream!, _batchSize, window: 1, _dropLast, _device, _prefetch,
            floatDType: _precision?.BatchDType, role: "evaluation"), _dropLast
            ? $"The evaluation stream yielded fewer examples than one batch of {_batchSize} with DataloaderDropLast."
            : "The evaluation stream yielded no examples.");

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
        _lastBatchSize = batchSize;
        _batches++;
        Threading.FreeCoreThreads.TickActive();
        _training?.EvaluationBatchDone();
        _ownProgress?.Report(_batches);

        if (!_keepPredictions) return;
        if (output.Logits is null)
            throw new InvalidOperationException(
                $"{_stepName} returned no logits, which the metrics and Predict need: return new StepOutput(loss, logits, labels).");
        (_batchLogits, _batchLabels) = (output.Logits, output.Labels);   // for per-batch metrics, inside the step's scope
        if (!_retain) return;
        _logits.Add(output.Logits.detach().DetachFromDisposeScope());
        if (output.Labels is not null) _labels.Add(output.Labels.detach().DetachFromDisposeScope());
        // HF: every eval_accumulation_steps prediction steps the accumulated tensors move to the CPU
        // (not with batch_eval_metrics, which keeps nothing to move).
        if (_accumulationSteps > 0 && _batchMetrics is null && _batches % _accumulationSteps == 0) MoveToHost();
    }

    private void MoveToHost()
    {
        if (_logits.Count > 0) _hostLogits.Add(Concatenate(_logits, "logits"));
        if (_labels.Count > 0) _hostLabels.Add(Concatenate(_labels, "labels"));
        foreach (var t in _logits) t.Dispose();
        foreach (var t in _labels) t.Dispose();
        _logits.Clear();
        _labels.Clear();
    }

    /// <summary>Metrics are computed batch by batch (<see cref="TrainingArguments.BatchEvalMetrics"/>) and averaged at the end.</summary>
    public bool MetricsPerBatch => _batchMetrics is not null;

    /// <summary>The current batch's logits, for a metric computed per batch.</summary>
    public Tensor BatchPredictions => _batchLogits ?? throw new InvalidOperationException("No batch was added.");

    /// <summary>The current batch's labels, for a metric computed per batch.</summary>
    public Tensor BatchLabels => _batchLabels ?? throw new InvalidOperationException(
        $"{_stepName} returned no labels, which the metrics need: return new StepOutput(loss, logits, labels).");

    /// <summary>Whether the current batch has labels for the per-batch metrics; with <paramref name="required"/> their absence is an error.</summary>
    public bool BatchHasLabels(bool required)
    {
        if (_batchLabels is not null) return true;
        if (!required) return false;
        throw new InvalidOperationException(
            $"{_stepName} returned no labels, which the [Metric] methods need: return new StepOutput(loss, logits, labels).");
    }

    /// <summary>Adds a metric of the current batch; <see cref="Finish"/> reports each metric's mean over batches weighted by their size.</summary>
    public void AddBatchMetric(string name, double value) =>
        (_batchMetrics ?? throw new InvalidOperationException("BatchEvalMetrics is off.")).Add(name, value, _lastBatchSize);

    /// <summary>The batches added so far.</summary>
    public int BatchesDone => _batches;

    /// <summary>Every example's logits, concatenated on the CPU (padded with -100 where batches differ in length, as HF).</summary>
    public Tensor Predictions => _predictions ??= Gathered(All(_hostLogits, _logits, "logits"), "logits");

    /// <summary>Every example's labels, concatenated on the CPU (padded with -100 where batches differ in length, as HF).</summary>
    public Tensor Labels => _labelIds ??= _labels.Count + _hostLabels.Count > 0
        ? Gathered(All(_hostLabels, _labels, "labels"), "labels")
        : throw new InvalidOperationException(
            $"{_stepName} returned no labels, which the metrics need: return new StepOutput(loss, logits, labels).");

    private Tensor All(List<Tensor> host, List<Tensor> device, string what)
    {
        if (host.Count == 0) return Concatenate(device, what);
        if (device.Count > 0) host.Add(Concatenate(device, what));
        return Concatenate(host, what);
    }

    /// <summary>
    /// Whether labels were collected for the metrics. HF skips metrics without labels; with
    /// <paramref name="required"/> (Evaluate of a trainer that declares metrics) that is an error.
    /// </summary>
    public bool HasLabels(bool required)
    {
        if (_labels.Count + _hostLabels.Count > 0) return true;
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
        _batchMetrics?.AddMeans(_metrics);
        foreach (var (key, value) in _metrics) result.Set(key, value);
        // HF: a stream's num_samples are the examples it yielded; its steps the batches they made.
        TrainingRun.AddSpeed(result, _metrics.Prefix, seconds, examples, _loader?.Count ?? _batches);
        if (withEpoch && _state.HasTrained) result.Set("epoch", _state.Epoch);

        _handedOver = true;
        return new PredictionOutput(
            _logits.Count + _hostLogits.Count > 0 ? Predictions : null,
            _labels.Count + _hostLabels.Count > 0 ? Labels : null,
            result);
    }

    /// <summary>Restores the model's training mode and frees what was not handed over.</summary>
    public void Dispose()
    {
        _threads?.Dispose();
        _training?.EndEvaluation();
        _ownProgress?.Dispose();
        _model.train(_wasTraining);
        _precision?.Dispose();
        _lossSum?.Dispose();
        foreach (var t in _logits) t.Dispose();
        foreach (var t in _labels) t.Dispose();
        foreach (var t in _hostLogits) t.Dispose();
        foreach (var t in _hostLabels) t.Dispose();
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

    private Tensor Concatenate(List<Tensor> parts, string what)
    {
        if (parts.Count == 0) throw new InvalidOperationException($"No {what} were collected.");
        using var scope = torch.NewDisposeScope();
        var all = PaddedConcatenation.Concatenate(parts, what, _stepName).cpu();
        return all.DetachFromDisposeScope();   // owned by this run (or the caller after Finish), whatever scope is open
    }
}
