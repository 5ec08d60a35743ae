using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// HF's <c>BertEmbeddings</c>: word + position + token type embeddings, then LayerNorm and dropout.
/// Parameters: <c>word_embeddings.weight</c>, <c>position_embeddings.weight</c>,
/// <c>token_type_embeddings.weight</c>, <c>LayerNorm.weight</c>, <c>LayerNorm.bias</c>.
/// </summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;
    private Tensor position_ids;

    /// <summary>Builds the embeddings of <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = new FastDropout(config.HiddenDropoutProb);
        // HF registers position_ids with persistent=False: it moves with the model but is never saved.
        position_ids = torch.arange(config.MaxPositionEmbeddings, dtype: int64).unsqueeze(0);
        register_buffer(nameof(position_ids), position_ids, persistent: false);
        RegisterComponents();
    }

    /// <summary>HF's <c>position_ids</c> buffer, [1, max_position_embeddings]: 0, 1, 2, ...; not in the state dict.</summary>
    public Tensor PositionIds => position_ids;

    /// <summary>The word embedding table, [vocab_size, hidden_size].</summary>
    public Embedding WordEmbeddings => word_embeddings;

    /// <summary>Embeds <paramref name="inputIds"/> [batch, seq] with token types (zeros when null); returns [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        long length = inputIds.shape[1];
        var positionIds = position_ids.narrow(1, 0, length);
        var types = tokenTypeIds ?? torch.zeros_like(inputIds);
        var embeddings = word_embeddings.forward(inputIds)
            + token_type_embeddings.forward(types)
            + position_embeddings.forward(positionIds);
        return dropout.forward(LayerNorm.forward(embeddings)).MoveToOuterDisposeScope();
    }

    // TorchSharp 0.107 leaves non-persistent buffers out of named_buffers, so Module.to() would not
    // move position_ids and Dispose() would not free it: both are done here.
    /// <inheritdoc/>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        if (device is null || position_ids.device == device) return;
        var moved = position_ids.to(device);
        position_ids.Dispose();
        position_ids = moved;
        ConditionallyRegisterBuffer(nameof(position_ids), moved, persistent: false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) position_ids.Dispose();
        base.Dispose(disposing);
    }
}
