using System.Text.RegularExpressions;
using Dsl.Logging;
using ImdbSentiment;
using TorchSharp;

namespace Examples.Tests;

/// <summary>
/// --tutorial prints what the tutorial's own train() prints, in its order and nothing else
/// (issue 15): "Starting epoch N", "Step i: Loss = x" for batches 0, logging_steps, ... of each
/// epoch (Python's repr of loss.item()), "Training is Done", then the evaluation's dictionary.
/// </summary>
public sealed partial class TutorialOutputTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("imdb-tutorial-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [GeneratedRegex(@"^Step (\d+): Loss = (\S+)$")]
    private static partial Regex StepLine();

    [Fact]
    public void The_printer_numbers_batches_within_each_epoch_and_prints_each_kept_loss_once()
    {
        var output = new StringWriter();
        var printer = new TutorialOutput(loggingSteps: 2, output);
        for (int batch = 0; batch < 10; batch++)
        {
            if (batch % 5 == 0) printer.OnEpochBegin(batch / 5);   // 5 batches an epoch
            using var loss = torch.tensor(0.5f + batch);
            printer.OnBatch(loss);
            printer.OnStepEnd();
        }
        Assert.Equal(
            ["Starting epoch 1", "Step 0: Loss = 0.5", "Step 2: Loss = 2.5", "Step 4: Loss = 4.5",
             "Starting epoch 2", "Step 0: Loss = 5.5", "Step 2: Loss = 7.5", "Step 4: Loss = 9.5"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void The_example_prints_the_tutorials_lines_in_its_order()
    {
        // 160 examples in batches of 32: 5 batches an epoch; a line every 2 batches: 0, 2, 4.
        var (code, output) = CommandLineTests.Run("--tutorial", "--train-size", "160", "--eval-size", "32", "--epochs", "2", "--logging-steps", "2",
            "--output", Path.Combine(_temp, "results"), "--logging-dir", Path.Combine(_temp, "logs"));
        Assert.True(code == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(10, lines.Length);
        Assert.Equal(["Starting epoch 1", "Step 0", "Step 2", "Step 4", "Starting epoch 2", "Step 0", "Step 2", "Step 4", "Training is Done"],
            lines[..9].Select(l => l.Split(':')[0]));
        foreach (string line in lines.Where(l => l.StartsWith("Step ", StringComparison.Ordinal)))
        {
            // loss.item() of a float32 loss, as Python prints it: the shortest repr of that double.
            string printed = StepLine().Match(line).Groups[2].Value;
            double value = double.Parse(printed, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(PythonFloat.Repr((double)(float)value), printed);
            Assert.InRange(value, 0.01, 5);
        }
        Assert.StartsWith("{'eval_loss': ", lines[9]);
        Assert.EndsWith("'epoch': 2.0}", lines[9]);
    }

    [Fact]
    public void The_tutorial_mode_uses_the_tutorials_sizes_and_does_not_evaluate_while_training()
    {
        var args = new Settings { TrainSize = 100, EvalSize = 50, Epochs = 1, MaxLength = 32, LearningRate = 1e-3, Tutorial = true }.ToTrainingArguments();
        Assert.Equal(Dsl.IntervalStrategy.No, args.EvalStrategy);   // the tutorial's train() never evaluates
        Assert.True(args.DisableTqdm);
        Assert.Equal(10, args.LoggingSteps);
    }
}
