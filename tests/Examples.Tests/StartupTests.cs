namespace Examples.Tests;

/// <summary>The start-up path in a real program: its own process, its assembly with a generated loop loaded first.</summary>
public sealed class StartupTests
{
    [Fact]
    public void In_a_program_with_a_generated_loop_the_generated_initializer_applies_the_start_up_settings()
    {
        var (code, output) = Programs.Run("ImdbSentiment.dll", 120, new Dictionary<string, string> { ["DSL_STARTUP_LOG"] = "1" }, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Dsl start-up: applied by the generated module initializer: OMP_WAIT_POLICY=PASSIVE", output);
        Assert.DoesNotContain("library fallback", output);
    }
}
