using System.Globalization;
using System.Runtime.CompilerServices;
using Dsl.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Adapters;

/// <summary>
/// A model with a LoRA adapter: PEFT's <c>get_peft_model</c> and <c>PeftModel</c>. <see cref="Apply"/> freezes every base
/// weight, puts a <see cref="LoraLayer"/> on each targeted Linear layer, and lets only the adapters (and
/// <see cref="LoraConfig.ModulesToSave"/>, and the biases <see cref="LoraConfig.Bias"/> names) train. The model object stays
/// the one you built: train it with any [Trainer] as before; its checkpoints then hold only the adapter, in PEFT's files.
/// </summary>
/// <example>
/// <code>
/// var model = BertForSequenceClassification.FromPretrained("models/all-MiniLM-L6-v2", new() { NumLabels = 2 });
/// var lora = LoraModel.Apply(model, new LoraConfig { R = 8, LoraAlpha = 16, TargetModules = ["query", "value"], TaskType = PeftTaskType.SeqCls });
/// new SentimentTrainer(model, args).Train(train, eval);
/// lora.SaveAdapter("out/adapter");          // adapter_model.safetensors + adapter_config.json
/// lora.MergeAndUnload();                    // plain BERT again, with the update in its weights
/// model.SavePretrained("out/merged");
/// </code>
/// </example>
public sealed partial class LoraModel : IAdapterModel
{
    private static readonly ConditionalWeakTable<nn.Module, LoraModel> Applied = [];
    private readonly (Parameter Parameter, bool RequiresGrad)[] _before;
    private readonly string _fingerprint;
    private bool _unloaded;

    private LoraModel(nn.Module model, LoraConfig config, LoraTargets targets, Dictionary<string, nn.Module> modules)
    {
        Model = model;
        Config = config;
        ModulesToSave = targets.ModulesToSave;
        WrittenTargets = targets.WrittenTargets;
        // PEFT's _mark_only_adapters_as_trainable: everything frozen, then the adapters, the modules to save and the biases.
        _before = model.parameters().Select(p => (p, p.requires_grad)).ToArray();
        foreach (var (parameter, _) in _before) parameter.requires_grad = false;
        Layers = targets.Linear.Select(name => new LoraLayer(name, (Linear)modules[name], config)).ToList();
        foreach (string name in ModulesToSave)
            foreach (var parameter in modules[name].parameters()) parameter.requires_grad = true;
        if (config.Bias == LoraBias.All)
            foreach (var (name, parameter) in model.named_parameters())
                if (name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal)) parameter.requires_grad = true;
        if (config.Bias == LoraBias.LoraOnly)
            foreach (var layer in Layers)
                if (layer.BaseLayer.bias is { } bias) bias.requires_grad = true;
        _fingerprint = Fingerprint(Layers[0]);
        Applied.Add(model, this);
    }

    /// <summary>The model the adapter is on (the object given to <see cref="Apply"/>).</summary>
    public nn.Module Model { get; }

    /// <summary>The configuration, as given.</summary>
    public LoraConfig Config { get; }

    /// <summary>The adapted layers, in the model's order.</summary>
    public IReadOnlyList<LoraLayer> Layers { get; }

    /// <summary>The modules trained in full (<see cref="LoraConfig.ModulesToSave"/> and the task's head, resolved to names).</summary>
    public IReadOnlyList<string> ModulesToSave { get; }

    /// <summary><c>target_modules</c> as <c>adapter_config.json</c> has it.</summary>
    internal object WrittenTargets { get; }

    /// <summary>
    /// Puts a LoRA adapter on <paramref name="model"/> (PEFT's <c>get_peft_model</c>). Everything is checked before
    /// anything changes: a bad setting or a target that matches nothing leaves the model as it was.
    /// </summary>
    /// <exception cref="ArgumentException">A setting can never work, or an entry of TargetModules or ModulesToSave matches nothing (the message lists the nearest module names).</exception>
    /// <exception cref="InvalidOperationException">The model already has an adapter.</exception>
    public static LoraModel Apply(nn.Module model, LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (Find(model) is not null)
            throw new InvalidOperationException($"{model.GetType().Name} already has a LoRA adapter; call MergeAndUnload on it before applying another.");
        var modules = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        var infos = new List<ModuleInfo>();
        foreach (var (name, module) in model.named_modules())
        {
            modules[name] = module;
            infos.Add(new ModuleInfo(name, module.GetType().Name, module is Linear));
        }
        var targets = LoraTargets.Resolve(infos, config, ModelType(model), model.GetType().Name);
        return new LoraModel(model, config, targets, modules);
    }

    /// <summary>The adapter applied to <paramref name="model"/>, or null.</summary>
    public static LoraModel? Find(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Applied.TryGetValue(model, out var lora) ? lora : null;
    }

    /// <summary>The parameters that train: what an optimizer should get (<c>AdamW(lora.TrainableParameters(), ...)</c>).</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => Model.parameters().Where(p => p.requires_grad).ToList();

    /// <summary>Trainable and all parameters' element counts (PEFT's <c>get_nb_trainable_parameters</c>).</summary>
    public (long Trainable, long All) CountParameters()
    {
        long trainable = 0, all = 0;
        foreach (var parameter in Model.parameters())
        {
            all += parameter.numel();
            if (parameter.requires_grad) trainable += parameter.numel();
        }
        return (trainable, all);
    }

    /// <summary>PEFT's <c>print_trainable_parameters</c> line: <c>trainable params: 74,498 || all params: 22,787,714 || trainable%: 0.3269</c>.</summary>
    public string TrainableParametersSummary()
    {
        var (trainable, all) = CountParameters();
        return string.Create(CultureInfo.InvariantCulture,
            $"trainable params: {trainable:N0} || all params: {all:N0} || trainable%: {100.0 * trainable / Math.Max(all, 1):F4}");
    }

    /// <summary>
    /// Adds every adapter to its base weight and takes the adapters off (PEFT's <c>merge_and_unload</c>): the model is a
    /// plain model again, computing what it computed with the adapter, and its parameters train or not as before
    /// <see cref="Apply"/>. Save it as any model (<c>SavePretrained</c> writes a Hugging Face folder). This object is done after.
    /// </summary>
    public nn.Module MergeAndUnload()
    {
        RequireApplied();
        foreach (var layer in Layers) layer.Merge();
        Unload();
        return Model;
    }

    /// <summary>Takes the adapters off without merging and restores the parameters' trainability (a failed load undoes <see cref="Apply"/> with it).</summary>
    internal void Unload()
    {
        foreach (var layer in Layers) layer.Detach();
        foreach (var (parameter, requiresGrad) in _before) parameter.requires_grad = requiresGrad;
        Applied.Remove(Model);
        _unloaded = true;
    }

    /// <summary>Freezes the adapter too (PEFT's <c>inference_mode</c>), for an adapter loaded only to predict.</summary>
    internal void Freeze()
    {
        foreach (var parameter in Model.parameters()) parameter.requires_grad = false;
    }

    /// <summary>Moves the adapters to their layers' devices, after the model was moved (TorchSharp's Linear moves only its own weight and bias).</summary>
    internal void FollowBaseDevice()
    {
        foreach (var layer in Layers) layer.FollowBaseDevice();
    }

    /// <summary>This adapter, when something in it trains; an adapter loaded to predict (frozen) cannot be trained.</summary>
    internal LoraModel ForTraining()
    {
        if (!Model.parameters().Any(p => p.requires_grad))
            throw new InvalidOperationException(
                $"Nothing in {Model.GetType().Name} trains: its LoRA adapter is frozen, as LoraModel.Load leaves an adapter loaded to predict. " +
                "Load it with isTrainable: true to train it further.");
        return this;
    }

    /// <summary>
    /// TorchSharp's optimizers make their state when they are built, for every parameter they are given (PyTorch's wait
    /// for a gradient): frozen base weights given to one cost two copies of themselves in AdamW, and checkpoint space.
    /// </summary>
    internal void WarnOfFrozenParameters(torch.optim.Optimizer optimizer, Action<string> warn)
    {
        long frozen = 0;
        foreach (var group in optimizer.ParamGroups ?? [])
            foreach (var parameter in (group as ParamGroup)?.Parameters ?? [])
                if (!parameter.requires_grad) frozen += parameter.numel();
        if (frozen > 0)
            warn($"The optimizer holds {frozen:N0} frozen weights of the LoRA model; TorchSharp keeps optimizer state for each of them. " +
                 "Build it on the trainable ones only: model.parameters().Where(p => p.requires_grad).");
    }

    /// <summary>
    /// After a first training step: an adapter whose update was never computed means the model calls its Linear layers
    /// with <c>forward(x)</c>, which skips the hook; when none was, the run stops with what to change, else a warning names them.
    /// </summary>
    internal void RequireLayersCalled(Action<string> warn)
    {
        var silent = Layers.Where(l => l.Calls == 0).Select(l => l.Name).ToList();
        if (silent.Count == 0) return;
        string names = string.Join(", ", silent.Take(5)) + (silent.Count > 5 ? $" and {silent.Count - 5} more" : "");
        const string how = "TorchSharp runs a module's hooks in call(x), not in forward(x): call the layer with call(x) (PyTorch's module(x)), " +
                           "or add LoraLayer.Of(layer)?.Delta(x) where the model computes the product itself.";
        if (silent.Count == Layers.Count)
            throw new InvalidOperationException(
                $"No LoRA layer of {Model.GetType().Name} was used in the first training step ({names}): the model calls its Linear layers " +
                $"in a way that skips the adapter, so only the base model would run. {how}");
        warn($"These LoRA layers of {Model.GetType().Name} were not used in the first training step, so they do not train: {names}. {how}");
    }

    private void RequireApplied()
    {
        if (_unloaded) throw new InvalidOperationException("This LoRA adapter was unloaded (MergeAndUnload); apply a new one with LoraModel.Apply.");
    }

    private static string? ModelType(nn.Module model) =>
        model is IModelConfig configured && configured.ToConfigJson()["model_type"] is System.Text.Json.Nodes.JsonValue type
            && type.TryGetValue(out string? name) ? name : null;
}
