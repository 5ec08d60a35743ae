// Expect: DSL036 on the class: it has trainer members but no [Trainer], so nothing is generated. The calls to
// Train report CS1061, which adding [Trainer] removes.
// Message: has [OnLog], [TrainStep] methods, but no [Trainer] attribute
// Compiler: CS1061
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

public partial class {|DSL036:T|}(Net model, TrainingArguments args)
{
    [OnLog] void Logged() { }
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
