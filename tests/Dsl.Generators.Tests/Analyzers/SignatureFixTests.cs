using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// DSL006, DSL008–DSL011 and DSL014 are reported by TrainerMembersAnalyzer (the generator's own checks) so that
/// their one-edit fixes can be offered: by-ref to by-value, static to instance, nullable return to non-nullable,
/// and [Model] on one of several modules. Each with Fix All.
/// </summary>
public sealed class SignatureFixTests
{
    private static void Fix(string trainer, string id, string expected, string? title = null) =>
        CodeFixHarness.Verify(Sources.Trainer(trainer), id, Sources.Trainer(expected), title, otherSources: [Sources.Common]);

    [Fact]
    public void A_by_ref_scheduler_parameter_is_taken_by_value() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [Scheduler] LRScheduler Schedule(Optimizer optimizer, ref int {|DSL009:steps|}) => Schedules.Constant(optimizer);
        }
        """, "DSL009", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [Scheduler] LRScheduler Schedule(Optimizer optimizer, int steps) => Schedules.Constant(optimizer);
        }
        """);

    [Fact]
    public void An_in_batch_of_a_step_is_taken_by_value() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor {|DSL006:Step|}(in Batch batch) => model.forward(batch.X).mean();
        }
        """, "DSL006", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void A_static_metric_becomes_an_instance_method() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
            [Metric] static double {|DSL010:Accuracy|}(Tensor predictions, Tensor labels) => 0;
        }
        """, "DSL010", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
            [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
        }
        """);

    [Fact]
    public void A_nullable_optimizer_return_becomes_non_nullable() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [Optimizer] Optimizer? {|DSL008:Make|}() => SGD(model.parameters(), 0.1);
        }
        """, "DSL008", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [Optimizer] Optimizer Make() => SGD(model.parameters(), 0.1);
        }
        """);

    [Fact]
    public void An_out_hook_event_is_taken_by_value() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnLog] void Logged(ref LogEvent {|DSL011:e|}) { }
        }
        """, "DSL011", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnLog] void Logged(LogEvent e) { }
        }
        """);

    [Fact]
    public void A_wrong_parameter_count_gets_no_fix() =>
        Assert.Empty(CodeFixHarness.Offered(Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor {|DSL006:Step|}(Batch batch, int extra) => model.forward(batch.X).mean();
            }
            """), "DSL006", Sources.Common));

    [Fact]
    public void DSL014_offers_each_module_and_marks_the_chosen_one() => Fix("""
        [Trainer]
        public partial class {|DSL014:T|}(Net student, Net teacher, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
        }
        """, "DSL014", """
        [Trainer]
        public partial class T([Model] Net student, Net teacher, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
        }
        """, title: "'student'");

    [Fact]
    public void DSL014_marks_a_field() => Fix("""
        [Trainer]
        public partial class {|DSL014:T|}(TrainingArguments args)
        {
            private readonly Net _student = new();
            private readonly Net _teacher = new();
            [TrainStep] Tensor Step(Batch batch) => (_student.forward(batch.X) - _teacher.forward(batch.X)).pow(2).mean();
        }
        """, "DSL014", """
        [Trainer]
        public partial class T(TrainingArguments args)
        {
            [Model]
            private readonly Net _student = new();
            private readonly Net _teacher = new();
            [TrainStep] Tensor Step(Batch batch) => (_student.forward(batch.X) - _teacher.forward(batch.X)).pow(2).mean();
        }
        """, title: "'_student'");

    [Fact]
    public void Fix_all_makes_every_static_member_an_instance_one() => CodeFixHarness.VerifyFixAll(Sources.Trainer("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
            [Metric] static double {|DSL010:Accuracy|}(Tensor predictions, Tensor labels) => 0;
            [Metric] static double {|DSL010:Recall|}(Tensor predictions, Tensor labels) => 0;
        }
        """), "DSL010", Sources.Trainer("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
            [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
            [Metric] double Recall(Tensor predictions, Tensor labels) => 0;
        }
        """), Sources.Common);

    [Fact]
    public void Fix_all_marks_the_same_member_in_every_trainer() => CodeFixHarness.VerifyFixAll(Sources.Trainer("""
        [Trainer]
        public partial class {|DSL014:A|}(Net student, Net teacher, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
        }

        [Trainer]
        public partial class {|DSL014:B|}(Net student, Net teacher, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
        }
        """), "DSL014", Sources.Trainer("""
        [Trainer]
        public partial class A([Model] Net student, Net teacher, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
        }

        [Trainer]
        public partial class B([Model] Net student, Net teacher, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => (student.forward(batch.X) - teacher.forward(batch.X)).pow(2).mean();
        }
        """), Sources.Common);
}

/// <summary>DSL102's code fix: the stored tensor is moved out of the step's dispose scope on purpose.</summary>
public sealed class MoveOutOfScopeFixTests
{
    private const string Before = """
        [Trainer]
        public partial class Leaky(Net model, TrainingArguments args)
        {
            private Tensor? _last;
            private readonly System.Collections.Generic.List<Tensor> _history = new();

            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                {|DSL102:_last = loss * 2|};
                {|DSL102:_history.Add(loss)|};
                return loss;
            }
        }
        """;

    private const string After = """
        [Trainer]
        public partial class Leaky(Net model, TrainingArguments args)
        {
            private Tensor? _last;
            private readonly System.Collections.Generic.List<Tensor> _history = new();

            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                _last?.Dispose();
                _last = (loss * 2).detach().DetachFromDisposeScope();
                _history.Add(loss.detach().DetachFromDisposeScope());
                return loss;
            }
        }
        """;

    [Fact]
    public void An_assigned_tensor_is_detached_moved_out_and_the_previous_one_disposed() =>
        CodeFixHarness.Verify(Sources.Trainer(Before), "DSL102", Sources.Trainer(After.Replace(
            "_history.Add(loss.detach().DetachFromDisposeScope());", "_history.Add(loss);")), otherSources: [Sources.Common]);

    [Fact]
    public void Fix_all_moves_every_stored_tensor_out() =>
        CodeFixHarness.VerifyFixAll(Sources.Trainer(Before), "DSL102", Sources.Trainer(After), Sources.Common);
}

/// <summary>DSL017's code fix: the evaluation step returns StepOutput(loss, logits, labels) when its loss is lossFunction(logits, labels).</summary>
public sealed class ReturnStepOutputFixTests
{
    [Fact]
    public void An_expression_bodied_step_keeps_its_logits_in_a_local_and_returns_them_with_the_labels() =>
        CodeFixHarness.Verify(Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep]
                Tensor Step(Batch batch) => nn.functional.mse_loss(model.forward(batch.X), batch.Y);

                [Metric] double {|DSL017:Accuracy|}(Tensor predictions, Tensor labels) => 0;
            }
            """), "DSL017", Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep]
                StepOutput Step(Batch batch)
                {
                    var logits = model.forward(batch.X);
                    return new StepOutput(nn.functional.mse_loss(logits, batch.Y), logits, batch.Y);
                }

                [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
            }
            """), otherSources: [Sources.Common]);

    [Fact]
    public void An_eval_step_with_a_block_body_returns_StepOutput() =>
        CodeFixHarness.Verify(Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

                [EvalStep]
                Tensor Check(Batch batch)
                {
                    var output = model.forward(batch.X);
                    return nn.functional.mse_loss(output, batch.Y);
                }

                [Metric] double {|DSL017:Accuracy|}(Tensor predictions, Tensor labels) => 0;
            }
            """), "DSL017", Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

                [EvalStep]
                StepOutput Check(Batch batch)
                {
                    var output = model.forward(batch.X);
                    return new StepOutput(nn.functional.mse_loss(output, batch.Y), output, batch.Y);
                }

                [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
            }
            """), otherSources: [Sources.Common]);

    [Fact]
    public void A_loss_of_another_shape_gets_no_fix() =>
        Assert.Empty(CodeFixHarness.Offered(Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
                [Metric] double {|DSL017:Accuracy|}(Tensor predictions, Tensor labels) => 0;
            }
            """), "DSL017", Sources.Common));

    [Fact]
    public void Fix_all_corrects_every_trainer_of_the_document() => CodeFixHarness.VerifyFixAll(Sources.Trainer("""
        [Trainer]
        public partial class A(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => nn.functional.mse_loss(model.forward(batch.X), batch.Y);
            [Metric] double {|DSL017:Accuracy|}(Tensor predictions, Tensor labels) => 0;
        }

        [Trainer]
        public partial class B(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => nn.functional.l1_loss(model.forward(batch.X), batch.Y);
            [Metric] double {|DSL017:Accuracy|}(Tensor predictions, Tensor labels) => 0;
        }
        """), "DSL017", Sources.Trainer("""
        [Trainer]
        public partial class A(Net model, TrainingArguments args)
        {
            [TrainStep]
            StepOutput Step(Batch batch)
            {
                var logits = model.forward(batch.X);
                return new StepOutput(nn.functional.mse_loss(logits, batch.Y), logits, batch.Y);
            }

            [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
        }

        [Trainer]
        public partial class B(Net model, TrainingArguments args)
        {
            [TrainStep]
            StepOutput Step(Batch batch)
            {
                var logits = model.forward(batch.X);
                return new StepOutput(nn.functional.l1_loss(logits, batch.Y), logits, batch.Y);
            }

            [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
        }
        """), Sources.Common);
}

/// <summary>The fixes of DSL036 (add [Trainer]), DSL043 (return the loss, not its detached copy) and DSL045 (no backward() in an [EvalStep]).</summary>
public sealed class MoreFixTests
{
    [Fact]
    public void DSL036_adds_Trainer_and_partial() =>
        CodeFixHarness.Verify(Sources.Trainer("""
            public class {|DSL036:T|}(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            }
            """), "DSL036", Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            }
            """), otherSources: [Sources.Common]);

    [Fact]
    public void DSL043_returns_the_loss_itself_in_every_step_with_fix_all() =>
        CodeFixHarness.VerifyFixAll(Sources.Trainer("""
            [Trainer]
            public partial class A(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => {|DSL043:model.forward(batch.X).mean().detach()|};
            }

            [Trainer]
            public partial class B(Net model, TrainingArguments args)
            {
                [TrainStep] StepOutput Step(Batch batch) => new({|DSL043:model.forward(batch.X).mean().detach()|}, batch.X, batch.Y);
            }
            """), "DSL043", Sources.Trainer("""
            [Trainer]
            public partial class A(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            }

            [Trainer]
            public partial class B(Net model, TrainingArguments args)
            {
                [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
            }
            """), Sources.Common);

    [Fact]
    public void DSL045_removes_backward_from_the_eval_step() =>
        CodeFixHarness.Verify(Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

                [EvalStep]
                Tensor Check(Batch batch)
                {
                    var loss = model.forward(batch.X).mean();
                    {|DSL045:loss.backward()|};
                    return loss;
                }
            }
            """), "DSL045", Sources.Trainer("""
            [Trainer]
            public partial class T(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

                [EvalStep]
                Tensor Check(Batch batch)
                {
                    var loss = model.forward(batch.X).mean();
                    return loss;
                }
            }
            """), otherSources: [Sources.Common]);
}

/// <summary>The fixes of DSL042 (gradients stay on) and DSL044 (the returned tensor is not disposed by the step).</summary>
public sealed class AutogradFixTests
{
    private static void Fix(string before, string id, string after) =>
        CodeFixHarness.Verify(Sources.Trainer(before), id, Sources.Trainer(after), otherSources: [Sources.Common]);

    [Fact]
    public void DSL042_removes_a_no_grad_declaration() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                using var off = {|DSL042:torch.no_grad()|};
                return model.forward(batch.X).mean();
            }
        }
        """, "DSL042", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                return model.forward(batch.X).mean();
            }
        }
        """);

    [Fact]
    public void DSL042_unwraps_a_no_grad_block() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                using ({|DSL042:torch.no_grad()|})
                {
                    return model.forward(batch.X).mean();
                }
            }
        }
        """, "DSL042", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                return model.forward(batch.X).mean();
            }
        }
        """);

    [Fact]
    public void DSL044_drops_using_from_the_returned_local() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                using var loss = model.forward(batch.X).mean();
                return {|DSL044:loss|};
            }
        }
        """, "DSL044", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                return loss;
            }
        }
        """);

    [Fact]
    public void DSL044_moves_the_loss_out_of_the_steps_own_scope() => Fix("""
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                using var scope = torch.NewDisposeScope();
                var loss = model.forward(batch.X).mean();
                return {|DSL044:loss|};
            }
        }
        """, "DSL044", """
        [Trainer]
        public partial class T(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                using var scope = torch.NewDisposeScope();
                var loss = model.forward(batch.X).mean();
                return scope.MoveToOuter(loss);
            }
        }
        """);
}
