// Expect: DSL103: a loss module created on every step, assigned to a local, is still reported.
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
        var loss = {|DSL103:nn.MSELoss()|};
        return loss.forward(model.forward(batch.X), batch.X);
    }
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
