// Expect: nothing. 'args' goes to the base class, which does not expose it, and the loop reads it: the generated code
// keeps it in a field initialized from the parameter (no second capture, no CS9107), and the trainer builds.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

public abstract class RunNamer(TrainingArguments args)
{
    protected string RunName { get; } = args.OutputDir;
}

[Trainer]
public partial class T(Net model, TrainingArguments args) : RunNamer(args)
{
    private readonly string _folder = args.OutputDir;   // an initializer reads it without capturing it
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

public abstract class ModelHolder(Net model)
{
    protected string Name { get; } = model.GetName();
}

[Trainer]
public partial class M(Net model, TrainingArguments args) : ModelHolder(model)
{
    [TrainStep] Tensor Step(Batch batch) => batch.X.mean() * Name.Length;
    [Optimizer] Optimizer Make() => SGD(new Net().parameters(), nameof(model).Length * 0.01);   // nameof captures nothing
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
