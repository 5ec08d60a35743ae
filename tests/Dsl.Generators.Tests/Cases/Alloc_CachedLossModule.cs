// Expect: nothing: a loss module created once with '??=' (or '?? (x = ...)') and cached is not a per-step allocation.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class T([Model] Net model, TrainingArguments args)
{
    private nn.Module<Tensor, Tensor, Tensor>? _loss;
    private nn.Module<Tensor, Tensor>? _head;

    [TrainStep]
    Tensor Step(Batch batch)
    {
        _loss ??= nn.MSELoss();
        var head = _head ?? (_head = nn.Identity());
        return _loss.forward(head.forward(model.forward(batch.X)), batch.X);
    }
}

static class Use
{
    static void Run(T trainer, List<Example> train, List<Example> eval)
    {
        trainer.Train(train, eval);
        EvalResult result = trainer.Evaluate(eval);
    }
}
