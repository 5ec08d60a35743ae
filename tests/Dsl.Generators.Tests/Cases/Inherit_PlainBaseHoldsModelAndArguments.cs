// Expect: nothing: a plain base class holds the model, the arguments and a helper; the loop reads the base's
// members, and the parameters passed to it are not captured a second time (no CS9107).
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

public abstract class TrainerBase(Net model, TrainingArguments args)
{
    protected Net Model { get; } = model;
    protected TrainingArguments Arguments { get; } = args;
    protected Tensor Loss(Batch batch) => Model.forward(batch.X).mean();
}

[Trainer]
public partial class T(Net model, TrainingArguments args) : TrainerBase(model, args)
{
    [TrainStep] Tensor Step(Batch batch) => Loss(batch);
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
