using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests;

/// <summary>
/// A model or arguments parameter also passed to the base class (what DSL035 refused) builds: the loop reads a field
/// the generated code initializes from the parameter, so the parameter is passed on and stored once (no CS9107).
/// </summary>
public sealed class BaseParameterTests
{
    [Fact]
    public void The_loop_reads_a_parameter_passed_to_the_base_class_through_a_field_initialized_from_it()
    {
        var (result, output, _) = GeneratorHarness.Run(Sources.Trainer("""
            public abstract class Holder(Net model, TrainingArguments args)
            {
                protected string Folder { get; } = args.OutputDir + model.GetName();
            }

            [Trainer]
            public partial class Passed(Net model, TrainingArguments args) : Holder(model, args)
            {
                [TrainStep] Tensor Step(Batch batch) => batch.X.mean();
            }
            """), Sources.Common);
        string text = GeneratorHarness.GeneratedText(result);
        Assert.Contains("private readonly global::Demo.Net __model = model;", text);
        Assert.Contains("private readonly global::Dsl.TrainingArguments __args = args;", text);
        Assert.Contains("Start(this.__args, this.__model, trainDataset", text);
        Assert.DoesNotContain("(args)", text);
        Assert.Empty(GeneratorHarness.Problems(output));   // no CS9107, no CS9124
    }

    [Fact]
    public void The_field_takes_a_name_no_member_of_the_class_has()
    {
        var (result, output, _) = GeneratorHarness.Run(Sources.Trainer("""
            public abstract class Holder(TrainingArguments args) { protected string Folder { get; } = args.OutputDir; }

            [Trainer]
            public partial class Passed(Net model, TrainingArguments args) : Holder(args)
            {
                private readonly int __args = 1;
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean() * __args;
            }
            """), Sources.Common);
        Assert.Contains("private readonly global::Dsl.TrainingArguments __args_ = args;", GeneratorHarness.GeneratedText(result));
        Assert.Empty(GeneratorHarness.Problems(output));
    }
}
