// Expect: DSL037 on the record: [Trainer] goes on a partial class. The calls report CS1061 until it is one.
// Message: declare it 'partial class T'
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
public partial record {|DSL037:T|}(Net Model, TrainingArguments Args)
{
    [TrainStep] Tensor Step(Batch batch) => Model.forward(batch.X).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
