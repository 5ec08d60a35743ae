// Expect: DSL034 on the base class in the base list: two trainers in one hierarchy would each have a loop.
// Message: derives from the [Trainer] class 'BaseTrainer'
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class BaseTrainer(Net model, TrainingArguments args)
{
    [TrainStep] protected virtual Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

[Trainer]
public partial class T(Net model, TrainingArguments args) : {|DSL034:BaseTrainer|}(model, args)
{
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
