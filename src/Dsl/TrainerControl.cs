namespace Dsl;

/// <summary>
/// What a hook asks the loop to do next (Hugging Face's <c>TrainerControl</c> as flags). Return it
/// from any hook; <see cref="None"/> changes nothing.
/// </summary>
[Flags]
public enum TrainerControl
{
    /// <summary>Carry on.</summary>
    None = 0,
    /// <summary>Stop training after this step's log, evaluation and save.</summary>
    StopTraining = 1,
    /// <summary>End the current epoch after this step.</summary>
    StopEpoch = 2,
    /// <summary>Log at this step.</summary>
    Log = 4,
    /// <summary>Evaluate at this step.</summary>
    Evaluate = 8,
    /// <summary>Save a checkpoint at this step.</summary>
    Save = 16,
}
