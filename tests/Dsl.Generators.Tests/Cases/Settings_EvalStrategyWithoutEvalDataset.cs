// Expect: DSL041 on each Train call without an evaluation dataset, in a method whose arguments evaluate every epoch.
// Message: set EvalStrategy = IntervalStrategy.Epoch
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
}

static class Run
{
    static void Main(Net model, List<Example> train, List<Example> eval)
    {
        var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch };
        var trainer = new T(model, args);
        {|DSL041:trainer.Train(train)|};
        {|DSL041:trainer.Train(train, null)|};
        trainer.Train(train, eval);
    }

    static void NoEvaluation(Net model, List<Example> train)
    {
        var trainer = new T(model, new TrainingArguments { EvalStrategy = IntervalStrategy.No });
        trainer.Train(train);
    }
}

static class Named
{
    // Named evaluation sets are evaluation datasets too: nothing to report.
    static void Main(Net model, List<Example> train, List<Example> eval)
    {
        var trainer = new T(model, new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch });
        trainer.Train(train, evalDatasets: new Dictionary<string, IReadOnlyList<Example>> { ["a"] = eval });
    }
}
