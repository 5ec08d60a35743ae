using System.Globalization;

namespace Dsl.Logging;

/// <summary>
/// What a training run says about the decisions it took (resumed from where, early stopping, the best model
/// loaded, a non-finite step): once each, on the console (stderr, where HF's logger prints) and appended to
/// <c>{LoggingDir}/trainer.log</c>, so a run that scrolled away can still be read. <c>ReportTo: none</c>
/// silences both; in a data-parallel run only rank 0 writes the file and the notes, every rank its warnings.
/// </summary>
internal sealed class RunMessages
{
    /// <summary>The file's name inside the logging folder.</summary>
    public const string FileName = "trainer.log";

    private readonly bool _quiet;
    private readonly bool _isMain;
    private readonly string? _file;

    public RunMessages(TrainingArguments args, bool isMain)
    {
        _quiet = args.ReportTo.Contains("none");
        _isMain = isMain;
        if (!_quiet && isMain) _file = Path.Combine(args.ResolvedLoggingDir, FileName);
    }

    /// <summary>A decision the run took (rank 0 only).</summary>
    public void Note(string message)
    {
        if (_isMain) Write("Info: " + message);
    }

    /// <summary>Something the user should look at.</summary>
    public void Warn(string message) => Write("Warning: " + message);

    private void Write(string line)
    {
        if (_quiet) return;
        Console.Error.WriteLine(line);
        if (_file is null) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
            File.AppendAllText(_file, DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss ", CultureInfo.InvariantCulture) + line + "\n");
        }
        catch (IOException e)
        {
            // The console has the message; a log file that cannot be written must not end the run.
            Console.Error.WriteLine($"Warning: could not append to {_file} ({e.Message}).");
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"Warning: could not append to {_file} ({e.Message}).");
        }
    }
}
