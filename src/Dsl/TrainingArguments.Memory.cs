namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// Gradient checkpointing (HF's <c>gradient_checkpointing</c>): the model's blocks keep only their
    /// inputs in the forward and are run again in backward, so a step keeps one block's activations
    /// instead of all of them, for about a third more compute. The model must support it
    /// (<see cref="Memory.IGradientCheckpointing"/>; Dsl.Text's BERT does); gradients equal those
    /// without it. Default false.
    /// </summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>
    /// HF's <c>gradient_checkpointing_kwargs</c>: <c>preserve_rng_state</c> (bool, default true),
    /// <c>determinism_check</c> (<c>"default"</c> or <c>"none"</c>) and <c>use_reentrant</c> (accepted;
    /// either value trains the same here). See <see cref="Memory.GradientCheckpointingOptions"/>. Default null.
    /// </summary>
    public IReadOnlyDictionary<string, object>? GradientCheckpointingKwargs { get; init; }

    /// <summary>
    /// Estimate the memory training needs before it starts (<see cref="Memory.MemoryEstimate"/>), print it
    /// when logs go to the console, and refuse to start, naming the settings to change, when it exceeds what
    /// the process may use (the machine's available memory or its cgroup's limit). Not in HF. Default true.
    /// </summary>
    public bool MemoryCheck { get; init; } = true;

    /// <summary>
    /// On Linux with glibc, allocate blocks of 1 MiB and more (tensors) with their own mappings and return
    /// them to the system when freed (glibc's <c>mallopt(M_MMAP_THRESHOLD)</c>), set when training starts
    /// and kept for the process. glibc's default keeps freed blocks of up to 32 MiB in its heap: at 512
    /// tokens that heap grew to 2.6 times the memory in use (3.19 GiB against 1.25 GiB peak for MiniLM's
    /// shape at 512 × 32 with gradient checkpointing). Returning them has a price: every tensor of every
    /// step is a fresh mapping the kernel faults in and zeroes, which made BERT-tiny training at 128 tokens
    /// 1.7 times slower and MiniLM's shape at 512 tokens 1.7 times slower here. <c>true</c> always returns
    /// them, <c>false</c> never; <c>null</c> (the default) returns them only when the run needs it: when the
    /// memory estimate times glibc's heap growth (<see cref="Memory.MemoryPlan.HeapGrowth"/>) exceeds what
    /// the process may use. Not in HF.
    /// </summary>
    public bool? ReleaseLargeAllocations { get; init; }
}
