// Expect: nothing: parameters stored through '?? throw' count once, as the properties.
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
    public Net Model { get; } = model ?? throw new ArgumentNullException(nameof(model));
    public TrainingArguments Arguments { get; } = args ?? throw new ArgumentNullException(nameof(args));
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
