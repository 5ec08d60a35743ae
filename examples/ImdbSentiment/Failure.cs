namespace ImdbSentiment;

/// <summary>How the example ends on a failure: one line on stderr, the details only with --verbose.</summary>
public static class Failure
{
    /// <summary>Prints <paramref name="error"/> as one line (and, when <paramref name="verbose"/>, in full) and returns <paramref name="exitCode"/>.</summary>
    public static int Report(Exception error, bool verbose, int exitCode)
    {
        string message = error.Message.ReplaceLineEndings(" ");
        bool runtime = exitCode != 2;   // 2: the options were wrong, and the line says which
        Console.Error.WriteLine($"error: {message}" + (verbose || !runtime ? "" : " (run with --verbose for details)"));
        if (verbose) Console.Error.WriteLine(error);
        return exitCode;
    }
}
