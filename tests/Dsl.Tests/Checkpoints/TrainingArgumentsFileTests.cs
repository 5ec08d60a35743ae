using System.Text.Json.Nodes;
using Dsl.Logging;
using Dsl.Checkpoints;
using Dsl.Tests.Support;
using static TorchSharp.torch.optim;

namespace Dsl.Tests.Checkpoints;

/// <summary><c>training_args.json</c> says what the run used, in HF's spelling (issue 15).</summary>
[Collection(TorchState.Name)]
public sealed class TrainingArgumentsFileTests
{
    [Fact]
    public void Whole_step_counts_are_integers_and_fractions_stay_floats()
    {
        var args = new TrainingArguments { LoggingSteps = 10, SaveSteps = 0.25, EvalSteps = 50 };
        string json = PythonJson.Serialize(Checkpoint.ArgumentsToJson(args, optimizer: null));
        Assert.Contains("\"logging_steps\": 10,", json);
        Assert.Contains("\"eval_steps\": 50,", json);
        Assert.Contains("\"save_steps\": 0.25,", json);
        // Fields HF declares as floats keep their float spelling, as HF writes its defaults.
        Assert.Contains("\"num_train_epochs\": 3.0,", json);
        Assert.Contains("\"max_grad_norm\": 1.0,", json);
        Assert.Contains("\"per_device_train_batch_size\": 8,", json);
        Assert.Contains("\"gradient_accumulation_steps\": 1,", json);
        Assert.Contains("\"max_steps\": -1,", json);
        Assert.Contains("\"optim\": \"adamw_torch\",", json);
        Assert.DoesNotContain("\"optimizer\"", json);
    }

    [Fact]
    public void The_optimizer_that_stepped_is_named_beside_the_argument()
    {
        using var model = TinyNet.Create();
        var json = Checkpoint.ArgumentsToJson(new TrainingArguments(), SGD(model.parameters(), learningRate: 0.1));
        Assert.Equal("adamw_torch", (string?)json["optim"]);   // the argument, which a trainer's own [Optimizer] overrides
        Assert.Equal("SGD", (string?)json["optimizer"]);      // what the run used
    }

    [Fact]
    public void A_checkpoint_writes_the_file_with_the_optimizer_the_trainer_used()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 2, LoggingSteps = 5 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(32));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Checkpoint.PathFor(temp.Path, 2), Checkpoint.ArgumentsFile)))!;
        Assert.Equal("AdamW", (string?)json["optimizer"]);
        Assert.Equal(5, json["logging_steps"]!.GetValue<long>());
        Assert.Equal(2, json["save_steps"]!.GetValue<long>());
    }
}
