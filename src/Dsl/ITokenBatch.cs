namespace Dsl;

/// <summary>
/// A batch that knows how many input tokens it holds. Implement it on a batch type to fill
/// <c>trainer_state.json</c>'s <c>total_flos</c> (HF's estimate: 6 × the model's parameters outside
/// embeddings × tokens, for a forward and a backward pass) and, with
/// <see cref="TrainingArguments.IncludeNumInputTokensSeen"/>, <c>num_input_tokens_seen</c>.
/// <c>Dsl.Text.Data.TextBatch</c> implements it. Reading it must not wait for the device: use tensor
/// shapes, not values.
/// </summary>
public interface ITokenBatch
{
    /// <summary>The elements of the main input, padding included (HF: <c>inputs[main_input_name].numel()</c>).</summary>
    long InputTokens { get; }
}

/// <summary>
/// A model that estimates its own floating-point operations per batch, replacing HF's default estimate
/// (6 × parameters outside embeddings × tokens) in <c>total_flos</c> (HF: a model's <c>floating_point_ops</c>).
/// </summary>
public interface IFloatingPointOps
{
    /// <summary>The operations of one forward and backward pass over a batch of <paramref name="inputTokens"/> tokens.</summary>
    double FloatingPointOps(long inputTokens);
}
