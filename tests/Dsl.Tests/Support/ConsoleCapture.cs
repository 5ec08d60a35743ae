namespace Dsl.Tests.Support;

/// <summary>Runs an action with stdout silenced and returns what it wrote to stderr (the runtime's warnings).</summary>
public static class ConsoleCapture
{
    public static string Errors(Action action)
    {
        var (output, error) = (Console.Out, Console.Error);
        var errors = new StringWriter();
        Console.SetOut(TextWriter.Null);
        Console.SetError(errors);
        try { action(); }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
        return errors.ToString();
    }
}
