namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// The engine of data-parallel training (HF's <c>ddp_backend</c>). Null (the default) trains data-parallel
    /// over MPI when the process was started by <c>mpirun</c> with more than one rank, and alone otherwise;
    /// <c>"mpi"</c> requires an MPI launcher. See docs/distributed.md.
    /// </summary>
    public string? DdpBackend { get; init; }

    /// <summary>
    /// Seconds a rank waits in one collective (gradient averaging, a gather, a barrier) before it decides
    /// that another rank died or hung, prints which collective timed out and aborts every rank (HF's
    /// <c>ddp_timeout</c>). Default 1800.
    /// </summary>
    public int DdpTimeout { get; init; } = 1800;

    /// <summary>
    /// Megabytes of gradients averaged in one flattened bucket (HF's <c>ddp_bucket_cap_mb</c>; PyTorch DDP's
    /// default is 25). Default 25.
    /// </summary>
    public double DdpBucketCapMb { get; init; } = 25;

    /// <summary>
    /// Whether, in a data-parallel run on several hosts, the first rank of every host writes the checkpoints
    /// into its own <see cref="OutputDir"/> (HF's <c>save_on_each_node</c>), for hosts that do not share storage:
    /// every host then holds the whole checkpoint (every rank's RNG state included) and a resume reads its own
    /// copy. False (the default): rank 0 alone writes, and OutputDir must be storage every host sees. Not for
    /// shared storage, where the hosts' first ranks would write the same folder (the second is refused by the
    /// folder's lock). See docs/distributed.md.
    /// </summary>
    public bool SaveOnEachNode { get; init; }
}
