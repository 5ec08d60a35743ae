using Dsl.Checkpoints;
using Dsl.Logging;
using Dsl.Tests.Support;
using static TorchSharp.torch.optim;

namespace Dsl.Tests.Runtime;

/// <summary>
/// TrainingArguments from an HF JSON file and from the command line, with HfArgumentParser's rules
/// (transformers/hf_argparser.py: parse_json_file / parse_dict, parse_args_into_dataclasses).
/// </summary>
[Collection(TorchState.Name)]
public sealed class TrainingArgumentsParsingTests
{
    private static string Written(TrainingArguments args) => PythonJson.Serialize(Checkpoint.ArgumentsToJson(args, optimizer: null));

    [Fact]
    public void What_a_checkpoint_writes_as_training_args_json_reads_back_to_the_same_arguments()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            EvalStrategy = IntervalStrategy.Steps, EvalSteps = 0.25, SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 2,
            LoggingSteps = 5, LrSchedulerType = SchedulerType.CosineWithRestarts, LrSchedulerKwargs = new Dictionary<string, double> { ["num_cycles"] = 2 },
            ReportTo = ["jsonl", "tensorboard"], SaveTotalLimit = 3, Optim = OptimizerType.Sgd, LoggingNanInfFilter = false, DataSeed = 7,
            MetricForBestModel = "loss", GreaterIsBetter = false, NonFiniteLoss = NonFiniteLossPolicy.SkipStep, WarmupRatio = 0.1,
        };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(32), SampleData.Make(8));
        string file = Path.Combine(Checkpoint.PathFor(temp.Path, 2), Checkpoint.ArgumentsFile);

        var read = TrainingArguments.FromJsonFile(file);   // holds "optimizer": "AdamW" and the resolved_* values too
        Assert.Equal(Written(args), Written(read));
        Assert.Equal(["jsonl", "tensorboard"], read.ReportTo);
        Assert.Equal(2, read.LrSchedulerKwargs!["num_cycles"]);
        Assert.Equal(0.25, read.EvalSteps);
    }

    [Fact]
    public void An_HF_json_file_with_HFs_names_and_spellings_sets_each_setting()
    {
        using var temp = new TempDirectory();
        string file = temp["args.json"];
        File.WriteAllText(file, $$"""
            {
              "output_dir": "{{temp["results"].Replace("\\", "\\\\")}}",
              "evaluation_strategy": "epoch",
              "per_device_train_batch_size": 32,
              "per_device_eval_batch_size": 32,
              "num_train_epochs": 1,
              "logging_steps": 10,
              "save_total_limit": 2,
              "learning_rate": 3e-05,
              "fp16": true,
              "report_to": "none",
              "lr_scheduler_type": "cosine_with_restarts",
              "lr_scheduler_kwargs": "{\"num_cycles\": 0.5}",
              "optim": "adamw_torch",
              "eval_steps": null
            }
            """);
        var args = TrainingArguments.FromJsonFile(file);
        Assert.Equal(IntervalStrategy.Epoch, args.EvalStrategy);   // HF's former name evaluation_strategy, as in the tutorial
        Assert.Equal(32, args.PerDeviceTrainBatchSize);
        Assert.Equal(1.0, args.NumTrainEpochs);
        Assert.Equal(10.0, args.LoggingSteps);
        Assert.Equal(2, args.SaveTotalLimit);
        Assert.Equal(3e-5, args.LearningRate);
        Assert.True(args.Fp16);
        Assert.Equal(["none"], args.ReportTo);
        Assert.Equal(SchedulerType.CosineWithRestarts, args.LrSchedulerType);
        Assert.Equal(0.5, args.LrSchedulerKwargs!["num_cycles"]);
        Assert.Equal(new TrainingArguments().WeightDecay, args.WeightDecay);   // unset: HF's default
    }

    [Fact]
    public void Keys_that_are_not_settings_are_named_with_the_file_unless_extra_keys_are_allowed()
    {
        using var temp = new TempDirectory();
        string file = temp["args.json"];
        File.WriteAllText(file, """{"learning_rte": 3e-5, "model_name_or_path": "bert-base-uncased", "seed": 1}""");
        var e = Assert.Throws<ArgumentException>(() => TrainingArguments.FromJsonFile(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("has 2 keys that are not a TrainingArguments setting: 'learning_rte' (did you mean 'learning_rate'?), 'model_name_or_path'", e.Message);
        Assert.Equal(1, TrainingArguments.FromJsonFile(file, allowExtraKeys: true).Seed);
    }

    [Theory]
    [InlineData("""{"per_device_train_batch_size": 8.5}""", "\"per_device_train_batch_size\" is 8.5, but it must be a whole number.")]
    [InlineData("""{"fp16": "yes"}""", "\"fp16\" is \"yes\", but it must be true or false.")]
    [InlineData("""{"eval_strategy": "epochs"}""", "\"eval_strategy\" is \"epochs\", but it must be one of \"no\", \"steps\", \"epoch\".")]
    [InlineData("""{"output_dir": null}""", "\"output_dir\" is null, but it must be a string.")]
    [InlineData("""{"save_total_limit": "2"}""", "\"save_total_limit\" is \"2\", but it must be a whole number or null.")]
    [InlineData("""{"lr_scheduler_kwargs": {"num_cycles": "two"}}""", "\"lr_scheduler_kwargs\"[\"num_cycles\"] is \"two\", but it must be an object of numbers")]
    [InlineData("""{"gradient_accumulation_steps": 0}""", "TrainingArguments.GradientAccumulationSteps is 0; it must be at least 1.")]
    public void A_value_of_the_wrong_type_or_range_is_named_with_its_key(string json, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingArguments.FromJson(json, "run.json"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_JSON_object_says_so_with_its_name()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp["bad.json"], """{"learning_rate": 3e-5,, }""");
        Assert.Contains("bad.json is not valid JSON", Assert.Throws<InvalidDataException>(() => TrainingArguments.FromJsonFile(temp["bad.json"])).Message);
        File.WriteAllText(temp["list.json"], "[1, 2]");
        Assert.Contains("is not a JSON object", Assert.Throws<InvalidDataException>(() => TrainingArguments.FromJsonFile(temp["list.json"])).Message);
        Assert.Throws<FileNotFoundException>(() => TrainingArguments.FromJsonFile(temp["missing.json"]));
    }

    [Fact]
    public void Command_line_options_follow_HfArgumentParsers_rules()
    {
        var args = TrainingArguments.FromCommandLine([
            "--learning_rate", "3e-5", "--per-device-train-batch-size=16", "--fp16", "--eval_strategy", "epoch",
            "--report_to", "tensorboard", "jsonl", "--lr_scheduler_kwargs", """{"num_cycles": 2}""", "--no_logging_nan_inf_filter",
            "--load_best_model_at_end", "no", "--save_total_limit", "2", "--seed", "1", "--seed", "9",
        ]);
        Assert.Equal(3e-5, args.LearningRate);
        Assert.Equal(16, args.PerDeviceTrainBatchSize);
        Assert.True(args.Fp16);                            // a boolean alone is true (argparse nargs="?", const=True)
        Assert.Equal(IntervalStrategy.Epoch, args.EvalStrategy);
        Assert.Equal(["tensorboard", "jsonl"], args.ReportTo);   // nargs="+"
        Assert.Equal(2, args.LrSchedulerKwargs!["num_cycles"]);
        Assert.False(args.LoggingNanInfFilter);            // --no_{name}: HF adds it for booleans that default to true
        Assert.False(args.LoadBestModelAtEnd);
        Assert.Equal(2, args.SaveTotalLimit);
        Assert.Equal(9, args.Seed);                        // the last one wins
    }

    [Fact]
    public void A_json_file_overridden_from_the_command_line()
    {
        var file = TrainingArguments.FromJson("""{"learning_rate": 1e-4, "num_train_epochs": 5}""");
        var args = TrainingArguments.FromCommandLine(["--learning_rate", "2e-5"], defaults: file);
        Assert.Equal(2e-5, args.LearningRate);
        Assert.Equal(5, args.NumTrainEpochs);
    }

    [Fact]
    public void Options_that_are_not_settings_are_refused_or_handed_back()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingArguments.FromCommandLine(["--learning_rat", "3e-5", "--no_fp16"]));
        Assert.Contains("'--learning_rat' (did you mean '--learning_rate'?)", e.Message);
        Assert.Contains("'--no_fp16'", e.Message);   // fp16 defaults to false: HF has no --no_fp16
        var (args, remaining) = TrainingArguments.FromCommandLine(["data.jsonl", "--model", "bert", "--fp16", "--max-length=256"], null, keepRemaining: true);
        Assert.True(args.Fp16);
        Assert.Equal(["data.jsonl", "--model", "bert", "--max-length=256"], remaining);
    }

    [Theory]
    [InlineData(new[] { "--fp16", "maybe" }, "--fp16 is 'maybe', but it must be true or false")]
    [InlineData(new[] { "--learning_rate" }, "--learning_rate needs a value.")]
    [InlineData(new[] { "--learning_rate", "fast" }, "--learning_rate is \"fast\", but it must be a number.")]
    [InlineData(new[] { "--report_to" }, "--report_to needs one or more values.")]
    [InlineData(new[] { "--max_steps", "0" }, "TrainingArguments.MaxSteps is 0")]
    public void A_wrong_option_value_is_named(string[] line, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => TrainingArguments.FromCommandLine(line)).Message);
}
