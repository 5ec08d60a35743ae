// Expect: DSL035 on 'args', which is passed to the base class that does not expose it, and read by the loop.
// Message: expose it from 'RunNamer' as a protected or public field or property
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
public partial class T(Net model, TrainingArguments {|DSL035:args|}) : RunNamer(args)
{
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
