// Expect: DSL013 on the class only; the calls to Train, Evaluate, Predict and State compile (no CS1061).
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class {|DSL013:T|}(TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => batch.X.mean();
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

static class UseNamed
{
    static void Run(T trainer, List<Example> train, Dictionary<string, IReadOnlyList<Example>> sets)
    {
        trainer.Train(train, evalDatasets: sets);
        trainer.Evaluate(sets);
        trainer.Evaluate(evalDatasets: sets, metricKeyPrefix: "val");
    }
}
