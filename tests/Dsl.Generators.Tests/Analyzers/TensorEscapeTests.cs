using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL102: a tensor created in a train step kept after it, where the step's dispose scope frees it.</summary>
public sealed class TensorEscapeTests
{
    private static void Verify(string trainer) => Markup.Verify(Sources.Trainer(trainer), Sources.Common);

    [Fact]
    public void DSL102_fields_statics_collections_and_stored_lambdas_are_reported() => Verify("""
        [Trainer]
        public partial class Leaky(Net model, TrainingArguments args)
        {
            private Tensor? _last;
            private static Tensor? s_last;
            private readonly System.Collections.Generic.List<Tensor> _history = new();
            private readonly Tensor[] _window = new Tensor[4];
            private Func<long>? _later;
            public Tensor? Kept { get; set; }
            public event Action? Stepped;

            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                {|DSL102:_last = loss|};
                {|DSL102:s_last = loss * 2|};
                {|DSL102:_history.Add(loss)|};
                {|DSL102:_window[0] = loss.detach()|};
                {|DSL102:this.Kept = loss.detach()|};
                {|DSL102:_later = () => loss.numel()|};
                {|DSL102:Stepped += () => Console.WriteLine(loss.shape)|};
                return loss;
            }
        }
        """);

    [Fact]
    public void DSL102_is_silent_for_locals_tensors_made_elsewhere_and_tensors_moved_out_on_purpose() => Verify("""
        [Trainer]
        public partial class Careful(Net model, TrainingArguments args)
        {
            private Tensor? _last;
            private Tensor? _input;
            private double _lastValue;
            private Func<long>? _counter;

            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                var alias = loss;
                var output = new StepOutput(loss);
                _input = batch.X;
                _last = loss.detach().DetachFromDisposeScope();
                _last = loss.detach().MoveToOuterDisposeScope();
                _last = null;
                int n = 3;
                _counter = () => n;
                return alias;
            }

            [OnStepEnd] void Keep() => _last = torch.ones(1);
        }
        """);

    [Fact]
    public void DSL102_names_the_field_and_the_step()
    {
        const string code = """
            [Trainer]
            public partial class Leaky(Net model, TrainingArguments args)
            {
                private Tensor? _last;
                [TrainStep] Tensor Step(Batch batch) => Remember(model.forward(batch.X).mean());
                Tensor Remember(Tensor loss) { {|DSL102:_last = loss + 0|}; return loss; }
            }
            """;
        Verify(code);
        var (_, analyzers, _) = AnalyzerHarness.Run(Markup.Parse(Sources.Trainer(code)).Source, Sources.Common);
        Assert.StartsWith("'Remember' (called by [TrainStep] 'Step') stores a tensor it creates in '_last'",
            Assert.Single(analyzers).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
