using System.ComponentModel;
using Dsl.Data;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>A <see cref="TrainingRun"/> over a typed dataset: the training data loader and its epochs.</summary>
/// <typeparam name="TBatch">The batch type of the <c>[TrainStep]</c>.</typeparam>
/// <typeparam name="TExample">The dataset's example type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class TrainingRun<TBatch, TExample> : TrainingRun
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly DataLoader<TBatch, TExample>? _loader;   // a list
    private readonly IEnumerable<TExample>? _stream;          // or a stream
    private int? _exhaustedPass;

    private TrainingRun(TrainingArguments args, nn.Module model, DataLoader<TBatch, TExample> loader, EvaluationSets<TExample> eval)
        : base(args, model, typeof(TBatch), loader.DatasetSize, loader.Count, eval.Any, streaming: false)
    {
        _loader = loader;
        Evaluation = eval;
    }

    private TrainingRun(TrainingArguments args, nn.Module model, IEnumerable<TExample> stream, EvaluationSets<TExample> eval)
        : base(args, model, typeof(TBatch), 0, 0, eval.Any, streaming: true)
    {
        _stream = stream;
        Evaluation = eval;
        // HF gives an IterableDataset no sampler, so group_by_length does not apply to it.
        if (args.GroupByLength) Warn("GroupByLength does not apply to a streamed training dataset: its examples are taken in stream order.");
    }

    /// <summary>The evaluation dataset or named datasets passed to Train.</summary>
    public EvaluationSets<TExample> Evaluation { get; }

    /// <summary>
    /// Starts a run: validates <paramref name="args"/>, seeds torch, moves the model to the device,
    /// batches the data (shuffled with <see cref="TrainingArguments.ResolvedDataSeed"/>) and counts the steps.
    /// </summary>
    public static TrainingRun<TBatch, TExample> Start(TrainingArguments args, nn.Module model,
        IReadOnlyList<TExample> trainDataset, IReadOnlyList<TExample>? evalDataset = null,
        IReadOnlyDictionary<string, IReadOnlyList<TExample>>? evalDatasets = null)
    {
        var eval = Prepare(args, model, trainDataset, evalDataset, evalDatasets);
        Seeding.SetSeed(args.Seed);
        // Under mpirun every rank takes its own batches of each epoch (accelerate's even batches).
        var group = Distributed.DistributedLaunch.For(args);
        var shard = group is null ? (Distributed.DataShard?)null : new Distributed.DataShard(group.Rank, group.WorldSize, EvenBatches: true);
        var loader = new DataLoader<TBatch, TExample>(trainDataset, args.PerDeviceTrainBatchSize, shuffle: true,
            dropLast: args.DataloaderDropLast, device: args.ResolveDevice(), seed: args.ResolvedDataSeed,
            prefetch: args.DataloaderPrefetchFactor, groupByLength: args.GroupByLength, shard: shard);
        return new TrainingRun<TBatch, TExample>(args, model, loader, eval);
    }

    /// <summary>
    /// Starts a run over a stream (HF's IterableDataset): <see cref="TrainingArguments.MaxSteps"/> is required,
    /// the examples are taken in stream order, and each pass over the stream is one epoch; the stream is
    /// enumerated again when it runs out before MaxSteps.
    /// </summary>
    public static TrainingRun<TBatch, TExample> Start(TrainingArguments args, nn.Module model,
        IEnumerable<TExample> trainDataset, IReadOnlyList<TExample>? evalDataset = null,
        IReadOnlyDictionary<string, IReadOnlyList<TExample>>? evalDatasets = null)
    {
        var eval = Prepare(args, model, trainDataset, evalDataset, evalDatasets);
        if (Distributed.DistributedLaunch.For(args) is not null)
            throw new NotSupportedException(
                "A streamed training dataset cannot be split between mpirun ranks yet; pass an IReadOnlyList so each rank takes its batches.");
        Seeding.SetSeed(args.Seed);
        return new TrainingRun<TBatch, TExample>(args, model, trainDataset, eval);
    }

    /// <summary>What both Start overloads check first: the arguments given, the settings, the evaluation datasets.</summary>
    private static EvaluationSets<TExample> Prepare(TrainingArguments args, nn.Module model, object trainDataset,
        IReadOnlyList<TExample>? evalDataset, IReadOnlyDictionary<string, IReadOnlyList<TExample>>? evalDatasets)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainDataset);
        var eval = new EvaluationSets<TExample>(evalDataset, evalDatasets);
        args.Validate();
        Memory.MemoryPlan.Apply(args, model, (IEnumerable<TExample>)trainDataset);   // checkpointing on, the memory estimate, a refusal when it cannot fit
        return eval;
    }

    /// <summary>The dataset to evaluate on when no named datasets were given; an evaluation asked for without one is a clear error.</summary>
    public IReadOnlyList<TExample> EvaluationSet() => Evaluation.Single ?? throw new InvalidOperationException(
        "An evaluation was asked for (by EvalStrategy or a hook returning TrainerControl.Evaluate) but Train got no evalDataset.");

    /// <summary>The batches of <paramref name="epoch"/>, skipping those a resumed run has already seen.</summary>
    public TrainBatches Batches(int epoch)
    {
        int skip = Plan.BatchesToSkip(epoch);
        _exhaustedPass = null;
        if (_stream is not null)
            return new(this, epoch, new StreamBatchEnumerator<TBatch, TExample>(_stream, Args.PerDeviceTrainBatchSize,
                Args.GradientAccumulationSteps, Args.DataloaderDropLast, Device, Args.DataloaderPrefetchFactor, skip, BatchDType));
        _loader!.FloatDType = BatchDType;
        return new(this, epoch, _loader.Epoch(epoch, skip));
    }

    private protected override int? ExhaustedStreamPass => _exhaustedPass;

    /// <summary>Called when a pass over the stream ends; <paramref name="empty"/>: it gave no batch at all.</summary>
    private void OnStreamExhausted(int epoch, bool empty)
    {
        if (!empty)
        {
            _exhaustedPass = epoch;
            return;
        }
        // HF: "There seems not to be a single sample in your epoch_iterator, stopping training".
        Warn($"The training stream gave no batch in epoch {epoch}, stopping training at step {State.GlobalStep} of {MaxSteps}. " +
             "A stream is enumerated again for every epoch and must yield at least one batch each time.");
        Flow.Request(TrainerControl.StopTraining);
    }

    /// <summary>An epoch's batches; each carries its gradient-accumulation <see cref="Window"/>.</summary>
    public sealed class TrainBatches : IDisposable
    {
        private readonly TrainingRun<TBatch, TExample> _run;
        private readonly BatchEnumerator<TBatch, TExample>? _batches;
        private readonly StreamBatchEnumerator<TBatch, TExample>? _stream;
        private bool _took;

        internal TrainBatches(TrainingRun<TBatch, TExample> run, int epoch, BatchEnumerator<TBatch, TExample> batches)
        {
            _run = run;
            _batches = batches;
            Window = new AccumulationWindow(epoch);
        }

        internal TrainBatches(TrainingRun<TBatch, TExample> run, int epoch, StreamBatchEnumerator<TBatch, TExample> stream)
        {
            _run = run;
            _stream = stream;
            Window = new AccumulationWindow(epoch);
        }

        /// <summary>The batch to train on; the loop disposes it after its step.</summary>
        public TBatch Current => _stream is not null ? _stream.Current : _batches!.Current;

        /// <summary><see cref="Current"/>'s gradient-accumulation window.</summary>
        public AccumulationWindow Window { get; }

        /// <summary>Takes the next batch and moves <see cref="Window"/> to it.</summary>
        public bool MoveNext()
        {
            int step = _run.State.GlobalStep + 1;
            if (_stream is not null)
            {
                if (!_stream.MoveNext())
                {
                    _run.OnStreamExhausted(Window.Epoch, empty: !_took && _stream.Skipped == 0);
                    return false;
                }
                _took = true;
                Window.MoveToStreamBatch(step, _stream.Index, _run.Plan.StreamBatchesPerEpoch, _stream.WindowSize, _stream.StartsWindow, _stream.EndsWindow);
                if (_stream.Current is ITokenBatch streamed) _run.Tokens.Count(streamed, _run.State);
                return true;
            }
            if (!_batches!.MoveNext()) return false;
            Window.MoveToListBatch(step, _batches.Index, _batches.Count, _run.Args.GradientAccumulationSteps);
            if (_batches.Current is ITokenBatch tokens) _run.Tokens.Count(tokens, _run.State);
            return true;
        }

        /// <summary>Stops the collation thread.</summary>
        public void Dispose()
        {
            _batches?.Dispose();
            _stream?.Dispose();
        }
    }
}
