// Expect: nothing: a property returning a field (expression body or getter block) is the field, not a second model.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class T
{
    private readonly Net _model = new();
    private readonly TrainingArguments _args = new();
    public Net Model => _model;
    public TrainingArguments Arguments { get { return _args; } }
    [TrainStep] Tensor Step(Batch batch) => _model.forward(batch.X).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
