"""The PyTorch side of the peer benchmark (see docs/benchmarks.md, "Against PyTorch").

The same BERT as Dsl.Text's BertForSequenceClassification (HF's eager BERT: embeddings, post-LN
layers, exact GELU, pooler, dropout 0.1, HF's initialisation), written in plain PyTorch, trained
with the loop HF Trainer runs: AdamW with HF's two parameter groups, a linear schedule, gradient
clipping at 1.0, the loss read at logging steps only. Each mode prints one JSON line.

  python3 bert_peer.py train SIZE STEPS IDS [BATCH [ATTENTION [PRECISION]]]
                                                 steps/s after 2 warm-up steps (batch 32 by default)
  python3 bert_peer.py eval SIZE BATCHES IDS [BATCH [ATTENTION [PRECISION]]]
                                                 examples/s under no_grad after 1 warm-up batch
  ATTENTION: eager (default; also "default") or sdpa (torch.nn.functional.scaled_dot_product_attention with the
  attention dropout in training, as HF's BertSdpaSelfAttention; PyTorch >= 2.0 only: Debian 12's 1.13.1 runs eager
  and says so in "attention"). PRECISION: fp32 (default), bf16 (CPU autocast to bfloat16, as HF's bf16=True),
  bf16-full-eval (the model cast to bfloat16).
  python3 bert_peer.py sgemm N REPS              GFLOP/s of an N×N×N float32 matmul, and its largest error
  python3 bert_peer.py blas                      the BLAS library and kernels torch runs (threadpoolctl)
  python3 bert_peer.py startup                   import torch and compute once
  python3 bert_peer.py job DATA_DIR VOCAB OUT    the tutorial's whole job (see job())

IDS is the token-id file the C# side writes (`peer ids`): one example per line, "label id id ...",
so both sides see the same tokens.
"""
import json
import math
import os
import sys
import time
import unicodedata

import torch
from torch import nn

torch.set_num_threads(int(os.environ.get("PEER_THREADS", "2")))

# layers, hidden, heads (the feed-forward width is 4 × hidden); minilm is all-MiniLM-L6-v2's shape.
SIZES = {"tiny": (2, 128, 2), "mini": (4, 256, 4), "small": (4, 512, 8), "minilm": (6, 384, 12), "base": (12, 768, 12)}
SDPA = hasattr(nn.functional, "scaled_dot_product_attention")
ATTENTION = "eager"  # set by train() and evaluate()
VOCAB_SIZE = 30522
BATCH = 32


class Embeddings(nn.Module):
    def __init__(self, hidden, vocab):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(512, hidden)
        self.token_type_embeddings = nn.Embedding(2, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(512).unsqueeze(0), persistent=False)

    def forward(self, ids, types):
        positions = self.position_ids[:, : ids.shape[1]]
        x = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class Layer(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.head_size = heads, hidden // heads
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.attention_dropout = nn.Dropout(0.1)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, 4 * hidden)
        self.output = nn.Linear(4 * hidden, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def split(self, x):
        b, n, _ = x.shape
        return x.view(b, n, self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, h, mask):
        b, n, _ = h.shape
        q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
        if ATTENTION == "sdpa" and SDPA:
            # HF's BertSdpaSelfAttention: dropout_p is the attention dropout in training, 0 in evaluation.
            p = self.attention_dropout.p if self.training else 0.0
            attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + mask
            probs = self.attention_dropout(scores.softmax(-1))
            attended = torch.matmul(probs, v)
        context = attended.permute(0, 2, 1, 3).contiguous().view(b, n, -1)
        attended = self.attention_norm(self.dropout(self.attention_output(context)) + h)
        inner = nn.functional.gelu(self.intermediate(attended))
        return self.output_norm(self.dropout(self.output(inner)) + attended)


class Bert(nn.Module):
    def __init__(self, size, vocab=VOCAB_SIZE, labels=2):
        super().__init__()
        layers, hidden, heads = SIZES[size]
        self.embeddings = Embeddings(hidden, vocab)
        self.layers = nn.ModuleList(Layer(hidden, heads) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(hidden, labels)
        self.apply(self._init)

    @staticmethod
    def _init(m):  # HF's BertPreTrainedModel._init_weights
        if isinstance(m, nn.Linear):
            m.weight.data.normal_(0.0, 0.02)
            m.bias.data.zero_()
        elif isinstance(m, nn.Embedding):
            m.weight.data.normal_(0.0, 0.02)
            if m.padding_idx is not None:
                m.weight.data[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            m.weight.data.fill_(1.0)
            m.bias.data.zero_()

    def forward(self, ids, mask, types, labels):
        h = self.embeddings(ids, types)
        additive = (1.0 - mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
        for layer in self.layers:
            h = layer(h, additive)
        pooled = torch.tanh(self.pooler(h[:, 0]))
        logits = self.classifier(self.dropout(pooled))
        return nn.functional.cross_entropy(logits, labels), logits


def collate(examples):
    """Pads to the longest example of the batch with 0 ([PAD]), as DataCollatorWithPadding does."""
    n = max(len(ids) for _, ids in examples)
    ids = torch.zeros(len(examples), n, dtype=torch.int64)
    mask = torch.zeros(len(examples), n, dtype=torch.int64)
    for i, (_, row) in enumerate(examples):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    labels = torch.tensor([label for label, _ in examples], dtype=torch.int64)
    return ids, mask, torch.zeros_like(ids), labels


def read_ids(path):
    with open(path) as f:
        return [(int(parts[0]), [int(x) for x in parts[1:]]) for parts in (line.split() for line in f if line.strip())]


def optimizer_and_schedule(model, lr, steps):
    # HF create_optimizer: no weight decay for biases and LayerNorm weights (weight_decay 0.0 by default).
    decay = [p for n, p in model.named_parameters() if "bias" not in n and "norm" not in n.lower()]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n or "norm" in n.lower()]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.0}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=lr, betas=(0.9, 0.999), eps=1e-8)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, (steps - s) / steps))
    return optimizer, schedule


def autocast(precision):
    """HF Trainer's bf16=True on the CPU: torch's autocast to bfloat16 around the forward pass."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def train_steps(model, optimizer, schedule, batches, logging_steps=10, on_step=None, precision="fp32"):
    model.train()
    losses = []
    for step, batch in enumerate(batches):
        ids, mask, types, labels = batch
        with autocast(precision):
            loss, _ = model(ids, mask, types, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if (step + 1) % logging_steps == 0:
            losses.append(round(loss.item(), 4))
        if on_step:
            on_step(step + 1)
    return losses


def profiler(command):
    """Opens or closes perf's window (profile.sh runs `perf record --control fifo:...`): only the timed steps are profiled."""
    fifo = os.environ.get("PEER_PERF_CONTROL")
    if fifo:
        with open(fifo, "w") as f:
            f.write(command + "\n")


def use_attention(attention):
    """Sets the attention the model runs; returns what it will really run (1.13 has no sdpa)."""
    global ATTENTION
    ATTENTION = "eager" if attention in (None, "default") else attention
    return ATTENTION if ATTENTION == "eager" or SDPA else f"eager (torch {torch.__version__} has no scaled_dot_product_attention)"


def train(size, steps, ids_path, batch=BATCH, attention="eager", precision="fp32", warmup=2):
    ran = use_attention(attention)
    data = read_ids(ids_path)
    torch.manual_seed(1)
    model = Bert(size)
    optimizer, schedule = optimizer_and_schedule(model, 1e-4, steps + warmup)
    batches = (collate(data[i * batch:(i + 1) * batch]) for i in range(steps + warmup))  # collated inline, as HF's DataLoader does
    marks = {}

    def mark(step):
        marks.setdefault(step, time.perf_counter())
        if step in (warmup, steps + warmup):
            profiler("enable" if step == warmup else "disable")
    train_steps(model, optimizer, schedule, batches, on_step=mark, precision=precision)
    return {"steps_per_s": steps / (marks[steps + warmup] - marks[warmup]), "attention": ran}


def evaluate(size, batches, ids_path, batch=BATCH, attention="eager", precision="fp32"):
    ran = use_attention(attention)
    data = read_ids(ids_path)
    torch.manual_seed(1)
    model = Bert(size).eval()
    if precision == "bf16-full-eval":
        model = model.to(torch.bfloat16)   # HF's bf16_full_eval: the whole model in bfloat16
    with torch.no_grad(), autocast(precision):
        model(*collate(data[:batch]))
        profiler("enable")
        start = time.perf_counter()
        for i in range(1, batches + 1):
            model(*collate(data[i * batch:(i + 1) * batch]))  # collated inline, as HF's DataLoader does
        elapsed = time.perf_counter() - start
        profiler("disable")
    return {"examples_per_s": batches * batch / elapsed, "attention": ran}


def sgemm(n, reps):
    a, b = torch.randn(n, n), torch.randn(n, n)
    product = torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    gflops = 2 * n ** 3 * reps / (time.perf_counter() - start) / 1e9
    # The kernels' correctness: the largest difference from the same product in float64.
    error = (product.double() - torch.mm(a.double(), b.double())).abs().max().item()
    return {"gflops": gflops, "max_abs_diff_vs_float64": error, "blas": blas()}


def blas():
    """The BLAS torch calls and the kernels it chose: threadpoolctl's report (Debian's python3-threadpoolctl),
    else OpenBLAS's own openblas_get_corename through ctypes (what threadpoolctl calls)."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))   # the BLAS is loaded by now
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                return (f"{lib.get('internal_api')} {lib.get('version')} {lib.get('architecture', '')} kernels, "
                        f"{lib.get('threading_layer', '')} threading, {lib.get('num_threads')} threads ({lib.get('filepath')})")
    except ImportError:
        pass
    import ctypes
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    for path in paths:
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_get_corename"):
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return (f"{lib.openblas_get_config().decode()}; kernels {lib.openblas_get_corename().decode()}, "
                    f"{lib.openblas_get_num_threads()} threads ({path})")
    return f"not OpenBLAS: {', '.join(paths) or 'no BLAS library loaded'}"


# --- The tutorial's job: tokenise, shuffle(seed=42).select(100 / 50), train 1 epoch, evaluate. ---

class WordPiece:
    """BERT's uncased tokenizer: clean, lower-case, strip accents, split punctuation, greedy WordPiece."""

    def __init__(self, vocab_path, max_length):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.max_length = max_length

    @staticmethod
    def _words(text):
        text = unicodedata.normalize("NFD", text.lower())
        out, word = [], []
        for ch in text:
            cat = unicodedata.category(ch)
            if cat == "Mn" or ch == "\ufffd" or (cat.startswith("C") and ch not in "\t\n\r"):
                continue
            if ch.isspace():
                if word:
                    out.append("".join(word)); word = []
            elif cat.startswith("P") or (33 <= ord(ch) <= 47 or 58 <= ord(ch) <= 64 or 91 <= ord(ch) <= 96 or 123 <= ord(ch) <= 126):
                if word:
                    out.append("".join(word)); word = []
                out.append(ch)
            else:
                word.append(ch)
        if word:
            out.append("".join(word))
        return out

    def encode(self, text):
        ids = [self.vocab["[CLS]"]]
        unk = self.vocab["[UNK]"]
        for word in self._words(text):
            if len(word) > 100:
                ids.append(unk); continue
            start, pieces = 0, []
            while start < len(word):
                end = len(word)
                while end > start:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    if piece in self.vocab:
                        break
                    end -= 1
                if end == start:
                    pieces = [unk]; break
                pieces.append(self.vocab[piece]); start = end
            ids.extend(pieces)
            if len(ids) >= self.max_length - 1:
                break
        return ids[: self.max_length - 1] + [self.vocab["[SEP]"]]


def job(data_dir, vocab_path, out_dir):
    import numpy as np
    start = time.perf_counter()

    def load(name, count):
        with open(os.path.join(data_dir, name), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        order = np.random.RandomState(42).permutation(len(rows))[:count]  # datasets' shuffle(seed=42).select(range(count))
        return [rows[i] for i in order]

    tokenizer = WordPiece(vocab_path, 128)
    train_rows, test_rows = load("train.jsonl", 100), load("test.jsonl", 50)
    train_set = [(r["label"], tokenizer.encode(r["text"])) for r in train_rows]
    test_set = [(r["label"], tokenizer.encode(r["text"])) for r in test_rows]
    torch.manual_seed(42)
    model = Bert("tiny")
    steps = math.ceil(len(train_set) / BATCH)
    optimizer, schedule = optimizer_and_schedule(model, 1e-3, steps)
    generator = torch.Generator().manual_seed(42)
    order = torch.randperm(len(train_set), generator=generator).tolist()
    batches = (collate([train_set[j] for j in order[i:i + BATCH]]) for i in range(0, len(order), BATCH))
    for step, loss in enumerate(train_steps(model, optimizer, schedule, batches), 1):
        print(f"Step {step * 10}: Loss = {loss}")
    print("Training is Done")

    def run_eval():
        model.eval()
        begin, total = time.perf_counter(), 0.0
        with torch.no_grad():
            for i in range(0, len(test_set), BATCH):
                chunk = test_set[i:i + BATCH]
                loss, _ = model(*collate(chunk))
                total += loss.item() * len(chunk)
        runtime = time.perf_counter() - begin
        return {"eval_loss": total / len(test_set), "eval_runtime": round(runtime, 4),
                "eval_samples_per_second": round(len(test_set) / runtime, 3)}

    metrics = run_eval()   # evaluation_strategy="epoch"
    print(metrics)
    # save_strategy="epoch": HF Trainer's checkpoint at the epoch's end (what our example writes too): the model,
    # the optimizer's and the schedule's state, the RNG states and trainer_state.json.
    checkpoint = os.path.join(out_dir, f"checkpoint-{steps}")
    os.makedirs(checkpoint, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(checkpoint, "pytorch_model.bin"))
    torch.save(optimizer.state_dict(), os.path.join(checkpoint, "optimizer.pt"))
    torch.save(schedule.state_dict(), os.path.join(checkpoint, "scheduler.pt"))
    torch.save({"python": None, "cpu": torch.get_rng_state()}, os.path.join(checkpoint, "rng_state.pth"))
    with open(os.path.join(checkpoint, "trainer_state.json"), "w") as f:
        json.dump({"global_step": steps, "epoch": 1.0, "log_history": [dict(metrics, epoch=1.0, step=steps)]}, f, indent=2)
    print(run_eval())   # trainer.evaluate()
    final = os.path.join(out_dir, "model")
    os.makedirs(final, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(final, "pytorch_model.bin"))
    return {"job_s": time.perf_counter() - start}


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "train":
        result = train(rest[0], int(rest[1]), rest[2], *(int(x) for x in rest[3:4]), *rest[4:6])
    elif mode == "eval":
        result = evaluate(rest[0], int(rest[1]), rest[2], *(int(x) for x in rest[3:4]), *rest[4:6])
    elif mode == "sgemm":
        result = sgemm(int(rest[0]), int(rest[1]))
    elif mode == "blas":
        result = {"blas": blas(), "environment": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}}
    elif mode == "startup":
        result = {"sum": float(torch.ones(8).sum())}
    elif mode == "job":
        result = job(rest[0], rest[1], rest[2])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))
