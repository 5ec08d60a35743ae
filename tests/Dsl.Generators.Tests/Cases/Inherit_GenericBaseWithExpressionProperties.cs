// Expect: nothing: a generic base class exposes the model and the arguments through properties.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

public abstract class TrainerBase<TModel>(TModel model, TrainingArguments args) where TModel : nn.Module
{
    public TModel Model => model;
    public TrainingArguments Arguments => args;
}

[Trainer]
public partial class T(Net model, TrainingArguments args) : TrainerBase<Net>(model, args)
{
    [TrainStep] Tensor Step(Batch batch) => Model.forward(batch.X).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
