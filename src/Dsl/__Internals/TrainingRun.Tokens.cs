using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.__Internals;

// trainer_state.json's num_input_tokens_seen and total_flos, for batches that count their tokens (ITokenBatch).
public abstract partial class TrainingRun
{
    private bool _countsTokens;
    private double _flosPerToken;   // HF: 6 × parameters outside embeddings (forward and backward)
    private long _pendingTokens;    // data-parallel: this rank's tokens and flos since the last sum over ranks
    private double _pendingFlos;

    /// <summary>
    /// Set up by the typed run: whether its batch type implements <see cref="ITokenBatch"/>. Without it,
    /// <see cref="TrainingArguments.IncludeNumInputTokensSeen"/> is refused and <c>total_flos</c> stays 0.
    /// </summary>
    private protected void StartTokenCount(Type batchType)
    {
        _countsTokens = typeof(ITokenBatch).IsAssignableFrom(batchType);
        if (Args.IncludeNumInputTokensSeen && !_countsTokens)
            throw new ArgumentException(
                $"TrainingArguments.IncludeNumInputTokensSeen needs batches that count their tokens, but {batchType.Name} does not " +
                $"implement Dsl.ITokenBatch; implement it (InputTokens: the main input's element count) or turn the setting off.",
                nameof(TrainingArguments.IncludeNumInputTokensSeen));
        if (_countsTokens && Model is not IFloatingPointOps) _flosPerToken = 6.0 * NonEmbeddingParameters(Model);
    }

    /// <summary>HF's <c>num_parameters(exclude_embeddings=True)</c>: every parameter but those of embedding layers.</summary>
    internal static long NonEmbeddingParameters(nn.Module model)
    {
        var embeddings = new HashSet<string>();
        foreach (var (name, module) in model.named_modules())
            if (module is Embedding)
                foreach (var (parameter, _) in module.named_parameters()) embeddings.Add(name.Length == 0 ? parameter : name + "." + parameter);
        long count = 0;
        foreach (var (name, parameter) in model.named_parameters())
            if (!embeddings.Contains(name)) count += parameter.numel();
        return count;
    }

    /// <summary>Counts a micro-batch's tokens and operations (HF counts every micro-batch, in <c>training_step</c>'s loop).</summary>
    private protected void CountTokens(ITokenBatch batch)
    {
        long tokens = batch.InputTokens;
        long seen = Args.IncludeNumInputTokensSeen ? tokens : 0;   // HF counts them only when asked
        double flos = Model is IFloatingPointOps own ? own.FloatingPointOps(tokens) : _flosPerToken * tokens;
        if (_ddp is null)
        {
            State.NumInputTokensSeen += seen;
            State.TotalFlos += flos;
            return;
        }
        _pendingTokens += seen;
        _pendingFlos += flos;
    }

    /// <summary>
    /// Data-parallel: adds every rank's tokens and operations since the last call to the state (HF's
    /// <c>store_flos</c>, at log and save steps and at the end). Every rank calls it at the same points.
    /// </summary>
    private void StoreTokensAndFlos()
    {
        if (_ddp is null || !_countsTokens) return;
        State.NumInputTokensSeen += (long)_ddp.Group.Sum(_pendingTokens, "the count of input tokens");
        State.TotalFlos += _ddp.Group.Sum(_pendingFlos, "the count of floating-point operations");
        _pendingTokens = 0;
        _pendingFlos = 0;
    }
}
