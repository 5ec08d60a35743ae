namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// Count the input tokens trained on in <see cref="TrainerState.NumInputTokensSeen"/> (<c>num_input_tokens_seen</c>
    /// in <c>trainer_state.json</c>) and add it to every log entry (HF's <c>include_num_input_tokens_seen</c>,
    /// padding included). The batch type must implement <see cref="ITokenBatch"/>. Default false.
    /// </summary>
    public bool IncludeNumInputTokensSeen { get; init; }
}
