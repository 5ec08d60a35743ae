// Expect: DSL013, saying the module field is static.
// Message: '_net' is static, but the model must be an instance member
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class {|DSL013:T|}(TrainingArguments args)
{
    private static readonly Net _net = new();
    [TrainStep] Tensor Step(Batch batch) => _net.forward(batch.X).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
