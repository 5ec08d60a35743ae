// Expect: nothing: only the batch type is internal; the example is public.
using System;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

sealed class MyBatch : IBatch<MyBatch, Example>
{
    public Tensor X { get; init; } = null!;
    public Tensor Y { get; init; } = null!;
    public static MyBatch Collate(ReadOnlySpan<Example> examples, Device device) => new();
    public void Dispose() { }
}

[Trainer]
public partial class T(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(MyBatch batch) => model.forward(batch.X).mean();
}
