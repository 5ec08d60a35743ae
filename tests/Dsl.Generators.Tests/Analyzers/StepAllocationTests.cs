using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL103: an optimizer, schedule, module or data loader created inside a train step.</summary>
public sealed class StepAllocationTests
{
    private static void Verify(string trainer) => Markup.Verify(Sources.Trainer(trainer), Sources.Common);

    [Fact]
    public void DSL103_new_optimizers_schedules_modules_and_loaders_are_reported() => Verify("""
        [Trainer]
        public partial class Wasteful(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var optimizer = {|DSL103:SGD(model.parameters(), 0.1)|};
                var schedule = {|DSL103:Schedules.Constant(optimizer)|};
                var linear = {|DSL103:nn.Linear(4, 2)|};
                var net = {|DSL103:new Net()|};
                var criterion = {|DSL103:nn.CrossEntropyLoss()|};
                var loader = {|DSL103:new Dsl.Data.DataLoader<Batch, Example>(Array.Empty<Example>(), 2)|};
                return model.forward(batch.X).mean();
            }
        }
        """);

    [Fact]
    public void DSL103_is_silent_where_they_belong() => Verify("""
        [Trainer]
        public partial class Fine(Net model, TrainingArguments args)
        {
            private readonly Net _teacher = new Net();
            private readonly Loss<Tensor, Tensor, Tensor> _criterion = nn.CrossEntropyLoss();

            [Model] public Net Model { get; } = model;
            [Optimizer] Optimizer Make() => SGD(model.parameters(), 0.1);
            [Scheduler] LRScheduler Schedule(Optimizer o, int steps) => Schedules.Constant(o);
            [TrainStep] Tensor Step(Batch batch) => Model.forward(batch.X).mean() + _teacher.forward(batch.X).mean();
            [OnTrainEnd] void Done() => _ = new Net();
        }
        """);

    [Fact]
    public void DSL103_names_the_kind_and_the_type()
    {
        const string code = """
            [Trainer]
            public partial class Wasteful(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) { var o = {|DSL103:AdamW(model.parameters())|}; return model.forward(batch.X).mean(); }
            }
            """;
        Verify(code);
        var (_, analyzers, _) = AnalyzerHarness.Run(Markup.Parse(Sources.Trainer(code)).Source, Sources.Common);
        Assert.StartsWith("[TrainStep] 'Step' creates a new optimizer 'AdamW' on every batch",
            Assert.Single(analyzers).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
