using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dsl.Logging;

/// <summary>
/// Progress of training and evaluation, as Hugging Face's tqdm bars: on an interactive terminal a
/// Spectre.Console bar with steps per second and the time left, with log lines printed above it;
/// when output is redirected, a plain line at every tenth of the way. Updating it costs a counter
/// increment on the training thread; drawing happens on Spectre's own thread.
/// </summary>
public sealed class ProgressDisplay : IDisposable
{
    private static ProgressDisplay? _current;

    private readonly string _description;
    private readonly int _total;
    private readonly TextWriter _plain;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int _started;
    private int _value, _nextMilestone;

    // Interactive mode.
    private readonly Thread? _renderer;
    private readonly ManualResetEventSlim _ready = new(), _finished = new();
    private ProgressContext? _context;
    private ProgressTask? _task;
    private readonly TextWriter? _originalOut;
    private ProgressTask? _evaluation;

    private ProgressDisplay(string description, int total, int completed, IAnsiConsole? console, TextWriter plain)
    {
        _description = description;
        _total = Math.Max(total, 1);
        _value = _started = completed;
        _plain = plain;
        _nextMilestone = NextMilestone(completed);
        if (console is null) return;

        _originalOut = Console.Out;
        _renderer = new Thread(() => Render(console)) { IsBackground = true, Name = "Dsl progress" };
        _renderer.Start();
        _ready.Wait();
        Console.SetOut(new LineRouter(console));   // user output goes above the bar, not through it
    }

    /// <summary>The display of the training run in progress, if any.</summary>
    public static ProgressDisplay? Current => _current;

    /// <summary>
    /// Shows progress of <paramref name="total"/> steps, <paramref name="completed"/> of them done,
    /// or returns null when <paramref name="enabled"/> is false.
    /// </summary>
    public static ProgressDisplay? Start(string description, int total, int completed, bool enabled, bool interactiveOnly = false)
    {
        if (!enabled) return null;
        var console = InteractiveConsole();
        if (console is null && interactiveOnly) return null;
        var display = new ProgressDisplay(description, total, completed, console, Console.Out);
        _current ??= display;
        return display;
    }

    /// <summary>Moves the bar to <paramref name="value"/> steps done.</summary>
    public void Report(int value)
    {
        _value = value;
        if (_task is not null) { _task.Value = value; return; }
        if (value < _nextMilestone && value < _total) return;
        _nextMilestone = NextMilestone(value);
        _plain.WriteLine(PlainLine());
    }

    /// <summary>Starts a nested bar for an evaluation of <paramref name="batches"/> batches (interactive only).</summary>
    public void StartEvaluation(int batches)
    {
        if (_context is null) return;
        _evaluation = _context.AddTask("Evaluating", autoStart: true, maxValue: batches);
    }

    /// <summary>Advances the evaluation bar by one batch.</summary>
    public void EvaluationBatchDone() => _evaluation?.Increment(1);

    /// <summary>Removes the evaluation bar.</summary>
    public void EndEvaluation()
    {
        if (_evaluation is null) return;
        _evaluation.Value = _evaluation.MaxValue;
        _evaluation.StopTask();
        _evaluation = null;
    }

    /// <summary>Stops drawing and restores the console.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(_current, this)) _current = null;
        if (_renderer is null) return;
        if (_task is not null) _task.Value = _value;
        _finished.Set();
        _renderer.Join();
        Console.SetOut(_originalOut!);
        _originalOut!.WriteLine(PlainLine());
    }

    private void Render(IAnsiConsole console)
    {
        console.Progress()
            .AutoClear(false)
            .HideCompleted(true)   // finished evaluation bars go away; Dispose prints the final line
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new CountColumn(), new SpeedColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                _context = context;
                _task = context.AddTask(_description, autoStart: true, maxValue: _total);
                _task.Value = _value;
                _ready.Set();
                _finished.Wait();
                context.Refresh();
            });
    }

    private string PlainLine()
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        double rate = seconds > 0 ? (_value - _started) / seconds : 0;
        string eta = rate > 0 ? TimeSpan.FromSeconds((_total - _value) / rate).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{_description}: {_value}/{_total} ({100.0 * _value / _total:F0}%), {rate:F2} steps/s, ETA {eta}");
    }

    // The first step count past the next tenth of the way: ceil(d × total / 10) for the next decile d.
    private int NextMilestone(int value) => ((value * 10 / _total + 1) * _total + 9) / 10;

    private static IAnsiConsole? InteractiveConsole()
    {
        if (Console.IsOutputRedirected) return null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        return console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi ? console : null;
    }

    /// <summary>"120/500".</summary>
    private sealed class CountColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:F0}/{task.MaxValue:F0}"));
    }

    /// <summary>"3.45 it/s", as tqdm prints it.</summary>
    private sealed class SpeedColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:F2} it/s") : "- it/s");
    }

    /// <summary>Sends whole lines written to Console.Out to the Spectre console, which prints them above the bar.</summary>
    private sealed class LineRouter(IAnsiConsole console) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                console.Write(new Text(_line.ToString().TrimEnd('\r') + "\n"));
                _line.Clear();
            }
            else _line.Append(value);
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            foreach (char c in value) Write(c);
        }

        public override void Flush()
        {
            if (_line.Length == 0) return;
            console.Write(new Text(_line.ToString()));
            _line.Clear();
        }
    }
}
