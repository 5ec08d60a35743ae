using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>A small MLP: 2 → 32 → 32 → 2.</summary>
public sealed class MoonsClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = nn.Linear(2, 32);
    private readonly Linear fc2 = nn.Linear(32, 32);
    private readonly Linear head = nn.Linear(32, 2);

    public MoonsClassifier() : base(nameof(MoonsClassifier)) => RegisterComponents();

    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        var hidden = nn.functional.relu(fc2.forward(nn.functional.relu(fc1.forward(features))));
        return head.forward(hidden).MoveToOuterDisposeScope();
    }
}
