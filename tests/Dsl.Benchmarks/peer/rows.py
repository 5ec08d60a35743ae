"""The rows of the peer benchmark (harness.py): what each side runs, what is measured, and the matrix-product
work of a BERT step, for the share of the machine's sgemm speed a step reaches."""
import os

# layers, hidden, heads; the feed-forward width is 4 × hidden. As bert_peer.py's SIZES and Peer.cs's NewModel.
SIZES = {"tiny": (2, 128, 2), "mini": (4, 256, 4), "small": (4, 512, 8), "minilm": (6, 384, 12), "base": (12, 768, 12)}
WARMUP_STEPS = 2   # both sides time training after 2 steps and evaluation after 1 batch


class Row:
    """kind: train, eval (a BERT of size on batches of batch × length tokens), job, job-r2r, job-dotnet-run,
    startup or sgemm. count: (quick, full) training steps or evaluation batches timed."""

    def __init__(self, kind, size=None, length=128, batch=32, count=(0, 0), default=True, precision="fp32", attention="default"):
        self.kind, self.size, self.length, self.batch, self.count, self.default = kind, size, length, batch, count, default
        self.precision, self.attention = precision, attention

    @property
    def metric(self):
        return {"train": "steps_per_s", "eval": "examples_per_s", "sgemm": "gflops"}.get(self.kind, "wall")

    @property
    def higher_is_better(self):
        return self.metric != "wall"

    def timed(self, scale):
        return self.count[0 if scale == "quick" else 1]

    def commands(self, p, scale):
        """(our command, PyTorch's command) with p the harness's paths."""
        n = str(self.timed(scale))
        if self.kind in ("train", "eval"):
            # attention "default": each side's own (ours: sdpa, HF's default; Debian's PyTorch 1.13: eager).
            tail = [self.size, n, p[f"ids{self.length}"], str(self.batch), self.attention, self.precision]
            return ["dotnet", p["bench"], "peer", self.kind] + tail, [p["python"], p["peer"], self.kind] + tail
        if self.kind.startswith("job"):
            # The tutorial's job: ours is the example program, PyTorch's the same job in bert_peer.py.
            args = ["--data", p["imdb"], "--vocab", p["vocab"], "--size", "tiny", "--no-progress",
                    "--output", os.path.join(p["work"], "results"), "--logging-dir", os.path.join(p["work"], "logs"),
                    "--overwrite-output-dir"]   # every round writes the same folder (a second run into it is refused otherwise)
            ours = {
                "job": ["dotnet", p["example"]],                                    # the program as built (dotnet build -c Release)
                "job-r2r": [p["published"]],                                        # published with ReadyToRun
                "job-dotnet-run": ["dotnet", "run", "-c", "Release", "--project", p["example_project"], "--"],   # what typing dotnet run waits
            }[self.kind]
            return ours + args, [p["python"], p["peer"], "job", p["imdb"], p["vocab"], os.path.join(p["work"], "results-py")]
        if self.kind == "startup":
            return ["dotnet", p["bench"], "peer", "startup"], [p["python"], p["peer"], "startup"]
        if self.kind == "sgemm":
            return ["dotnet", p["bench"], "peer", "sgemm", "2048", "5"], [p["python"], p["peer"], "sgemm", "2048", "5"]
        raise ValueError(self.kind)


ROWS = {
    "train-tiny": Row("train", "tiny", 128, 32, (10, 30)),
    "train-mini": Row("train", "mini", 128, 32, (4, 10)),
    "eval-tiny": Row("eval", "tiny", 128, 32, (10, 30)),
    "eval-mini": Row("eval", "mini", 128, 32, (4, 12)),
    # Real lengths (--real-lengths, or by name): 512 tokens, all-MiniLM-L6-v2's shape and bert-base's, each attention.
    # PyTorch 1.13 has no scaled_dot_product_attention, so its sdpa rows run eager (its JSON says so).
    **{f"train512-{size}-{attention}": Row("train", size, 512, batch, (2, 4) if size == "base" else (2, 6), default=False, attention=attention)
       for size, batch in (("minilm", 16), ("base", 8)) for attention in ("eager", "sdpa")},
    **{f"eval512-minilm-{attention}": Row("eval", "minilm", 512, 16, (3, 8), default=False, attention=attention) for attention in ("eager", "sdpa")},
    # bf16: ours with TrainingArguments.Bf16 (Bf16FullEval), PyTorch with CPU autocast (the model in bfloat16).
    "train-mini-bf16": Row("train", "mini", 128, 32, (4, 10), default=False, precision="bf16"),
    "eval-mini-bf16": Row("eval", "mini", 128, 32, (4, 12), default=False, precision="bf16-full-eval"),
    "train512-minilm-sdpa-bf16": Row("train", "minilm", 512, 16, (2, 6), default=False, precision="bf16", attention="sdpa"),
    "job": Row("job"),
    "job-r2r": Row("job-r2r"),
    "job-dotnet-run": Row("job-dotnet-run"),
    "startup": Row("startup"),
    "sgemm": Row("sgemm"),
}


def ids_needed(selected, scale):
    """Reviews each token-id file needs, by length: the timed batches plus the warm-up."""
    needed = {}
    for name in selected:
        row = ROWS[name]
        if row.kind in ("train", "eval"):
            batches = row.timed(scale) + (WARMUP_STEPS if row.kind == "train" else 1)
            needed[row.length] = max(needed.get(row.length, 0), batches * row.batch)
    return needed


def flops(size, batch, length, training):
    """Matrix-product FLOPs of one BERT step on batch × length tokens (a multiply-add is 2): per layer the
    Q/K/V, output and two feed-forward projections, and the two attention products; the pooler and the
    classifier. Backward does twice the forward's products (gradients of inputs and of weights)."""
    layers, hidden, heads = SIZES[size]
    tokens = batch * length
    projections = 2 * tokens * (3 * hidden * hidden + hidden * hidden + 2 * hidden * 4 * hidden)
    attention = 2 * 2 * batch * length * length * hidden   # QKᵀ and PV over all heads
    forward = layers * (projections + attention) + 2 * batch * (hidden * hidden + hidden * 2)
    return 3 * forward if training else forward
