"""Writes the tiny-bert parity fixture: an HF-layout folder (config.json, model.safetensors,
pytorch_model.bin) and expected.json (inputs, logits, [CLS] states, loss).

The forward pass below is written from the BERT paper and the documented behaviour of Hugging
Face's BertForSequenceClassification (eval mode): word + position + token-type embeddings,
LayerNorm(eps=layer_norm_eps), post-LN transformer layers with an additive attention mask holding
float32's minimum at padding, exact (erf) GELU, tanh pooler on [CLS], linear classifier, mean
cross-entropy. It is computed in float64 from the float32 weights, with plain tensor operations
(no torch.nn modules), so it shares no code with the C# model it checks.

Run with Debian's python3-torch (1.13) and python3-numpy:  python3 make_tiny_bert.py
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tiny-bert")

CONFIG = {
    "architectures": ["BertForSequenceClassification"],
    "attention_probs_dropout_prob": 0.1,
    "classifier_dropout": None,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 16,
    "id2label": {"0": "neg", "1": "neutral", "2": "pos"},
    "initializer_range": 0.02,
    "intermediate_size": 24,
    "label2id": {"neg": 0, "neutral": 1, "pos": 2},
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 12,
    "model_type": "bert",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "torch_dtype": "float32",
    "transformers_version": "4.46.0",
    "type_vocab_size": 2,
    "vocab_size": 40,
}


def make_weights(cfg, generator):
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]

    def normal(*shape, std=0.3):
        return (torch.randn(*shape, generator=generator) * std).float()

    def norm_weight():
        return (1.0 + torch.randn(h, generator=generator) * 0.1).float()

    w = {
        "bert.embeddings.word_embeddings.weight": normal(v, h),
        "bert.embeddings.position_embeddings.weight": normal(cfg["max_position_embeddings"], h),
        "bert.embeddings.token_type_embeddings.weight": normal(cfg["type_vocab_size"], h),
        "bert.embeddings.LayerNorm.weight": norm_weight(),
        "bert.embeddings.LayerNorm.bias": normal(h, std=0.1),
    }
    w["bert.embeddings.word_embeddings.weight"][cfg["pad_token_id"]] = 0.0
    for n in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{n}."
        for name in ("query", "key", "value"):
            w[p + f"attention.self.{name}.weight"] = normal(h, h)
            w[p + f"attention.self.{name}.bias"] = normal(h, std=0.1)
        w[p + "attention.output.dense.weight"] = normal(h, h)
        w[p + "attention.output.dense.bias"] = normal(h, std=0.1)
        w[p + "attention.output.LayerNorm.weight"] = norm_weight()
        w[p + "attention.output.LayerNorm.bias"] = normal(h, std=0.1)
        w[p + "intermediate.dense.weight"] = normal(i, h)
        w[p + "intermediate.dense.bias"] = normal(i, std=0.1)
        w[p + "output.dense.weight"] = normal(h, i)
        w[p + "output.dense.bias"] = normal(h, std=0.1)
        w[p + "output.LayerNorm.weight"] = norm_weight()
        w[p + "output.LayerNorm.bias"] = normal(h, std=0.1)
    w["bert.pooler.dense.weight"] = normal(h, h)
    w["bert.pooler.dense.bias"] = normal(h, std=0.1)
    w["classifier.weight"] = normal(len(cfg["id2label"]), h)
    w["classifier.bias"] = normal(len(cfg["id2label"]), std=0.1)
    return w


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased variance, as LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def linear(x, w, prefix):
    return x @ w[prefix + ".weight"].T + w[prefix + ".bias"]


def forward(w, cfg, ids, mask, types):
    w = {k: v.double() for k, v in w.items()}
    eps = cfg["layer_norm_eps"]
    batch, length = ids.shape
    heads = cfg["num_attention_heads"]
    size = cfg["hidden_size"] // heads
    x = (w["bert.embeddings.word_embeddings.weight"][ids]
         + w["bert.embeddings.position_embeddings.weight"][torch.arange(length)][None]
         + w["bert.embeddings.token_type_embeddings.weight"][types])
    x = layer_norm(x, w["bert.embeddings.LayerNorm.weight"], w["bert.embeddings.LayerNorm.bias"], eps)
    # Masked keys get float32's minimum added, as HF does for float32 models.
    additive = (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float32).min
    for n in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{n}."

        def split(t):
            return t.view(batch, length, heads, size).permute(0, 2, 1, 3)

        q = split(linear(x, w, p + "attention.self.query"))
        k = split(linear(x, w, p + "attention.self.key"))
        v = split(linear(x, w, p + "attention.self.value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(size) + additive
        scores = scores - scores.max(-1, keepdim=True).values
        probs = scores.exp() / scores.exp().sum(-1, keepdim=True)
        context = (probs @ v).permute(0, 2, 1, 3).reshape(batch, length, heads * size)
        a = layer_norm(linear(context, w, p + "attention.output.dense") + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        inner = gelu(linear(a, w, p + "intermediate.dense"))
        x = layer_norm(linear(inner, w, p + "output.dense") + a,
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    pooled = torch.tanh(linear(x[:, 0], w, "bert.pooler.dense"))
    logits = linear(pooled, w, "classifier")
    return x, logits


def cross_entropy(logits, labels):
    log_probs = logits - torch.logsumexp(logits, -1, keepdim=True)
    return -log_probs[torch.arange(len(labels)), labels].mean()


def save_safetensors(tensors, path):
    codes = {torch.float32: "F32", torch.int64: "I64"}
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    generator = torch.Generator().manual_seed(20240611)
    weights = make_weights(CONFIG, generator)
    ids = torch.tensor([[2, 17, 5, 31, 9, 3, 0, 0], [2, 11, 39, 3, 25, 8, 14, 3]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]])
    types = torch.tensor([[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1]])
    labels = torch.tensor([2, 0])
    hidden, logits = forward(weights, CONFIG, ids, mask, types)
    loss = cross_entropy(logits, labels)

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        f.write(json.dumps(CONFIG, indent=2, sort_keys=True) + "\n")
    save_safetensors(weights, os.path.join(OUT, "model.safetensors"))
    # The same weights as a PyTorch pickle, for the opt-in pickle path.
    torch.save(weights, os.path.join(OUT, "pytorch_model.bin"))
    expected = {
        "source": f"make_tiny_bert.py, torch {torch.__version__}, float64 reference forward",
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "token_type_ids": types.tolist(),
        "labels": labels.tolist(),
        "logits": logits.tolist(),
        "cls_hidden": hidden[:, 0].tolist(),
        "loss": loss.item(),
    }
    with open(os.path.join(HERE, "tiny-bert-expected.json"), "w") as f:
        f.write(json.dumps(expected, indent=2) + "\n")


if __name__ == "__main__":
    main()
