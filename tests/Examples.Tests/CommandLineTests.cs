namespace Examples.Tests;

/// <summary>The example as a user runs it: --help, and invalid values refused with exit code 2.</summary>
public sealed class CommandLineTests
{
    internal static (int ExitCode, string Output) Run(params string[] args) => Programs.Run("ImdbSentiment.dll", 120, args);

    [Fact]
    public void Help_lists_every_option()
    {
        var (code, output) = Run("--help");
        Assert.Equal(0, code);
        foreach (string option in new[] { "--data", "--model", "--vocab", "--size", "--train-size", "--eval-size", "--epochs", "--batch-size",
                     "--max-length", "--optimizer", "--scheduler", "--grad-accum", "--bf16", "--fp16", "--device", "--output", "--resume",
                     "--attention", "--gradient-checkpointing", "--head-tokens", "--pooling" })
            Assert.Contains(option, output);
    }

    [Theory]
    [InlineData("--batch-size 0", "--batch-size must be at least 1 (got 0).")]
    [InlineData("--optimizer adam", "Argument 'adam' not recognized. Must be one of:")]
    [InlineData("--epochs many", "Cannot parse argument 'many' for option '--epochs'")]
    [InlineData("--size huge", "Argument 'huge' not recognized.")]
    [InlineData("--data /no/such/data", "--data /no/such/data: no such folder or file.")]
    [InlineData("--bf16 --fp16", "--bf16 and --fp16 cannot both be set; choose one precision.")]
    [InlineData("--no-such-option", "Unrecognized command or argument '--no-such-option'")]
    [InlineData("--attention flash_attention_2", "Argument 'flash_attention_2' not recognized.")]
    [InlineData("--max-length 128 --head-tokens 127", "--head-tokens must be between 0 and --max-length − 2 (126) (got 127).")]
    [InlineData("--pooling max", "Argument 'max' not recognized.")]
    public void Invalid_values_exit_with_2_and_say_why(string args, string message)
    {
        var (code, output) = Run(args.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, output);
    }

    [Fact]
    public void Gradient_checkpointing_and_either_attention_train_the_built_in_corpus()
    {
        string output = Path.Combine(Path.GetTempPath(), "dsl-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (string attention in new[] { "sdpa", "eager" })
            {
                var (code, text) = Run("--gradient-checkpointing", "--attention", attention, "--pooling", "mean", "--train-size", "64",
                    "--eval-size", "32", "--epochs", "1", "--no-progress", "--output", Path.Combine(output, attention),
                    "--logging-dir", Path.Combine(output, attention + "-logs"));
                Assert.True(code == 0, text);
                Assert.Contains("Memory estimate: ", text);
                Assert.Contains("with gradient checkpointing", text);
                Assert.Contains("Training is Done", text);
            }
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }
}
