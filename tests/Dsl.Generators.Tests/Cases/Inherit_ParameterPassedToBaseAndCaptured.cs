// Expect: only C#'s own CS9107 on the user's line: the class's own [Optimizer] captures 'args', which also goes to the
// base class. The loop then reads the parameter as that code does and adds nothing (no CS9124 in generated code).
// Compiler: CS9107
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
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
    [Optimizer] Optimizer Make() => SGD(model.parameters(), args.LearningRate);
}
