using Dsl.Logging;
using Dsl.Tests.Support;

namespace Dsl.Tests.Runtime;

[Collection(TorchState.Name)]
public sealed class ProgressDisplayTests
{
    [Fact]
    public void Redirected_output_gets_a_plain_line_at_every_tenth()
    {
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            using (var display = ProgressDisplay.Start("Training", total: 20, completed: 0, enabled: true)!)
                for (int step = 1; step <= 20; step++) display.Report(step);
        }
        finally
        {
            Console.SetOut(original);
        }
        var lines = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, lines.Length);
        Assert.StartsWith("Training: 2/20 (10%), ", lines[0]);
        Assert.StartsWith("Training: 20/20 (100%), ", lines[^1]);
        Assert.Contains(" steps/s, ETA ", lines[^1]);
    }

    [Fact]
    public void Disabled_progress_shows_nothing() =>
        Assert.Null(ProgressDisplay.Start("Training", 10, 0, enabled: false));

    [Fact]
    public void A_run_with_DisableTqdm_and_no_console_log_prints_nothing()
    {
        using var temp = new Support.TempDirectory();
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            new Support.DefaultsTrainer(Support.TinyNet.Create(), Support.Args.Quiet(temp.Path)).Train(Support.SampleData.Make(32));
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Equal("", captured.ToString());
    }
}
