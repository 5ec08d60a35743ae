using System.CommandLine;
using Dsl.Adapters;

namespace ImdbSentiment;

/// <summary>
/// The --lora options: train a LoRA adapter (PEFT's LoraConfig, see docs/lora.md) instead of every weight. Any of them
/// turns LoRA on; the base model stays frozen, checkpoints hold only the adapter, and the run ends by saving the
/// adapter (adapter/) and the merged model (model/, a plain Hugging Face folder).
/// </summary>
internal sealed class LoraOptions
{
    private readonly Option<bool> _enabled = new("--lora")
    {
        Description = "Fine-tune a LoRA adapter instead of the whole model (the classifier trains in full, as PEFT's SEQ_CLS does).",
    };

    private readonly Option<int?> _rank = new("--lora-rank") { Description = "LoRA rank r (default 8)." };

    private readonly Option<double?> _alpha = new("--lora-alpha") { Description = "lora_alpha; the update is scaled by alpha / r (default 2 × rank)." };

    private readonly Option<string[]> _targets = new("--lora-targets")
    {
        Description = "target_modules: the Linear layers to adapt, by name or the end of one (default: query value; all-linear for every Linear layer but the classifier).",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<double?> _dropout = new("--lora-dropout")
    {
        Description = "lora_dropout on the adapter's input (default 0, PEFT's; above 0 each adapted layer keeps a dropped copy of its input for backward).",
    };

    /// <summary>The options, to add to the command.</summary>
    public IEnumerable<Option> All => [_enabled, _rank, _alpha, _targets, _dropout];

    /// <summary>The adapter's configuration, or null when no --lora option was given. Checked later, by Settings.Validate.</summary>
    public LoraConfig? Read(ParseResult parsed, string? baseModel)
    {
        bool any = parsed.GetValue(_enabled) || All.Skip(1).Any(option => parsed.GetResult(option) is not null);
        if (!any) return null;
        int rank = parsed.GetValue(_rank) ?? 8;
        return new LoraConfig
        {
            R = rank,
            LoraAlpha = parsed.GetValue(_alpha) ?? 2.0 * rank,
            TargetModules = parsed.GetValue(_targets) is { Length: > 0 } targets ? targets : ["query", "value"],
            LoraDropout = parsed.GetValue(_dropout) ?? 0.0,
            TaskType = PeftTaskType.SeqCls,
            BaseModelNameOrPath = baseModel,
        };
    }
}
