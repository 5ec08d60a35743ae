// Expect: DSL019 on the user's Predict only; Train and Evaluate still compile, and the user's Predict is kept.
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
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
    public PredictionOutput {|DSL019:Predict|}(List<Example> data) => throw new NotImplementedException();
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
