using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MyTrainer;

/// <summary>A small MLP: 2 → 16 → 2.</summary>
public sealed class PointClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Linear hidden = nn.Linear(2, 16);
    private readonly Linear head = nn.Linear(16, 2);

    public PointClassifier() : base(nameof(PointClassifier)) => RegisterComponents();

    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        return head.forward(nn.functional.relu(hidden.forward(features))).MoveToOuterDisposeScope();
    }
}
