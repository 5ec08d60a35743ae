using System.Globalization;
using System.Text.RegularExpressions;

namespace Dsl.Adapters;

/// <summary>PEFT's <c>bias</c>: which biases train beside the adapters.</summary>
public enum LoraBias
{
    /// <summary><c>"none"</c>: every bias stays frozen (PEFT's default).</summary>
    None,
    /// <summary><c>"all"</c>: every parameter named <c>bias</c> in the model trains.</summary>
    All,
    /// <summary><c>"lora_only"</c>: the biases of the adapted Linear layers train.</summary>
    LoraOnly,
}

/// <summary>PEFT's <c>init_lora_weights</c>.</summary>
public enum LoraInit
{
    /// <summary><c>true</c>: A Kaiming-uniform (a = √5, as <c>nn.Linear</c>), B zero, so the adapted model starts equal to the base.</summary>
    Default,
    /// <summary><c>"gaussian"</c>: A normal with standard deviation 1/r, B zero.</summary>
    Gaussian,
    /// <summary><c>false</c>: A and B both as a new <c>nn.Linear</c> initialises them; the model no longer starts equal to the base (for tests).</summary>
    Random,
}

/// <summary>PEFT's <c>TaskType</c>: what the model is for. Classification tasks train their head in full.</summary>
public enum PeftTaskType
{
    /// <summary><c>SEQ_CLS</c>: the heads <c>classifier</c> and <c>score</c> join <see cref="LoraConfig.ModulesToSave"/>.</summary>
    SeqCls,
    /// <summary><c>TOKEN_CLS</c>: as <see cref="SeqCls"/>.</summary>
    TokenCls,
    /// <summary><c>QUESTION_ANS</c>: the head <c>qa_outputs</c> joins <see cref="LoraConfig.ModulesToSave"/>.</summary>
    QuestionAns,
    /// <summary><c>CAUSAL_LM</c>.</summary>
    CausalLm,
    /// <summary><c>SEQ_2_SEQ_LM</c>.</summary>
    Seq2SeqLm,
    /// <summary><c>FEATURE_EXTRACTION</c>.</summary>
    FeatureExtraction,
}

/// <summary>
/// A LoRA adapter's settings, with PEFT's <c>LoraConfig</c> names in PascalCase and PEFT's defaults (r 8,
/// alpha 8, no dropout, no bias). Each adapted Linear layer computes <c>W·x + b + scaling · B·A·dropout(x)</c> with
/// A of shape [r, in] and B of shape [out, r]; only A, B and what <see cref="ModulesToSave"/> and <see cref="Bias"/>
/// name train. Apply it with <see cref="LoraModel.Apply"/>; <see cref="Validate"/> says what is wrong before anything changes.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>The <see cref="TargetModules"/> entry that means every Linear layer but the output head (PEFT's <c>"all-linear"</c>).</summary>
    public const string AllLinear = ModuleNames.AllLinear;

    /// <summary>PEFT's <c>r</c>: the rank of the update. Default 8.</summary>
    public int R { get; init; } = 8;

    /// <summary>PEFT's <c>lora_alpha</c>: the update is scaled by alpha / r (alpha / √r with <see cref="UseRslora"/>). Default 8.</summary>
    public double LoraAlpha { get; init; } = 8;

    /// <summary>
    /// PEFT's <c>target_modules</c> as a list: the Linear layers to adapt, each entry a module's full name
    /// (<c>bert.pooler.dense</c>) or the end of names after a dot (<c>query</c> adapts every <c>*.query</c>), or
    /// <see cref="AllLinear"/>. null with no <see cref="TargetModulesRegex"/>: the model type's default (PEFT's
    /// mapping: <c>query</c> and <c>value</c> for BERT). Every entry must match a Linear layer.
    /// </summary>
    public IReadOnlyList<string>? TargetModules { get; init; }

    /// <summary>PEFT's <c>target_modules</c> as a string: a regular expression that must match a module's whole name (Python's <c>re.fullmatch</c>).</summary>
    public string? TargetModulesRegex { get; init; }

    /// <summary>PEFT's <c>lora_dropout</c>: dropout on the adapter's input while training, in [0, 1). Default 0.</summary>
    public double LoraDropout { get; init; }

    /// <summary>PEFT's <c>bias</c>. Default <see cref="LoraBias.None"/>.</summary>
    public LoraBias Bias { get; init; } = LoraBias.None;

    /// <summary>PEFT's <c>use_rslora</c>: scale by alpha / √r (rank-stabilised LoRA) instead of alpha / r. Default false.</summary>
    public bool UseRslora { get; init; }

    /// <summary>
    /// PEFT's <c>modules_to_save</c>: modules trained in full and saved with the adapter, matched as PEFT does (a
    /// module whose full name ends with the entry). <see cref="PeftTaskType.SeqCls"/> adds <c>classifier</c> and <c>score</c>.
    /// </summary>
    public IReadOnlyList<string>? ModulesToSave { get; init; }

    /// <summary>PEFT's <c>init_lora_weights</c>. Default <see cref="LoraInit.Default"/>.</summary>
    public LoraInit InitLoraWeights { get; init; } = LoraInit.Default;

    /// <summary>PEFT's <c>task_type</c>, or null.</summary>
    public PeftTaskType? TaskType { get; init; }

    /// <summary>PEFT's <c>base_model_name_or_path</c>: the base model's name, written to <c>adapter_config.json</c>.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>
    /// PEFT's <c>fan_in_fan_out</c>: for layers that store their weight as [in, out] (GPT-2's Conv1D). TorchSharp's
    /// Linear stores [out, in], so only false is accepted.
    /// </summary>
    public bool FanInFanOut { get; init; }

    /// <summary>The factor of the update: alpha / r, or alpha / √r with <see cref="UseRslora"/> (PEFT's <c>update_layer</c>).</summary>
    public double Scaling => UseRslora ? LoraAlpha / Math.Sqrt(R) : LoraAlpha / R;

    /// <summary>The <see cref="ModulesToSave"/> entries with the task's heads added, as PEFT's task models add them.</summary>
    public IReadOnlyList<string> ResolvedModulesToSave
    {
        get
        {
            var names = new List<string>(ModulesToSave ?? []);
            foreach (string head in TaskHeads)
                if (!names.Contains(head, StringComparer.Ordinal)) names.Add(head);
            return names;
        }
    }

    /// <summary>The heads the task type trains in full (PEFT's <c>PeftModelForSequenceClassification</c> and kin).</summary>
    internal IReadOnlyList<string> TaskHeads => TaskType switch
    {
        PeftTaskType.SeqCls or PeftTaskType.TokenCls => ["classifier", "score"],
        PeftTaskType.QuestionAns => ["qa_outputs"],
        _ => [],
    };

    /// <summary>
    /// Checks the settings on their own (what the model's modules have to say is checked when the adapter is applied).
    /// </summary>
    /// <exception cref="ArgumentException">A setting can never work; the message names it, its value and what is accepted.</exception>
    public void Validate()
    {
        // PEFT (lora/layer.py update_layer): "`r` should be a positive integer value".
        Require(R >= 1, nameof(R), R, "a rank of at least 1");
        Require(LoraAlpha > 0 && double.IsFinite(LoraAlpha), nameof(LoraAlpha), LoraAlpha, "a finite number above 0");
        Require(LoraDropout >= 0 && LoraDropout < 1, nameof(LoraDropout), LoraDropout, "a probability in [0, 1)");
        Require(Enum.IsDefined(Bias), nameof(Bias), Bias, "None, All or LoraOnly");
        Require(Enum.IsDefined(InitLoraWeights), nameof(InitLoraWeights), InitLoraWeights, "Default, Gaussian or Random");
        Require(TaskType is null || Enum.IsDefined(TaskType.Value), nameof(TaskType), TaskType, "a PeftTaskType or null");
        if (FanInFanOut)
            throw new ArgumentException(
                "LoraConfig.FanInFanOut is true, which is for layers storing their weight as [in, out] (GPT-2's Conv1D); TorchSharp's Linear " +
                "stores [out, in]. Set FanInFanOut = false (PEFT turns it off for nn.Linear too).", nameof(FanInFanOut));
        if (TargetModules is not null && TargetModulesRegex is not null)
            throw new ArgumentException(
                "LoraConfig sets both TargetModules and TargetModulesRegex; PEFT's target_modules is one or the other: keep one.", nameof(TargetModules));
        if (TargetModules is { Count: 0 })
            throw new ArgumentException("LoraConfig.TargetModules is empty: name at least one Linear layer (e.g. \"query\"), or leave it null for the model's default.", nameof(TargetModules));
        RequireNames(TargetModules, nameof(TargetModules));
        RequireNames(ModulesToSave, nameof(ModulesToSave));
        if (TargetModulesRegex is not null) _ = TargetRegex(TargetModulesRegex);
    }

    /// <summary>The regular expression of <see cref="TargetModulesRegex"/>, anchored at both ends as <c>re.fullmatch</c> is.</summary>
    internal static Regex TargetRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant);   // its own error message, with the user's offsets
            return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"LoraConfig.TargetModulesRegex '{pattern}' is not a regular expression: {e.Message}", nameof(TargetModulesRegex), e);
        }
    }

    private static void RequireNames(IReadOnlyList<string>? names, string setting)
    {
        if (names is null) return;
        for (int i = 0; i < names.Count; i++)
            if (string.IsNullOrWhiteSpace(names[i]))
                throw new ArgumentException($"LoraConfig.{setting}[{i}] is empty: each entry names a module.", setting);
    }

    private static void Require(bool ok, string setting, object? value, string expected)
    {
        if (!ok)
            throw new ArgumentException(
                $"LoraConfig.{setting} is {Convert.ToString(value, CultureInfo.InvariantCulture)}; it must be {expected}.", setting);
    }
}
