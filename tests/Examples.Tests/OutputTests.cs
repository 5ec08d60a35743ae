using System.Globalization;
using System.Text.RegularExpressions;
using Dsl.Logging;

namespace Examples.Tests;

/// <summary>
/// What the example prints, as a user runs it: each evaluation once, accuracy as the exact double
/// Hugging Face prints (never float32 digits), and one way of writing the epoch (issue 15).
/// </summary>
public sealed partial class OutputTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "imdb-output-" + Guid.NewGuid().ToString("N"));

    public OutputTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [GeneratedRegex(@"^Epoch (\S+): eval_loss = \S+, eval_accuracy = (\S+)$", RegexOptions.Multiline)]
    private static partial Regex HookLine();

    [GeneratedRegex(@"^\{'eval_loss': .*'eval_accuracy': ([^,]+),.*'epoch': ([^}]+)\}$", RegexOptions.Multiline)]
    private static partial Regex FinalEvaluation();

    [GeneratedRegex(@" and (\d+) evaluation examples")]
    private static partial Regex EvaluationCount();

    private (string Output, int EvalCount) RunTwoEpochs()
    {
        // 25 evaluation examples: every accuracy but 0 and 1 is k/25, which float32 cannot hold exactly.
        var (code, output) = CommandLineTests.Run("--train-size", "32", "--eval-size", "25", "--epochs", "2", "--batch-size", "16",
            "--no-progress", "--output", Path.Combine(_temp, "results"), "--logging-dir", Path.Combine(_temp, "logs"));
        Assert.True(code == 0, output);
        return (output, int.Parse(EvaluationCount().Match(output).Groups[1].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Fails unless <paramref name="printed"/> is how Python prints k / n for some whole k.</summary>
    private static void AssertExactFraction(string printed, int n)
    {
        double value = double.Parse(printed, CultureInfo.InvariantCulture);
        int k = (int)Math.Round(value * n);
        Assert.Equal(PythonFloat.Repr((double)k / n), printed);
    }

    [Fact]
    public void Each_evaluation_prints_once_the_final_one_as_a_dictionary()
    {
        var (output, _) = RunTwoEpochs();
        // One hook line per epoch's evaluation during training; the final Evaluate prints only its dictionary.
        Assert.Equal(2, HookLine().Matches(output).Count);
        Assert.Single(FinalEvaluation().Matches(output));
        Assert.True(output.IndexOf("Training is Done", StringComparison.Ordinal) > HookLine().Matches(output)[^1].Index, output);
    }

    [Fact]
    public void Accuracy_prints_as_the_exact_double_not_float32_digits()
    {
        var (output, n) = RunTwoEpochs();
        Assert.Equal(25, n);
        AssertExactFraction(FinalEvaluation().Match(output).Groups[1].Value, n);
        foreach (Match line in HookLine().Matches(output))
            AssertExactFraction(line.Groups[2].Value, n);
    }

    [Fact]
    public void The_epoch_is_written_the_same_way_in_hook_lines_and_dictionaries()
    {
        var (output, _) = RunTwoEpochs();
        var hooks = HookLine().Matches(output);
        Assert.Equal(["1.0", "2.0"], hooks.Select(m => m.Groups[1].Value));
        // The last training evaluation and the final Evaluate both ran at the end of epoch 2.
        Assert.Equal(FinalEvaluation().Match(output).Groups[2].Value, hooks[^1].Groups[1].Value);
        Assert.Contains("'epoch': 2.0})", output);
    }
}
