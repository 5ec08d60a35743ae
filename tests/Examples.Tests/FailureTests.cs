namespace Examples.Tests;

/// <summary>
/// Every run-time failure a user can cause ends with one clear line and a non-zero exit, never an
/// abort with a stack trace (issue 12, defect 6); --verbose adds the details.
/// </summary>
public sealed class FailureTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "imdb-failures-" + Guid.NewGuid().ToString("N"));

    public FailureTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private string[] Quick(params string[] more) =>
    [
        "--train-size", "32", "--eval-size", "16", "--epochs", "1", "--batch-size", "16", "--no-progress",
        .. more.Contains("--output") ? [] : new[] { "--output", Path.Combine(_temp, "results") },
        .. more.Contains("--logging-dir") ? [] : new[] { "--logging-dir", Path.Combine(_temp, "logs") },
        .. more,
    ];

    private static void AssertOneLine(int code, string output, int expectedCode, string message)
    {
        Assert.Equal(expectedCode, code);
        Assert.Contains(message, output);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("   at ", output);   // no stack trace
        Assert.Single(output.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Labels_outside_the_models_two_classes_are_refused_when_the_data_loads()
    {
        string data = Path.Combine(_temp, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "train.jsonl"), "{\"text\": \"good\", \"label\": 1}\n{\"text\": \"odd\", \"label\": 2}\n");
        File.WriteAllText(Path.Combine(data, "test.jsonl"), "{\"text\": \"bad\", \"label\": 0}\n");
        var (code, output) = CommandLineTests.Run([.. Quick("--data", data, "--vocab", Path.Combine(_temp, "none.txt"))]);
        // The vocabulary is checked first; give one.
        Assert.NotEqual(0, code);
        string vocab = Path.Combine(_temp, "vocab.txt");
        File.WriteAllText(vocab, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\nbad\nodd\n");
        (code, output) = CommandLineTests.Run([.. Quick("--data", data, "--vocab", vocab)]);
        AssertOneLine(code, output, 2, "train.jsonl:2: field 'label': label 2 is out of range; expected 0 .. 1 (NumLabels = 2).");
    }

    [Fact]
    public void A_logging_dir_that_is_a_file_is_one_line()
    {
        string file = Path.Combine(_temp, "logs-file");
        File.WriteAllText(file, "x");
        var (code, output) = CommandLineTests.Run(Quick("--logging-dir", file));
        AssertOneLine(code, output, 2, $"TrainingArguments.LoggingDir is '{file}'; it must be a folder, not an existing file.");
    }

    [Fact]
    public void An_output_dir_that_is_a_file_is_one_line()
    {
        string file = Path.Combine(_temp, "results-file");
        File.WriteAllText(file, "x");
        var (code, output) = CommandLineTests.Run(Quick("--output", file));
        AssertOneLine(code, output, 2, $"TrainingArguments.OutputDir is '{file}'; it must be a folder, not an existing file.");
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void A_damaged_checkpoint_and_resuming_past_the_end_are_one_line_each()
    {
        var (code, output) = CommandLineTests.Run(Quick());
        Assert.True(code == 0, output);
        string checkpoint = Directory.GetDirectories(Path.Combine(_temp, "results"), "checkpoint-*").Single();

        // Resuming the finished run: nothing to do, and it says so.
        (code, output) = CommandLineTests.Run([.. Quick("--resume", "last")]);
        Assert.Equal(0, code);
        Assert.Contains("training is already finished", output);

        File.WriteAllBytes(Path.Combine(checkpoint, "rng_state.bin"), [1, 2, 3]);
        (code, output) = CommandLineTests.Run([.. Quick("--resume", checkpoint)]);
        AssertOneLine(code, output, 1, "rng_state.bin: its SHA-256 differs from the one written with the checkpoint");

        (code, output) = CommandLineTests.Run([.. Quick("--resume", checkpoint, "--verbose")]);
        Assert.Equal(1, code);
        Assert.Contains("System.IO.InvalidDataException", output);
        Assert.Contains("   at ", output);
    }

    [Fact]
    public void A_second_run_into_an_output_holding_checkpoints_is_one_line_naming_the_choices()
    {
        var (code, output) = CommandLineTests.Run(Quick());
        Assert.True(code == 0, output);
        string results = Path.Combine(_temp, "results");
        var checkpoints = Directory.GetDirectories(results, "checkpoint-*");

        (code, output) = CommandLineTests.Run(Quick("--seed", "7"));
        AssertOneLine(code, output, 2, $"error: --output {results} already holds checkpoints of another run; continue it with --resume last, " +
                                       "choose another --output, or start over there with --overwrite-output-dir.");
        Assert.Equal(checkpoints, Directory.GetDirectories(results, "checkpoint-*"));

        (code, output) = CommandLineTests.Run(Quick("--seed", "7", "--overwrite-output-dir"));
        Assert.True(code == 0, output);
    }

    [Fact]
    public void A_model_folder_with_an_absurd_config_is_one_line()
    {
        string model = Path.Combine(_temp, "model");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "config.json"), "{\"model_type\": \"bert\", \"num_hidden_layers\": 100000}");
        File.WriteAllText(Path.Combine(model, "vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\n");
        string data = Path.Combine(_temp, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "train.jsonl"), "{\"text\": \"good\", \"label\": 1}\n");
        File.WriteAllText(Path.Combine(data, "test.jsonl"), "{\"text\": \"good\", \"label\": 0}\n");
        var (code, output) = CommandLineTests.Run([.. Quick("--data", data, "--model", model)]);
        Assert.NotEqual(0, code);
        Assert.Contains("config.json", output);
        Assert.Contains("GiB of float32 weights", output);
        Assert.DoesNotContain("   at ", output);
    }
}
