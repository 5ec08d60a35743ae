// Expect: nothing: 'Model => model' exposes the parameter; it is one model, not two.
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
    public Net Model => model;
    public TrainingArguments Arguments => args;
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
