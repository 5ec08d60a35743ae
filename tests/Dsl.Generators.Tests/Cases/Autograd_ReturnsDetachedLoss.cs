// Expect: DSL043 on the detached loss, in a Tensor step and in a StepOutput's loss; detached logits are fine.
// Message: which is cut from the autograd graph
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
    StepOutput Step(Batch batch)
    {
        var logits = model.forward(batch.X);
        return new StepOutput({|DSL043:logits.mean().detach()|}, logits.detach(), batch.Y);
    }
}

[Trainer]
public partial class U(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => {|DSL043:model.forward(batch.X).mean().detach()|};
}

[Trainer]
public partial class V(Net model, TrainingArguments args)
{
    // A lambda's return is not the step's: nothing to report.
    [TrainStep]
    Tensor Step(Batch batch)
    {
        Func<Tensor, Tensor> frozen = t => { return t.detach(); };
        return model.forward(frozen(batch.X)).mean();
    }
}
