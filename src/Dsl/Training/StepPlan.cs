namespace Dsl.Training;

/// <summary>
/// How many optimizer steps and epochs a run takes, and where a resumed run picks up (HF's
/// <c>_inner_training_loop</c> arithmetic). Pure: no model, no data, no TorchSharp.
/// </summary>
internal sealed class StepPlan
{
    /// <summary>Works out the plan of a run over <paramref name="batchesPerEpoch"/> batches (ignored for a stream).</summary>
    /// <param name="numTrainEpochs">TrainingArguments.NumTrainEpochs (may be fractional).</param>
    /// <param name="maxSteps">TrainingArguments.MaxSteps; 0 or less: worked out from the epochs.</param>
    /// <param name="gradientAccumulationSteps">Micro-batches per optimizer step.</param>
    /// <param name="batchesPerEpoch">Batches in one epoch of a list.</param>
    /// <param name="streaming">The data is a stream with no length: <paramref name="maxSteps"/> is required.</param>
    public StepPlan(double numTrainEpochs, int maxSteps, int gradientAccumulationSteps, int batchesPerEpoch, bool streaming)
    {
        if (gradientAccumulationSteps < 1) throw new ArgumentOutOfRangeException(nameof(gradientAccumulationSteps), gradientAccumulationSteps, "must be at least 1");
        GradientAccumulationSteps = gradientAccumulationSteps;
        Streaming = streaming;
        if (streaming)
        {
            // HF, a dataloader without a length: max_steps = args.max_steps, num_update_steps_per_epoch = max_steps,
            // and a practically endless number of epochs (sys.maxsize): each pass over the stream is one epoch.
            MaxSteps = maxSteps;
            UpdatesPerEpoch = maxSteps;
            NumTrainEpochs = int.MaxValue;
            return;
        }
        // HF: num_update_steps_per_epoch = ceil(batches / GA); max_steps = ceil(epochs × that),
        // or MaxSteps, which sets the epochs to ceil(max_steps / updates per epoch).
        UpdatesPerEpoch = Math.Max(1, (batchesPerEpoch + gradientAccumulationSteps - 1) / gradientAccumulationSteps);
        if (maxSteps > 0)
        {
            MaxSteps = maxSteps;
            NumTrainEpochs = (maxSteps + UpdatesPerEpoch - 1) / UpdatesPerEpoch;
        }
        else
        {
            MaxSteps = (int)Math.Ceiling(numTrainEpochs * UpdatesPerEpoch);
            NumTrainEpochs = (int)Math.Ceiling(numTrainEpochs);
        }
    }

    /// <summary>Optimizer steps in the whole run: the <c>trainingSteps</c> a schedule is built for.</summary>
    public int MaxSteps { get; }

    /// <summary>Epochs the loop runs (the last may stop early at <see cref="MaxSteps"/>); <c>int.MaxValue</c> for a stream.</summary>
    public int NumTrainEpochs { get; }

    /// <summary>Optimizer steps per epoch: ceil(batches / GradientAccumulationSteps); <see cref="MaxSteps"/> for a stream.</summary>
    public int UpdatesPerEpoch { get; }

    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulationSteps { get; }

    /// <summary>The data is a stream: each pass is one epoch.</summary>
    public bool Streaming { get; }

    /// <summary>HF's <c>steps_in_epoch</c> for a stream: MaxSteps × GA batches, the denominator of the epoch fraction.</summary>
    public int StreamBatchesPerEpoch => (int)Math.Min(int.MaxValue, (long)MaxSteps * GradientAccumulationSteps);

    /// <summary>The epoch to start in: 0, or the checkpoint's when resuming.</summary>
    public int FirstEpoch { get; private set; }

    /// <summary>Batches of <see cref="FirstEpoch"/> a resumed run has already trained on.</summary>
    public int SkippedBatches { get; private set; }

    /// <summary>Batches to skip at the start of <paramref name="epoch"/>: non-zero only in a resumed run's first epoch.</summary>
    public int BatchesToSkip(int epoch) => epoch == FirstEpoch ? SkippedBatches : 0;

    /// <summary>
    /// Continues from a checkpoint at <paramref name="globalStep"/> (its epoch <paramref name="epoch"/>, and for a stream
    /// the MaxSteps it was saved with, which counted its epoch fraction). Returns whether anything is left to train.
    /// </summary>
    public bool ResumeAt(int globalStep, double epoch, int savedMaxSteps)
    {
        // HF: epochs_trained = global_step // updates per epoch; the batches of the current epoch
        // already seen are (global_step % updates per epoch) × GA, skipped in the same order.
        FirstEpoch = globalStep / UpdatesPerEpoch;
        SkippedBatches = globalStep % UpdatesPerEpoch * GradientAccumulationSteps;
        if (Streaming)
        {
            // HF skips global_step × GA batches from the stream's start, which is wrong once the stream has
            // restarted. The epoch says where the run was: its whole part is the pass, and its fraction
            // (batches / (MaxSteps × GA), HF's steps_in_epoch for a stream) the batches read in that pass.
            FirstEpoch = (int)Math.Floor(epoch);
            long batchesPerEpoch = (long)(savedMaxSteps > 0 ? savedMaxSteps : MaxSteps) * GradientAccumulationSteps;
            SkippedBatches = (int)Math.Round((epoch - FirstEpoch) * batchesPerEpoch);
        }
        if (globalStep < MaxSteps) return true;
        // HF: a run resumed at max_steps trains nothing; no epoch starts, so no step past the end is taken.
        FirstEpoch = NumTrainEpochs;
        return false;
    }

    /// <summary>The epoch, with its fraction, once batch <paramref name="index"/> of <paramref name="batchesInEpoch"/> in <paramref name="epoch"/> has trained.</summary>
    public static double EpochAfter(int epoch, int index, int batchesInEpoch) => epoch + (double)(index + 1) / batchesInEpoch;
}
