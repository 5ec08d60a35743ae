// Expect: DSL019 on the base class: its Train would be hidden by the generated one (CS0108 in generated code).
// Message: declares 'Legacy.Train'
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

public class Legacy
{
    public void Train() { }
}

[Trainer]
public partial class T(Net model, TrainingArguments args) : {|DSL019:Legacy|}
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
