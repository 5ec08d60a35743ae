using Dsl.Distributed;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Training;

/// <summary>
/// <c>trainer_state.json</c>'s <c>num_input_tokens_seen</c> and <c>total_flos</c>, for batches that count their
/// tokens (<see cref="ITokenBatch"/>). Without that interface IncludeNumInputTokensSeen is refused and
/// <c>total_flos</c> stays 0. HF counts every micro-batch, in <c>training_step</c>'s loop.
/// </summary>
internal sealed class TokenCounter
{
    private readonly nn.Module _model;
    private readonly bool _countSeen;
    private readonly double _flosPerToken;   // HF: 6 × parameters outside embeddings (forward and backward)
    private readonly DataParallel? _ddp;
    private long _pendingTokens;             // data-parallel: this rank's tokens and flos since the last sum over ranks
    private double _pendingFlos;

    public TokenCounter(TrainingArguments args, nn.Module model, Type batchType, DataParallel? ddp)
    {
        _model = model;
        _ddp = ddp;
        Counts = typeof(ITokenBatch).IsAssignableFrom(batchType);
        _countSeen = args.IncludeNumInputTokensSeen;
        if (_countSeen && !Counts)
            throw new ArgumentException(
                $"TrainingArguments.IncludeNumInputTokensSeen needs batches that count their tokens, but {batchType.Name} does not " +
                $"implement Dsl.ITokenBatch; implement it (InputTokens: the main input's element count) or turn the setting off.",
                nameof(TrainingArguments.IncludeNumInputTokensSeen));
        if (Counts && model is not IFloatingPointOps) _flosPerToken = 6.0 * NonEmbeddingParameters(model);
    }

    /// <summary>Whether the batch type counts its tokens.</summary>
    public bool Counts { get; }

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

    /// <summary>Counts a micro-batch's tokens and operations: a shape, never a device read.</summary>
    public void Count(ITokenBatch batch, TrainerState state)
    {
        long tokens = batch.InputTokens;
        long seen = _countSeen ? tokens : 0;   // HF counts them only when asked
        double flos = _model is IFloatingPointOps own ? own.FloatingPointOps(tokens) : _flosPerToken * tokens;
        if (_ddp is null)
        {
            state.NumInputTokensSeen += seen;
            state.TotalFlos += flos;
            return;
        }
        _pendingTokens += seen;
        _pendingFlos += flos;
    }

    /// <summary>
    /// Data-parallel: adds every rank's tokens and operations since the last call to <paramref name="state"/> (HF's
    /// <c>store_flos</c>, at log and save steps and at the end). Every rank calls it at the same points.
    /// </summary>
    public void Store(TrainerState state)
    {
        if (_ddp is null || !Counts) return;
        state.NumInputTokensSeen += (long)_ddp.Group.Sum(_pendingTokens, "the count of input tokens");
        state.TotalFlos += _ddp.Group.Sum(_pendingFlos, "the count of floating-point operations");
        _pendingTokens = 0;
        _pendingFlos = 0;
    }
}
