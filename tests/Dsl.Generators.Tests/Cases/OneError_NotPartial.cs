// Expect: DSL001 on the class. Nothing can be added to a class that is not partial, so the call sites report CS1061;
// the code fix (make it partial) removes all of them at once.
// Compiler: CS1061
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public class {|DSL001:T|}(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
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
