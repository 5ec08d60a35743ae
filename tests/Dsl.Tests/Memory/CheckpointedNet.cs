using Dsl.Memory;
using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Tests.Memory;

/// <summary>One block: linear, GELU, LayerNorm, dropout (libtorch's, drawn from torch's generator).</summary>
public sealed class DropoutBlock : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;
    private readonly LayerNorm norm;
    private readonly Dropout dropout;

    public DropoutBlock(int width, double p) : base(nameof(DropoutBlock))
    {
        fc = nn.Linear(width, width);
        norm = nn.LayerNorm(width);
        dropout = nn.Dropout(p);
        RegisterComponents();
    }

    /// <summary>Calls to forward, counting recomputations.</summary>
    public int Calls { get; private set; }

    /// <summary>When set, the forward throws from this call on (a block that fails when recomputed).</summary>
    public int? FailFromCall { get; set; }

    /// <summary>When set, the forward's output has another shape from this call on.</summary>
    public int? ReshapeFromCall { get; set; }

    public override Tensor forward(Tensor x)
    {
        Calls++;
        if (Calls >= FailFromCall) throw new InvalidOperationException("the block cannot run twice");
        var y = dropout.forward(norm.forward(nn.functional.gelu(fc.forward(x)))) + x;
        return Calls >= ReshapeFromCall ? y.narrow(1, 0, y.shape[1] - 1) : y;
    }
}

/// <summary>A user's module that supports gradient checkpointing: it declares it and checkpoints its blocks.</summary>
public sealed class CheckpointedNet : nn.Module<Tensor, Tensor>, IGradientCheckpointing
{
    private readonly Linear input;
    private readonly ModuleList<DropoutBlock> blocks;
    private readonly Linear head;

    public CheckpointedNet(double p = 0.3) : base(nameof(CheckpointedNet))
    {
        input = nn.Linear(4, 16);
        blocks = nn.ModuleList(new DropoutBlock(16, p), new DropoutBlock(16, p), new DropoutBlock(16, p));
        head = nn.Linear(16, 2);
        RegisterComponents();
    }

    public static CheckpointedNet Create(int seed = 1, double p = 0.3)
    {
        torch.manual_seed(seed);
        return new CheckpointedNet(p);
    }

    public DropoutBlock Block(int i) => blocks[i];

    public override Tensor forward(Tensor x)
    {
        var h = input.forward(x);
        foreach (var block in blocks) h = GradientCheckpointing.Checkpoint(block, h);
        return head.forward(h);
    }
}

/// <summary>The plainest trainer of a <see cref="CheckpointedNet"/>: AdamW from the arguments, cross-entropy.</summary>
[Trainer]
public partial class CheckpointedTrainer(CheckpointedNet model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
}
