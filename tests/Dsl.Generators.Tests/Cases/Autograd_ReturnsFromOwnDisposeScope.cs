// Expect: DSL044 on the loss returned from inside the step's own dispose scope; MoveToOuter is fine.
// Message: the step's own dispose scope
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class T(Net model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(Batch batch)
    {
        using var scope = torch.NewDisposeScope();
        var loss = model.forward(batch.X).mean();
        return {|DSL044:loss|};
    }
}

[Trainer]
public partial class U(Net model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(Batch batch)
    {
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(model.forward(batch.X).mean());
    }
}
