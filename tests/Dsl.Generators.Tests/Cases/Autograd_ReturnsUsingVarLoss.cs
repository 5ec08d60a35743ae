// Expect: DSL044 on the returned loss declared 'using var'; a 'using var' intermediate is fine.
// Message: which its 'using' declaration disposes as the step returns
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
    [TrainStep]
    Tensor Step(Batch batch)
    {
        using var logits = model.forward(batch.X);
        using var loss = logits.mean();
        return {|DSL044:loss|};
    }
}
