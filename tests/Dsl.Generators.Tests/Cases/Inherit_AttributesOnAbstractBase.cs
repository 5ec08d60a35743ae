// Expect: DSL036 on the abstract base, whose [TrainStep] is not read; the trainer marks its override.
// Message: a base class's attributes are not read
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

public abstract class {|DSL036:StepBase|}
{
    [TrainStep] protected abstract Tensor Step(Batch batch);
}

[Trainer]
public partial class T(Net model, TrainingArguments args) : StepBase
{
    [TrainStep] protected override Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
