// Every diagnostic of the DSL, each reported on the line whose comment names it. A test
// (AllDiagnosticsTests) runs the generator and the analyzers over this file, as a build would, and
// checks that exactly these IDs are reported on exactly these lines. Not compiled into the tests.
using System;
using System.Threading.Tasks;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Samples;

public sealed class Net : nn.Module<Tensor, Tensor>
{
    public Net() : base("net") { }
    public override Tensor forward(Tensor x) => x;
}

public readonly record struct Example(float[] X, long Y);

public sealed class Batch : IBatch<Batch, Example>
{
    public Tensor X { get; init; } = null!;
    public Tensor Y { get; init; } = null!;
    public static Batch Collate(ReadOnlySpan<Example> examples, Device device) => new();
    public void Dispose() { }
}

public sealed class OtherBatch : IBatch<OtherBatch, int>
{
    public static OtherBatch Collate(ReadOnlySpan<int> examples, Device device) => new();
    public void Dispose() { }
}

public sealed class NotABatch
{
    public Tensor X { get; init; } = null!;
}

// The class: DSL001-DSL004, DSL013-DSL015, DSL019.

[Trainer]
public class NotPartial(Net model, TrainingArguments args) // DSL001
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

public class Outer // DSL002
{
    [Trainer]
    public partial class Inner(Net model, TrainingArguments args)
    {
        [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
    }
}

[Trainer]
public partial class Generic<T>(Net model, TrainingArguments args) // DSL003
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

[Trainer]
public partial class Stepless(Net model, TrainingArguments args); // DSL004

[Trainer]
public partial class Modelless(TrainingArguments args) // DSL013
{
    [TrainStep] Tensor Step(Batch batch) => batch.X.mean();
}

[Trainer]
public partial class Twins(Net left, Net right, TrainingArguments args) // DSL014
{
    [TrainStep] Tensor Step(Batch batch) => left.forward(batch.X).mean() + right.forward(batch.X).mean();
}

[Trainer]
public partial class Argless(Net model) // DSL015
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

[Trainer]
public partial class Clash(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
    public void Train() { } // DSL019
}

// Inheritance and ignored trainers: DSL034-DSL037.

[Trainer]
public partial class Derived(Net model, TrainingArguments args)
    : Clash(model, args) // DSL034
{
}

public abstract class Holder(TrainingArguments args)
{
    protected string Folder { get; } = args.OutputDir;
}

// Valid: 'args' also goes to the base class; the loop reads it through a field of its own (DSL035 is retired).
[Trainer]
public partial class Passed(Net model,
    TrainingArguments args)
    : Holder(args)
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

public partial class Unmarked(Net model, TrainingArguments args) // DSL036
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

[Trainer]
public partial record Recorded(Net Model, TrainingArguments Args) // DSL037
{
    [TrainStep] Tensor Step(Batch batch) => Model.forward(batch.X).mean();
}

// The attributed members: DSL005-DSL012, DSL016-DSL018, DSL030.

[Trainer]
public partial class Members(Net model, TrainingArguments args)
{
    [TrainStep] StepOutput Step(Batch batch) => model.forward(batch.X).mean();
    [TrainStep] StepOutput StepAgain(Batch batch) => model.forward(batch.X).mean(); // DSL005
    [EvalStep] StepOutput Check(OtherBatch batch) => torch.zeros(1); // DSL007
    [Optimizer] Optimizer MakeOptimizer(double lr) => SGD(model.parameters(), lr); // DSL008
    [Scheduler] LRScheduler MakeSchedule(Optimizer optimizer) => Schedules.Constant(optimizer); // DSL009
    [Metric] Tensor Score(Tensor predictions, Tensor labels) => predictions; // DSL010
    [OnLog] void PrintLog(StepEndEvent e) { } // DSL011
    [OnSave] async Task Upload(SaveEvent e) => await Task.Yield(); // DSL012
    [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
    [Metric("accuracy")] double Acc(Tensor predictions, Tensor labels) => 0; // DSL018
    [OnStepEnd] int Count() => 0; // DSL030
}

[Trainer]
public partial class BadStep(Net model, TrainingArguments args)
{
    [TrainStep] double Step(Batch batch) => model.forward(batch.X).shape[0]; // DSL006
}

[Trainer]
public partial class Unbatched(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(NotABatch batch) => model.forward(batch.X).mean(); // DSL016
}

[Trainer]
public partial class Blind(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
    [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0; // DSL017
}

// Constant settings: DSL020-DSL029, DSL033, DSL038-DSL041, DSL046-DSL048, DSL051-DSL053.

[Trainer]
public partial class Scored(Net model, TrainingArguments args)
{
    [TrainStep] StepOutput Step(Batch batch) => model.forward(batch.X).mean();
    [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
}

public static class Settings
{
    public static TrainingArguments Broken() => new()
    {
        GradientAccumulationSteps = 0, // DSL020
        LoggingSteps = 0, // DSL021
        SaveTotalLimit = -1, // DSL022
        LearningRate = 0, // DSL023
        WarmupRatio = 1.5, // DSL024
        LoadBestModelAtEnd = true, // DSL026
    };

    public static TrainingArguments BothPrecisions() => new() { Bf16 = true, Fp16 = true }; // DSL025


    public static TrainingArguments BestOfNothing() => new() { SaveStrategy = SaveStrategy.Best, EvalStrategy = IntervalStrategy.Epoch }; // DSL033

    public static TrainingArguments SaveByStepsEvalByEpoch() =>
        new() { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Epoch }; // DSL027

    public static TrainingArguments Misaligned() =>
        new() { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 30, SaveSteps = 50 }; // DSL028

    public static Scored BestByF1(Net model) =>
        new(model, new TrainingArguments { MetricForBestModel = "f1" }); // DSL029

    public static TrainingArguments EmptyBatches() => new() { PerDeviceTrainBatchSize = 0 }; // DSL038

    public static TrainingArguments NoLength() => new() { NumTrainEpochs = 0 }; // DSL039

    public static TrainingArguments Typo() => new() { ReportTo = ["tensorbord"] }; // DSL047

    public static TrainingArguments PlateauBlind() => new() { LrSchedulerType = SchedulerType.ReduceLROnPlateau }; // DSL048

    public static void TrainOnly(Scored trainer, System.Collections.Generic.List<Example> train)
    {
        _ = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch };
        trainer.Train(train); // DSL041
    }

    public static TrainingArguments StopWithoutEvaluating() => new() { EarlyStoppingPatience = 3 }; // DSL040
    public static TrainOutput Streamed(Net model, System.Collections.Generic.IEnumerable<Example> stream) =>
        new Scored(model, new TrainingArguments { NumTrainEpochs = 2 }).Train(stream); // DSL046

    public static Dsl.Text.Modeling.BertConfig Flash() => new() { AttnImplementation = "flash_attention_2" }; // DSL052

    public static Scored Recomputed(Net model) => new(model, new TrainingArguments { GradientCheckpointing = true }); // DSL053
}

// Steps that break autograd: DSL042-DSL045.

[Trainer]
public partial class Frozen(Net model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(Batch batch)
    {
        using var off = torch.no_grad(); // DSL042
        return model.forward(batch.X).mean();
    }
}

[Trainer]
public partial class Cut(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean().detach(); // DSL043
}

[Trainer]
public partial class Freed(Net model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(Batch batch)
    {
        using var loss = model.forward(batch.X).mean();
        return loss; // DSL044
    }
}

[Trainer]
public partial class Tinkered(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

    [EvalStep]
    Tensor Check(Batch batch)
    {
        var loss = model.forward(batch.X).mean();
        loss.backward(); // DSL045
        return loss;
    }
}

// Inside the step: DSL031, DSL101-DSL103.

[Trainer]
public partial class Busy(Net model, TrainingArguments args)
{
    private readonly Optimizer _optimizer = SGD(model.parameters(), 0.1);
    private Tensor? _last;

    public Tensor? Last => _last;

    [TrainStep]
    Tensor Step(Batch batch)
    {
        var loss = model.forward(batch.X).mean();
        loss.backward(); // DSL031
        _optimizer.step(); // DSL031
        Console.WriteLine(loss.item<float>()); // DSL101
        _last = loss; // DSL102
        var criterion = nn.MSELoss(); // DSL103
        return loss + criterion.forward(loss, loss);
    }
}

// Hooks: DSL049, DSL050.

[Trainer]
public partial class Hooked(Net model, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

    [OnPreOptimizerStep] void Twice(PreOptimizerStepEvent e) => e.Optimizer.step(); // DSL049

    [OnEpochBegin] TrainerControl Begin() => TrainerControl.Save; // DSL050

    [OnTrainEnd] TrainerControl Done() => TrainerControl.None; // DSL050
}

// Named evaluation sets: DSL051.

public static class NamedRuns
{
    public static void Run(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val)
    {
        var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch,
            MetricForBestModel = "loss" }; // DSL051
        new Hooked(model, args).Train(train,
            evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { ["val"] = val });
    }
}
