namespace Dsl;

/// <summary>
/// What <c>Train</c> returns (Hugging Face's <c>TrainOutput</c>): the global step, the mean
/// training loss, and <c>train_runtime</c>, <c>train_samples_per_second</c>,
/// <c>train_steps_per_second</c>, <c>total_flos</c>, <c>train_loss</c> and <c>epoch</c>.
/// </summary>
/// <param name="GlobalStep">Optimizer steps done.</param>
/// <param name="TrainingLoss">The mean logged loss over the run's optimizer steps.</param>
/// <param name="Metrics">The summary metrics.</param>
public sealed record TrainOutput(int GlobalStep, double TrainingLoss, Metrics Metrics)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"TrainOutput(global_step={GlobalStep}, training_loss={Logging.PythonFloat.Repr(TrainingLoss)}, metrics={Metrics})";
}
