using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Training;

/// <summary>
/// The training loss HF logs: the sum of every micro-batch's loss (already divided by its window) since
/// the last log, read once per log and divided by the optimizer steps it covers, and the total behind
/// <c>train_loss</c>. On an accelerator the sum stays on the device (a log step is the only wait); on the
/// CPU, where a value costs no wait, it is a float32 sum on the host: the same arithmetic, fewer kernels.
/// </summary>
internal sealed class LossMeter : IDisposable
{
    private readonly bool _filterNonFinite;
    private readonly Func<double, double>? _averageOverRanks;
    private readonly Tensor? _device;   // null: the host sum
    private float _host;
    private double _total;
    private int _lastLoggedStep;

    /// <summary>A meter on the host (<paramref name="device"/> null) or summing on <paramref name="device"/>.</summary>
    /// <param name="filterNonFinite">HF's <c>logging_nan_inf_filter</c>: a NaN or infinite loss counts as the mean since the last log.</param>
    /// <param name="device">The device to sum on, or null for the host.</param>
    /// <param name="averageOverRanks">Data-parallel: the mean of a value over every rank (HF logs <c>nested_gather(tr_loss).mean()</c>).</param>
    public LossMeter(bool filterNonFinite, Device? device = null, Func<double, double>? averageOverRanks = null)
    {
        _filterNonFinite = filterNonFinite;
        _averageOverRanks = averageOverRanks;
        if (device is not null) _device = torch.zeros([], dtype: ScalarType.Float32, device: device);
    }

    /// <summary>True when the sum is on the host: <see cref="Add(float, int)"/> takes the values.</summary>
    public bool OnHost => _device is null;

    /// <summary>The step of the last log (or of the checkpoint a run resumed from).</summary>
    public int LastLoggedStep => _lastLoggedStep;

    /// <summary>Adds a micro-batch's loss read on the host, during the optimizer step after <paramref name="globalStep"/>.</summary>
    public void Add(float value, int globalStep)
    {
        // HF: a NaN or infinite loss counts as the mean of the steps since the last log.
        if (_filterNonFinite && !float.IsFinite(value)) value = _host / (1 + globalStep - _lastLoggedStep);
        _host += value;
    }

    /// <summary>Adds a micro-batch's loss on the device, without reading it.</summary>
    public void Add(Tensor value, int globalStep)
    {
        var stepLoss = value.detach();
        if (_filterNonFinite)
        {
            using var stepsSinceLog = (1 + globalStep - _lastLoggedStep).ToScalar();
            var mean = _device!.div(stepsSinceLog);
            stepLoss = torch.where(stepLoss.isfinite(), stepLoss, mean);
        }
        _device!.add_(stepLoss);
    }

    /// <summary>
    /// HF's logged <c>loss</c> at <paramref name="step"/>: the mean per optimizer step since the last log (averaged
    /// over ranks), or null when no step was trained since. Reads the device once and starts a new sum.
    /// </summary>
    public double? TakeLogMean(int step)
    {
        if (step <= _lastLoggedStep) return null;
        double sum = TakeSum();
        _total += sum;
        double mean = sum / (step - _lastLoggedStep);
        _lastLoggedStep = step;
        return mean;
    }

    /// <summary>The sum of every logged and unlogged loss of this run (what <c>train_loss</c> averages); reads the device once.</summary>
    public double TakeTotal()
    {
        _total += TakeSum();
        return _total;
    }

    /// <summary>A resumed run logs from its checkpoint's step: its first log averages only the steps it trained.</summary>
    public void ResumeAt(int step) => _lastLoggedStep = step;

    private double TakeSum()
    {
        double sum;
        if (_device is null)
        {
            sum = _host;
            _host = 0;
        }
        else
        {
            using var scope = torch.NewDisposeScope();
            sum = Dsl.__Internals.Tensors.ReadFloat(_device);
            _device.zero_();
        }
        return _averageOverRanks is null ? sum : _averageOverRanks(sum);
    }

    /// <summary>Frees the device sum.</summary>
    public void Dispose() => _device?.Dispose();
}
