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
                     "--max-length", "--optimizer", "--scheduler", "--grad-accum", "--bf16", "--fp16", "--device", "--output", "--resume" })
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
    public void Invalid_values_exit_with_2_and_say_why(string args, string message)
    {
        var (code, output) = Run(args.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, output);
    }
}
