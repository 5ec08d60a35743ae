using System.ComponentModel;
using Dsl.Logging;

namespace Dsl.__Internals;

/// <summary>The log sinks of one trainer, chosen by <see cref="TrainingArguments.ReportTo"/>. Called by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class TrainerLog
{
    private readonly List<ILogSink> _sinks = [];
    private readonly bool _tokens;

    /// <summary>Sinks for <paramref name="args"/>: console, JSON Lines and TensorBoard under <see cref="TrainingArguments.ResolvedLoggingDir"/>.</summary>
    public TrainerLog(TrainingArguments args)
    {
        _tokens = args.IncludeNumInputTokensSeen;
        // In a data-parallel run only rank 0 writes logs; every rank keeps the history (HF's log_history).
        if (Distributed.DistributedLaunch.For(args) is { IsMain: false }) return;
        string directory = args.ResolvedLoggingDir;
        if (args.Reports("console")) _sinks.Add(new ConsoleLogSink());
        if (args.Reports("jsonl")) _sinks.Add(new JsonlLogSink(directory));
        if (args.Reports("tensorboard")) _sinks.Add(new TensorBoardLogSink(directory));
    }


    /// <summary>Appends <paramref name="entry"/> to the state's history and writes it to every sink.</summary>
    public void Write(LogEntry entry, TrainerState state)
    {
        // HF's log(): with include_num_input_tokens_seen every entry carries the count so far.
        if (_tokens && !entry.TryGetValue("num_input_tokens_seen", out _)) entry.Set("num_input_tokens_seen", state.NumInputTokensSeen);
        state.LogHistory.Add(entry);
        foreach (var sink in _sinks) sink.Write(entry, state);
    }
}
