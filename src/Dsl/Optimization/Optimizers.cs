using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace Dsl;

/// <summary>
/// The optimizer of a trainer without <c>[Optimizer]</c>, as Hugging Face's <c>create_optimizer</c>
/// builds it: two parameter groups, one with <see cref="TrainingArguments.WeightDecay"/> and one
/// without (biases and LayerNorm weights).
/// </summary>
public static partial class Optimizers
{
    // HF get_decay_parameter_names: no decay for biases and norms, matched on the lower-cased name.
    [GeneratedRegex(@"bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)")]
    private static partial Regex NoDecayName();

    /// <summary>The optimizer <see cref="TrainingArguments.Optim"/> names, with HF's parameter groups.</summary>
    public static Optimizer FromArguments(nn.Module model, TrainingArguments args) => args.Optim switch
    {
        OptimizerType.AdamWTorch => AdamW(model, args),
        OptimizerType.Sgd => Sgd(model, args),
        _ => throw new ArgumentOutOfRangeException(nameof(args), args.Optim, "Unknown TrainingArguments.Optim."),
    };

    /// <summary>
    /// AdamW with <see cref="TrainingArguments.LearningRate"/>, <see cref="TrainingArguments.AdamBeta1"/>,
    /// <see cref="TrainingArguments.AdamBeta2"/>, <see cref="TrainingArguments.AdamEpsilon"/> (HF defaults
    /// 5e-5, 0.9, 0.999, 1e-8), and <see cref="TrainingArguments.WeightDecay"/> on all but biases and
    /// LayerNorm weights. The update is <see cref="Optimization.AdamW"/>'s (TorchSharp's AdamW in fewer passes).
    /// </summary>
    public static Optimization.AdamW AdamW(nn.Module model, TrainingArguments args)
    {
        var (decay, noDecay) = SplitByDecay(model);
        var groups = new List<TorchSharp.Modules.AdamW.ParamGroup>(2);
        if (decay.Count > 0) groups.Add(new(decay, new TorchSharp.Modules.AdamW.Options { weight_decay = args.WeightDecay }));
        if (noDecay.Count > 0) groups.Add(new(noDecay, new TorchSharp.Modules.AdamW.Options { weight_decay = 0.0 }));
        return new Optimization.AdamW(groups, args.LearningRate, args.AdamBeta1, args.AdamBeta2, args.AdamEpsilon);
    }

    /// <summary>SGD with <see cref="TrainingArguments.LearningRate"/> and the same decay groups as <see cref="AdamW"/>.</summary>
    public static Optimization.SGD Sgd(nn.Module model, TrainingArguments args)
    {
        var (decay, noDecay) = SplitByDecay(model);
        var groups = new List<TorchSharp.Modules.SGD.ParamGroup>(2);
        if (decay.Count > 0) groups.Add(new(decay, new TorchSharp.Modules.SGD.Options { weight_decay = args.WeightDecay }));
        if (noDecay.Count > 0) groups.Add(new(noDecay, new TorchSharp.Modules.SGD.Options { weight_decay = 0.0 }));
        return new Optimization.SGD(groups, args.LearningRate);
    }

    /// <summary>
    /// The names of the parameters that get weight decay (HF's <c>get_decay_parameter_names</c>): all
    /// trainable parameters except those of LayerNorm modules and those whose name matches bias or a norm.
    /// </summary>
    public static IReadOnlyList<string> DecayParameterNames(nn.Module model) =>
        Walk(model).Where(p => p.Decay).Select(p => p.Name).ToList();

    private static (List<Parameter> Decay, List<Parameter> NoDecay) SplitByDecay(nn.Module model)
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (_, parameter, useDecay) in Walk(model))
            if (parameter.requires_grad) (useDecay ? decay : noDecay).Add(parameter);
        return (decay, noDecay);
    }

    private static IEnumerable<(string Name, Parameter Parameter, bool Decay)> Walk(nn.Module model)
    {
        // TorchSharp's named_modules() leaves out the module itself, unlike PyTorch's.
        foreach (var (moduleName, module) in model.named_modules().Prepend((name: "", module: model)))
        {
            bool isNorm = module is LayerNorm;
            foreach (var (name, parameter) in module.named_parameters(recurse: false))
            {
                string full = moduleName.Length == 0 ? name : moduleName + "." + name;
                yield return (full, parameter, !isNorm && !NoDecayName().IsMatch(full.ToLowerInvariant()));
            }
        }
    }
}
