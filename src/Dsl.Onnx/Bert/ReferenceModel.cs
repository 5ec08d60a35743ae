using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Bert;

/// <summary>
/// The model the exported graph is compared with: the model itself in eval mode, or, when the export
/// converts the weights to another dtype, a copy holding the converted weights (the model is never
/// changed). Building the copy draws from torch's generator; its state is put back, so exporting in
/// the middle of a seeded run changes nothing after it.
/// </summary>
internal sealed class ReferenceModel : IDisposable
{
    private readonly nn.Module _model;
    private readonly bool _owned;
    private readonly bool _wasTraining;

    private ReferenceModel(nn.Module model, bool owned)
    {
        _model = model;
        _owned = owned;
        _wasTraining = model.training;
        model.eval();
    }

    /// <summary><paramref name="model"/> itself, or (with <paramref name="convertTo"/>) a copy in that dtype computing without a separate compute dtype.</summary>
    public static ReferenceModel For(nn.Module model, BertConfig config, ScalarType? convertTo)
    {
        if (convertTo is not { } dtype) return new ReferenceModel(model, owned: false);
        using var rng = torch.get_rng_state();
        var source = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        nn.Module copy = model is BertForSequenceClassification
            ? new BertForSequenceClassification(config)
            : new BertModel(config, addPoolingLayer: source.ContainsKey("pooler.dense.weight"));
        torch.set_rng_state(rng);
        var device = source.Values.First().device;
        copy.to(dtype).to(device);
        using (torch.no_grad())
            foreach (var (name, parameter) in copy.named_parameters())
                parameter.copy_(source[name]);
        return new ReferenceModel(copy, owned: true);
    }

    /// <summary>The model's outputs on a batch, by the graph's output names.</summary>
    public Dictionary<string, Tensor> Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var noGrad = torch.no_grad();
        switch (_model)
        {
            case BertForSequenceClassification classifier:
                return new() { [BertExport.Logits] = classifier.forward(inputIds, attentionMask, tokenTypeIds).Logits };
            case BertModel bert:
                var output = bert.forward(inputIds, attentionMask, tokenTypeIds);
                var outputs = new Dictionary<string, Tensor> { [BertExport.LastHiddenState] = output.LastHiddenState };
                if (output.PoolerOutput is { } pooled) outputs[BertExport.PoolerOutput] = pooled;
                return outputs;
            default:
                throw new InvalidOperationException($"{_model.GetType().Name} is not a BERT.");
        }
    }

    /// <summary>Puts the model back in training mode if it was; frees a copy.</summary>
    public void Dispose()
    {
        if (_owned) _model.Dispose();
        else if (_wasTraining) _model.train();
    }
}
