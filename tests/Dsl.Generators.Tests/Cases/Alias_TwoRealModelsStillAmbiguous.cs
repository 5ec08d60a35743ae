// Expect: DSL014: a property computing something from two modules is not an alias; both modules remain.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class {|DSL014:T|}(Net student, Net teacher, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
