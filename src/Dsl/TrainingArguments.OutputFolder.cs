namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// Let a new run (not resuming) train into an <see cref="OutputDir"/> that already holds another run's checkpoints
    /// (Hugging Face's <c>overwrite_output_dir</c>, which its example scripts require for a folder that is not empty).
    /// Without it such a run is refused before training, so two runs never mix their checkpoints. With it, the
    /// new run replaces the checkpoints it writes at the same steps and nothing else: the old run's other checkpoints
    /// are neither moved nor deleted, <see cref="SaveTotalLimit"/> rotates only this run's own, and
    /// <c>resumeFromCheckpoint: "last"</c> picks this run's newest. Default false.
    /// </summary>
    public bool OverwriteOutputDir { get; init; }
}
