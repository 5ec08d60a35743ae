// Expect: DSL004 on the class only; the calls compile.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class {|DSL004:T|}(Net model, TrainingArguments args)
{
    Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        trainer.Train(train, evalDataset: eval, resumeFromCheckpoint: "last");
        EvalResult result = trainer.Evaluate(eval);
        using var predictions = trainer.Predict(eval);
        Console.WriteLine(trainer.State.GlobalStep);
    }
}
