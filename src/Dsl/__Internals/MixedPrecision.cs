using Dsl.Precision;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>
/// Mixed precision for one run (<see cref="TrainingArguments.Bf16"/>, <see cref="TrainingArguments.Fp16"/>,
/// and the full-eval settings). Two roads, chosen by the model:
/// <list type="bullet">
/// <item>a model implementing <see cref="IMixedPrecisionModel"/> casts inside its forward (an
/// autocast of its own): its weights, gradients and optimizer stay float32 and this sets its
/// <see cref="IMixedPrecisionModel.ComputeDType"/>;</item>
/// <item>any other module trains on <see cref="MasterWeights"/>: low-precision working copies in the
/// module, float32 masters in the optimizer, batches cast to the working dtype.</item>
/// </list>
/// With Fp16 a <see cref="LossScaler"/> scales the loss and skips overflowing steps. Null (no
/// instance) means float32: the training loop then runs exactly as without this class.
/// </summary>
internal sealed class MixedPrecision : IDisposable
{
    private readonly nn.Module _model;
    private readonly ScalarType _dtype;
    private readonly IMixedPrecisionModel? _mixed;
    private readonly ScalarType? _previousCompute;
    private readonly bool _includeNorms;
    private MasterWeights? _weights;

    private MixedPrecision(nn.Module model, ScalarType dtype, LossScaler? scaler, bool includeNorms)
    {
        _model = model;
        _dtype = dtype;
        Scaler = scaler;
        _includeNorms = includeNorms;
        if (model is IMixedPrecisionModel mixed)
        {
            _mixed = mixed;
            _previousCompute = mixed.ComputeDType;
            mixed.ComputeDType = dtype;
        }
    }

    /// <summary>The loss scaler (Fp16 training only).</summary>
    public LossScaler? Scaler { get; }

    /// <summary>The dtype floating-point batch tensors are cast to: the working copies' dtype, or null.</summary>
    public ScalarType? BatchDType => _weights?.DType ?? (_mixed is null ? MasterWeights.WorkingDType(_model) : null);

    /// <summary>The precision of a training run, or null for float32.</summary>
    /// <exception cref="NotSupportedException">The device lacks a low-precision kernel (the message names it).</exception>
    public static MixedPrecision? ForTraining(nn.Module model, TrainingArguments args, Device device)
    {
        if (!args.Bf16 && !args.Fp16) return null;
        var dtype = args.Fp16 ? ScalarType.Float16 : ScalarType.BFloat16;
        LowPrecisionKernels.Check(dtype, device, args.Fp16 ? nameof(TrainingArguments.Fp16) : nameof(TrainingArguments.Bf16));
        return new MixedPrecision(model, dtype, args.Fp16 ? new LossScaler(device) : null, includeNorms: false);
    }

    /// <summary>
    /// The precision of an evaluation, or null for float32. Inside training it follows the training
    /// run (the model already holds its working copies); outside, HF's <c>bf16_full_eval</c> and
    /// <c>fp16_full_eval</c> cast the whole model, and Bf16/Fp16 compute as training does.
    /// </summary>
    public static MixedPrecision? ForEvaluation(nn.Module model, TrainingArguments args, Device device)
    {
        if (model is not IMixedPrecisionModel && MasterWeights.WorkingDType(model) is { } training)
            return new MixedPrecision(model, training, null, includeNorms: false);   // evaluation during training
        ScalarType? dtype = args.Bf16FullEval ? ScalarType.BFloat16 : args.Fp16FullEval ? ScalarType.Float16
            : args.Bf16 ? ScalarType.BFloat16 : args.Fp16 ? ScalarType.Float16 : null;
        if (dtype is not { } evalType) return null;
        var precision = new MixedPrecision(model, evalType, null, includeNorms: args.Bf16FullEval || args.Fp16FullEval);
        precision.Start(optimizer: null, state: null);
        return precision;
    }

    /// <summary>
    /// Puts the working copies in a plain module, once the optimizer holds the float32 masters and a
    /// resumed checkpoint is loaded into them; restores the loss scale a checkpoint saved.
    /// </summary>
    /// <exception cref="NotSupportedException">The optimizer does not expose its parameter groups.</exception>
    public void Start(torch.optim.Optimizer? optimizer, TrainerState? state)
    {
        if (_mixed is null && MasterWeights.WorkingDType(_model) is null)
        {
            if (optimizer is not null) PinParameters(optimizer);
            _weights = MasterWeights.Install(_model, _dtype, _includeNorms);
        }
        if (Scaler is not null && state?.LossScaler is { } saved) Scaler.Load(saved);
    }

    // TorchSharp's parameter groups keep the enumerable they were built from (model.parameters(),
    // lazily), so the optimizer would find the working copies once they are in the module. Pin them
    // to the float32 masters they hold now.
    private void PinParameters(torch.optim.Optimizer optimizer)
    {
        var groups = optimizer.ParamGroups?.ToArray() ?? [];
        if (groups.Length == 0 || Array.Exists(groups, g => g is not ParamGroup))
            throw new NotSupportedException(
                $"Mixed precision on {_model.GetType().Name} keeps float32 master weights in the optimizer, and {optimizer.GetType().Name} " +
                "does not expose its parameter groups (Optimizer.ParamGroups). Use a TorchSharp optimizer such as AdamW or SGD, or " +
                "implement Dsl.IMixedPrecisionModel on the model.");
        foreach (ParamGroup group in groups) group.Parameters = group.Parameters.ToArray();
    }

    /// <summary>The loss to call backward on: scaled with Fp16, else <paramref name="loss"/> itself.</summary>
    public Tensor ScaleLoss(Tensor loss) => Scaler is null ? loss : Scaler.ScaleLoss(loss);

    /// <summary>After each backward: the working copies' gradients go to the float32 masters.</summary>
    public void AfterBackward() => _weights?.AccumulateGradients();

    /// <summary>Divides the float32 gradients by the loss scale (Fp16), before clipping.</summary>
    public void Unscale(IReadOnlyList<Parameter> parameters) => Scaler?.Unscale(parameters);

    /// <summary>
    /// Whether the optimizer and schedule step: with Fp16, only when the gradients are finite (HF
    /// skips both on overflow), and the scale is updated; without, always.
    /// </summary>
    public bool Decide(bool finite)
    {
        if (Scaler is null) return true;
        Scaler.Update(foundInf: !finite);
        return finite;
    }

    /// <summary>After the optimizer step: refresh the working copies from the masters (when they <paramref name="stepped"/>), clear the masters' gradients.</summary>
    public void AfterStep(bool stepped) => _weights?.Refresh(stepped);

    /// <summary>The float32 masters in the module while a checkpoint is written; null when the module holds them anyway.</summary>
    public IDisposable? ShowMasters() => _weights?.ShowMasters();

    /// <summary>The loss scaler's state for <c>trainer_state.json</c>, or null without Fp16.</summary>
    public LossScalerState? ScalerState => Scaler?.State;

    /// <summary>Puts the model back as it was: float32 masters in the module, the previous compute dtype.</summary>
    public void Dispose()
    {
        _weights?.Dispose();
        _weights = null;
        if (_mixed is not null) _mixed.ComputeDType = _previousCompute;
        Scaler?.Dispose();
    }
}
