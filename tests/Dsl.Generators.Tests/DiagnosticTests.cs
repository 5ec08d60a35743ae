using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests;

/// <summary>
/// What stops the generator is reported on the exact member, and nothing is emitted for that trainer.
/// (DSL001, DSL002, DSL004 and DSL030 have code fixes, so analyzers report them: see Analyzers/.)
/// </summary>
public sealed class DiagnosticTests
{
    private static void Verify(string trainer) => Markup.Verify(Sources.Trainer(trainer), Sources.Common);

    [Fact]
    public void DSL003_generic_trainer() => Verify("""
        [Trainer]
        public partial class {|DSL003:Generic|}<T>(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL005_two_train_steps() => Verify("""
        [Trainer]
        public partial class Twice(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [TrainStep] Tensor {|DSL005:StepAgain|}(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL005_two_optimizers() => Verify("""
        [Trainer]
        public partial class Twice(Net model, TrainingArguments args)
        {
            [Optimizer] Optimizer A() => SGD(model.parameters(), 0.1);
            [Optimizer] Optimizer {|DSL005:B|}() => SGD(model.parameters(), 0.1);
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Theory]
    [InlineData("static Tensor {|DSL006:Step|}(Batch batch) => batch.X.mean();")]
    [InlineData("Tensor {|DSL006:Step|}(Batch a, Batch b) => a.X.mean();")]
    [InlineData("double {|DSL006:Step|}(Batch batch) => 0;")]
    [InlineData("Tensor {|DSL006:Step|}<T>(Batch batch) => batch.X.mean();")]
    [InlineData("Tensor {|DSL006:Step|}(ref Batch batch) => batch.X.mean();")]
    public void DSL006_train_step_signature(string step) => Verify($$"""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [TrainStep] {{step}}
        }
        """);

    [Fact]
    public void DSL007_eval_batch_differs() => Verify("""
        public sealed class OtherBatch : IBatch<OtherBatch, int>
        {
            public static OtherBatch Collate(ReadOnlySpan<int> e, Device d) => new();
            public void Dispose() { }
        }

        [Trainer]
        public partial class Mismatch(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [EvalStep] Tensor {|DSL007:Check|}(OtherBatch batch) => torch.zeros(1);
        }
        """);

    [Theory]
    [InlineData("Optimizer {|DSL008:Make|}(int x) => SGD(model.parameters(), 0.1);")]
    [InlineData("Tensor {|DSL008:Make|}() => torch.zeros(1);")]
    [InlineData("static Optimizer {|DSL008:Make|}() => null!;")]
    public void DSL008_optimizer_signature(string method) => Verify($$"""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [Optimizer] {{method}}
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Theory]
    [InlineData("LRScheduler {|DSL009:Make|}(Optimizer o) => Schedules.Constant(o);")]
    [InlineData("LRScheduler {|DSL009:Make|}(Optimizer o, long steps) => Schedules.Constant(o);")]
    [InlineData("Tensor {|DSL009:Make|}(Optimizer o, int steps) => torch.zeros(1);")]
    [InlineData("LRScheduler {|DSL009:Make|}(TorchSharp.Modules.AdamW o, int steps) => Schedules.Constant(o);")]
    public void DSL009_scheduler_signature(string method) => Verify($$"""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [Scheduler] {{method}}
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL009_is_silent_when_the_optimizer_fits_the_scheduler_parameter() => Verify("""
        [Trainer]
        public partial class Fits(Net model, TrainingArguments args)
        {
            [Optimizer] TorchSharp.Modules.AdamW Make() => AdamW(model.parameters());
            [Scheduler] LRScheduler Schedule(TorchSharp.Modules.AdamW o, int steps) => Schedules.Constant(o);
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Theory]
    [InlineData("double {|DSL010:Score|}(Tensor predictions) => 0;")]
    [InlineData("Tensor {|DSL010:Score|}(Tensor predictions, Tensor labels) => predictions;")]
    [InlineData("double {|DSL010:Score|}(Tensor predictions, long[] labels) => 0;")]
    public void DSL010_metric_signature(string metric) => Verify($$"""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => model.forward(batch.X).mean();
            [Metric] {{metric}}
        }
        """);

    [Theory]
    [InlineData("OnLog", "void {|DSL011:Hook|}(StepEndEvent e) { }")]
    [InlineData("OnStepEnd", "void {|DSL011:Hook|}<T>() { }")]
    [InlineData("OnSave", "void {|DSL011:Hook|}(SaveEvent e, int x) { }")]
    [InlineData("OnTrainEnd", "static void {|DSL011:Hook|}() { }")]
    [InlineData("OnEvaluate", "async Task {|DSL012:Hook|}(EvaluateEvent e) => await Task.Yield();")]
    [InlineData("OnEpochEnd", "Task {|DSL012:Hook|}() => Task.CompletedTask;")]
    public void DSL011_and_DSL012_hook_signatures(string attribute, string hook) => Verify($$"""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [{{attribute}}] {{hook}}
        }
        """);

    [Fact]
    public void DSL013_no_model() => Verify("""
        [Trainer]
        public partial class {|DSL013:Modelless|}(TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => batch.X.mean();
        }
        """);

    [Fact]
    public void DSL014_two_models_and_no_Model_attribute() => Verify("""
        [Trainer]
        public partial class {|DSL014:Twins|}(Net left, Net right, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => left.forward(batch.X).mean() + right.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL014_is_silent_when_one_is_marked_Model_or_stored_from_the_parameter() => Verify("""
        [Trainer]
        public partial class Marked([Model] Net left, Net right, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => left.forward(batch.X).mean() + right.forward(batch.X).mean();
        }

        [Trainer]
        public partial class Stored(Net model, TrainingArguments args)
        {
            public Net Model { get; } = model;
            [TrainStep] Tensor Step(Batch batch) => Model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL015_no_arguments() => Verify("""
        [Trainer]
        public partial class {|DSL015:Argless|}(Net model)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL016_batch_type_without_IBatch() => Verify("""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(NotABatch {|DSL016:batch|}) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL017_metrics_without_logits() => Verify("""
        [Trainer]
        public partial class Blind(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [Metric] double {|DSL017:Accuracy|}(Tensor predictions, Tensor labels) => 0;
        }
        """);

    [Fact]
    public void DSL018_two_metrics_with_one_name() => Verify("""
        [Trainer]
        public partial class Same(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => model.forward(batch.X).mean();
            [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
            [Metric("accuracy")] double {|DSL018:Acc|}(Tensor predictions, Tensor labels) => 0;
        }
        """);

    [Fact]
    public void DSL019_member_named_like_a_generated_one() => Verify("""
        [Trainer]
        public partial class Clash(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            public void {|DSL019:Train|}() { }
        }
        """);

    [Fact]
    public void A_correct_trainer_reports_nothing() => Verify("""
        [Trainer]
        public partial class Fine(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void Every_diagnostic_has_a_title_a_help_link_a_docs_section_and_a_release_entry()
    {
        var descriptors = AllDescriptors();
        Assert.True(descriptors.Count >= 25, $"{descriptors.Count} rules");
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        string releases = File.ReadAllText(Path.Combine(RepositoryRoot(), "generators", "Dsl.Generators", "AnalyzerReleases.Unshipped.md"));
        foreach (var d in descriptors)
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Title.ToString()), d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.MessageFormat.ToString()), d.Id);
            Assert.Equal("diagnostics.md#" + d.Id.ToLowerInvariant(), d.HelpLinkUri);
            Assert.Matches(@"^DSL(0\d\d|1\d\d)$", d.Id);
            Assert.Equal(d.Id.StartsWith("DSL1", StringComparison.Ordinal) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, d.DefaultSeverity);
            Assert.Contains($"\n## {d.Id}\n", docs.Replace("\r\n", "\n"));
            Assert.Contains($"{d.Id} | {d.Category} | {d.DefaultSeverity} |", releases);
        }
        Assert.Equal(descriptors.Count, descriptors.Select(d => d.Id).Distinct().Count());
    }

    [Fact]
    public void The_documents_sections_are_in_ID_order()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md")).Replace("\r\n", "\n");
        var headings = System.Text.RegularExpressions.Regex.Matches(docs, @"^## (DSL\d{3})$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(headings.Order(StringComparer.Ordinal), headings);
        // No other section between two IDs: the others follow the last one.
        int last = docs.IndexOf("## " + headings[^1] + "\n", StringComparison.Ordinal);
        var between = System.Text.RegularExpressions.Regex.Matches(docs.Substring(0, last), @"^## (?!DSL\d{3}$).*$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Where(m => m.Index > docs.IndexOf("## " + headings[0] + "\n", StringComparison.Ordinal)).Select(m => m.Value).ToList();
        Assert.Empty(between);
    }

    [Fact]
    public void Every_analyzer_reports_only_descriptors_of_the_one_file()
    {
        var ids = AllDescriptors().Select(d => d.Id).ToHashSet();
        foreach (var analyzer in AnalyzerHarness.All)
            foreach (var d in analyzer.SupportedDiagnostics)
                Assert.True(ids.Contains(d.Id) && ReferenceEquals(d, AllDescriptors().Single(x => x.Id == d.Id)),
                    $"{analyzer.GetType().Name} reports {d.Id} from outside DiagnosticDescriptors");
    }

    internal static List<DiagnosticDescriptor> AllDescriptors() =>
        typeof(Dsl.Generators.Diagnostics.DiagnosticDescriptors)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Dsl.sln not found above " + AppContext.BaseDirectory);
    }
}
