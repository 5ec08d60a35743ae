using System.Text.Json.Nodes;

namespace Dsl;

/// <summary>
/// A trainer whose hooks keep state across steps (a counter, a running average) implements this to have
/// that state saved in every checkpoint and restored on resume (Hugging Face's <c>ExportableState</c>).
/// It is written in <c>trainer_state.json</c> under <c>stateful_callbacks</c>, keyed by the trainer's
/// class name, as <c>{"args": {}, "attributes": ...}</c>.
/// </summary>
/// <example>
/// <code>
/// [Trainer]
/// partial class MyTrainer(Net model, TrainingArguments args) : IHookState
/// {
///     int _spikes;
///     [OnLog] void Watch(LogEvent e) { if (e.Loss > 10) _spikes++; }
///     public JsonObject SaveHookState() => new() { ["spikes"] = _spikes };
///     public void LoadHookState(JsonObject state) => _spikes = (int)state["spikes"]!;
/// }
/// </code>
/// </example>
public interface IHookState
{
    /// <summary>The hooks' state now, as JSON; called at every checkpoint.</summary>
    JsonObject SaveHookState();

    /// <summary>Restores what <see cref="SaveHookState"/> returned; called when training resumes from a checkpoint that has it.</summary>
    void LoadHookState(JsonObject state);
}
