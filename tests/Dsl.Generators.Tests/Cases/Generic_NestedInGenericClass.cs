// Expect: nothing: a non-generic trainer nested in a generic class is concrete (no DSL003).
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

public static partial class Experiments<TTag>
{
    [Trainer]
    public partial class T(Net model, TrainingArguments args)
    {
        [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
    }
}

static class Use
{
    static void Run(Experiments<int>.T trainer, List<Example> train) => trainer.Train(train);
}
