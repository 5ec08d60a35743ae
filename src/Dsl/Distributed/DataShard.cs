namespace Dsl.Distributed;

/// <summary>
/// Which batches of an epoch one rank takes: accelerate's <c>BatchSamplerShard</c> (what HF Trainer's
/// dataloaders become under DDP, with <c>split_batches=False</c>). The epoch's order is cut into batches
/// of the per-device size and rank <c>r</c> of <c>N</c> takes batches <c>r, r + N, r + 2N, ...</c>, so one
/// optimizer step of N ranks sees exactly the examples of one batch of N × the size in one process.
/// </summary>
/// <param name="Rank">This rank.</param>
/// <param name="WorldSize">The number of ranks.</param>
/// <param name="EvenBatches">
/// accelerate's <c>even_batches</c>: without drop-last, the end of the epoch is filled with examples from
/// its start so that every rank gets the same number of full batches (training needs this: every rank
/// must reach the same gradient averaging). Evaluation runs without it, so no example is seen twice and
/// nothing needs trimming afterwards.
/// </param>
public readonly record struct DataShard(int Rank, int WorldSize, bool EvenBatches)
{
    /// <summary>Examples this rank visits per epoch, given the dataset size, batch size and drop-last.</summary>
    public int Length(int datasetSize, int batchSize, bool dropLast)
    {
        int batches = dropLast ? datasetSize / batchSize : (datasetSize + batchSize - 1) / batchSize;
        if (dropLast)
            // accelerate yields a round only when every rank has a full batch.
            return batches / WorldSize * batchSize;
        if (EvenBatches)
            return (batches + WorldSize - 1) / WorldSize * batchSize;
        int mine = batches / WorldSize + (Rank < batches % WorldSize ? 1 : 0);
        if (mine == 0) return 0;
        bool hasLast = (batches - 1) % WorldSize == Rank;
        return hasLast ? (mine - 1) * batchSize + (datasetSize - (batches - 1) * batchSize) : mine * batchSize;
    }

    /// <summary>This rank's part of an epoch's <paramref name="order"/>: its batches, one after another.</summary>
    public int[] Select(int[] order, int batchSize, bool dropLast)
    {
        ArgumentNullException.ThrowIfNull(order);
        int n = order.Length;
        var mine = new int[Length(n, batchSize, dropLast)];
        for (int i = 0; i < mine.Length; i++)
        {
            int local = i / batchSize, within = i % batchSize;
            long global = ((long)local * WorldSize + Rank) * batchSize + within;
            // accelerate's even_batches: the padding continues from the start of the epoch's order.
            mine[i] = order[(int)(global % n)];
        }
        return mine;
    }
}
