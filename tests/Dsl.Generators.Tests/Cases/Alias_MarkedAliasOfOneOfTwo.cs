// Expect: nothing: of two modules, [Model] on the property that exposes the student picks the student.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class T(Net student, Net teacher, TrainingArguments args)
{
    [Model] public Net Student => student;
    [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
