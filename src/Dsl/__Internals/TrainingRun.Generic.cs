using System.ComponentModel;
using Dsl.Data;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>A <see cref="TrainingRun"/> over a typed dataset: the training data loader and its epochs.</summary>
/// <typeparam name="TBatch">The batch type of the <c>[TrainStep]</c>.</typeparam>
/// <typeparam name="TExample">The dataset's example type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class TrainingRun<TBatch, TExample> : TrainingRun
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly DataLoader<TBatch, TExample> _loader;

    private TrainingRun(TrainingArguments args, nn.Module model, DataLoader<TBatch, TExample> loader, bool hasEvalDataset)
        : base(args, model, loader.DatasetSize, loader.Count, hasEvalDataset)
    {
        _loader = loader;
        StartTokenCount(typeof(TBatch));
    }

    /// <summary>
    /// Starts a run: validates <paramref name="args"/>, seeds torch, moves the model to the device,
    /// batches the data (shuffled with <see cref="TrainingArguments.ResolvedDataSeed"/>) and counts the steps.
    /// </summary>
    public static TrainingRun<TBatch, TExample> Start(TrainingArguments args, nn.Module model,
        IReadOnlyList<TExample> trainDataset, bool hasEvalDataset)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainDataset);
        args.Validate();
        Seeding.SetSeed(args.Seed);
        // Under mpirun every rank takes its own batches of each epoch (accelerate's even batches).
        var group = Distributed.DistributedLaunch.For(args);
        var shard = group is null ? (Distributed.DataShard?)null : new Distributed.DataShard(group.Rank, group.WorldSize, EvenBatches: true);
        var loader = new DataLoader<TBatch, TExample>(trainDataset, args.PerDeviceTrainBatchSize, shuffle: true,
            dropLast: args.DataloaderDropLast, device: args.ResolveDevice(), seed: args.ResolvedDataSeed,
            prefetch: args.DataloaderPrefetchFactor, groupByLength: args.GroupByLength, shard: shard);
        return new TrainingRun<TBatch, TExample>(args, model, loader, hasEvalDataset);
    }

    /// <summary>The batches of <paramref name="epoch"/>, skipping those a resumed run has already seen.</summary>
    public TrainBatches Batches(int epoch)
    {
        _loader.FloatDType = BatchDType;
        return new(this, _loader.Epoch(epoch, SkipFor(epoch)));
    }

    /// <summary>An epoch's batches; each <see cref="MoveNext"/> also works out the accumulation window.</summary>
    public sealed class TrainBatches : IDisposable
    {
        private readonly TrainingRun<TBatch, TExample> _run;
        private readonly BatchEnumerator<TBatch, TExample> _batches;

        internal TrainBatches(TrainingRun<TBatch, TExample> run, BatchEnumerator<TBatch, TExample> batches)
        {
            _run = run;
            _batches = batches;
        }

        /// <summary>The batch to train on; the loop disposes it after its step.</summary>
        public TBatch Current => _batches.Current;

        /// <summary>Takes the next batch.</summary>
        public bool MoveNext()
        {
            if (!_batches.MoveNext()) return false;
            _run.OnBatch(_batches.Index, _batches.Count);
            if (_batches.Current is ITokenBatch tokens) _run.CountTokens(tokens);   // a shape, not a device read
            return true;
        }

        /// <summary>Stops the collation thread.</summary>
        public void Dispose() => _batches.Dispose();
    }
}
