using Dsl.Generators.Analyzers;
using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL052 and DSL053: settings a model is known not to support, where they are constants.</summary>
public sealed class ModelSupportTests
{
    // Stand-ins for Dsl.Text's types, by their metadata names (the tests compile without Dsl.Text).
    private const string BertTypes = """
        namespace Dsl.Text.Modeling
        {
            public sealed record BertConfig { public string? AttnImplementation { get; init; } public int HiddenSize { get; init; } }
        }
        namespace Dsl.Text.Pretrained
        {
            public sealed record PretrainedOptions { public string? AttnImplementation { get; init; } }
        }
        """;

    private const string Trainers = """
        [Trainer]
        public partial class PlainTrainer(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }

        public sealed class Checkpointed : nn.Module<Tensor, Tensor>, Dsl.Memory.IGradientCheckpointing
        {
            public Checkpointed() : base("c") { }
            public override Tensor forward(Tensor x) => x;
        }

        public class Open : nn.Module<Tensor, Tensor>
        {
            public Open() : base("o") { }
            public override Tensor forward(Tensor x) => x;
        }

        [Trainer]
        public partial class CheckpointedTrainer(Checkpointed model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }

        [Trainer]
        public partial class OpenTrainer(Open model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }

        """;

    private static void Verify(string source) => Markup.Verify(Sources.Trainer(Trainers + source), Sources.Common, BertTypes);

    [Fact]
    public void DSL052_an_attention_implementation_bert_lacks_is_reported_on_the_value() => Verify("""
        public static class Configs
        {
            public static object[] Made(Dsl.Text.Modeling.BertConfig given) =>
            [
                new Dsl.Text.Modeling.BertConfig { AttnImplementation = {|DSL052:"flash_attention_2"|} },
                given with { AttnImplementation = {|DSL052:"spda"|}, HiddenSize = 8 },
                new Dsl.Text.Pretrained.PretrainedOptions { AttnImplementation = {|DSL052:"flex_attention"|} },
                new Dsl.Text.Modeling.BertConfig { AttnImplementation = "sdpa" },
                new Dsl.Text.Pretrained.PretrainedOptions { AttnImplementation = "eager" },
                new Dsl.Text.Modeling.BertConfig { AttnImplementation = null },
                new Dsl.Text.Modeling.BertConfig { AttnImplementation = Environment.GetEnvironmentVariable("ATTENTION") },
            ];
        }
        """);

    [Fact]
    public void DSL053_checkpointing_a_model_known_not_to_support_it_is_reported_on_the_setting() => Verify("""
        public static class Runs
        {
            public static void Wrong(Net model)
            {
                new PlainTrainer(model, new TrainingArguments { {|DSL053:GradientCheckpointing = true|} });
                var args = new TrainingArguments { OutputDir = "o", {|DSL053:GradientCheckpointing = true|} };
                new PlainTrainer(new Net(), args);
                new OpenTrainer(new Open(), new TrainingArguments { {|DSL053:GradientCheckpointing = true|} });
            }

            public static void Fine(Net model, Open open, TrainingArguments given, bool flag)
            {
                new CheckpointedTrainer(new Checkpointed(), new TrainingArguments { GradientCheckpointing = true });
                new PlainTrainer(model, new TrainingArguments { GradientCheckpointing = false });
                new PlainTrainer(model, new TrainingArguments());
                new PlainTrainer(model, new TrainingArguments { GradientCheckpointing = flag });
                new PlainTrainer(model, given);
                new OpenTrainer(open, new TrainingArguments { GradientCheckpointing = true });   // a subclass may support it
            }
        }
        """);

    [Fact]
    public void The_analyzers_list_of_implementations_is_the_runtimes()
    {
        // The tests do not reference Dsl.Text: read its AttentionImplementations constants from the source.
        string source = File.ReadAllText(Path.Combine(DiagnosticTests.RepositoryRoot(), "src", "Dsl.Text", "Modeling", "BertConfig.Attention.cs"));
        var runtime = System.Text.RegularExpressions.Regex.Matches(source, @"public const string (?:Eager|Sdpa) = ""([^""]+)""")
            .Select(m => m.Groups[1].Value).Order().ToList();
        Assert.Equal(2, runtime.Count);
        Assert.Equal(runtime, ModelSupportAnalyzer.AttentionImplementations.Order().ToList());
    }
}
