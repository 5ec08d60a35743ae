using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Distributed;

/// <summary>
/// Averages gradients over the ranks in flattened buckets, as PyTorch's DDP does: parameters in reverse
/// order (the order backward produces their gradients), packed into contiguous buffers of at most
/// <see cref="TrainingArguments.DdpBucketCapMb"/>, one sum per bucket instead of one per tensor.
/// </summary>
/// <remarks>
/// DDP starts a bucket's sum while backward is still computing earlier layers, from hooks that fire as
/// each gradient is accumulated. TorchSharp 0.107 has no tensor or autograd hooks (only module forward
/// hooks; dotnet/TorchSharp#1483), so here the sums run after backward, one bucket after another.
/// The last bucket carries one more element, this rank's request to stop (a preemption signal): summed with
/// the gradients, it tells every rank in the same step whether any rank was asked to stop, at no extra collective.
/// </remarks>
internal sealed class GradientBuckets : IDisposable
{
    private readonly Bucket[] _buckets;
    private readonly Scalar _inverseWorldSize;

    public GradientBuckets(IReadOnlyList<Parameter> parameters, double capMegabytes, int worldSize)
    {
        long capBytes = Math.Max(1, (long)(capMegabytes * 1024 * 1024));
        var groups = new List<(List<Parameter> Members, bool Wide)>();
        var members = new List<Parameter>();
        long bytes = 0;
        bool wide = false;
        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            var p = parameters[i];
            bool isWide = p.dtype == ScalarType.Float64;
            long size = p.NumberOfElements * (isWide ? 8 : 4);
            if (members.Count > 0 && (bytes + size > capBytes || isWide != wide))
            {
                groups.Add((members, wide));
                members = [];
                bytes = 0;
            }
            members.Add(p);
            bytes += size;
            wide = isWide;
        }
        // The last bucket (also when there is nothing to average) carries the stop request.
        if (members.Count > 0 || groups.Count == 0) groups.Add((members, wide));
        _buckets = new Bucket[groups.Count];
        for (int b = 0; b < groups.Count; b++) _buckets[b] = new Bucket(groups[b].Members, groups[b].Wide, b, carriesStopRequest: b == groups.Count - 1);
        foreach (var bucket in _buckets) bucket.Name = $"the gradient averaging (bucket {bucket.Index + 1} of {_buckets.Length})";
        _inverseWorldSize = (1.0 / worldSize).ToScalar();
    }

    /// <summary>Buckets, for measurements and tests.</summary>
    public int Count => _buckets.Length;

    /// <summary>Bytes one averaging sends into sums (the gradients and the stop request).</summary>
    public long Bytes
    {
        get
        {
            long total = 0;
            foreach (var bucket in _buckets) total += bucket.Flat.NumberOfElements * bucket.Flat.ElementSize;
            return total;
        }
    }

    /// <summary>
    /// Replaces every gradient with its mean over the ranks (a parameter without a gradient counts as zeros) and
    /// returns whether any rank asked to stop: every rank gets the same answer from the same sum.
    /// </summary>
    /// <param name="group">The ranks.</param>
    /// <param name="stopRequested">Whether this rank was asked to stop (a preemption signal).</param>
    public bool Average(ProcessGroup group, bool stopRequested)
    {
        bool anyStop = false;
        foreach (var bucket in _buckets)
        {
            for (int i = 0; i < bucket.Parameters.Length; i++)
            {
                var grad = bucket.Parameters[i].grad;
                if (grad is null) bucket.Slots[i].zero_();
                else bucket.Slots[i].copy_(grad);
            }
            if (bucket.CarriesStopRequest) bucket.WriteStopRequest(stopRequested);
            group.AllReduceSum(bucket.Flat, bucket.Name);
            if (bucket.CarriesStopRequest) anyStop = bucket.ReadStopRequests();   // the sum, before the division
            bucket.Flat.mul_(_inverseWorldSize);
            for (int i = 0; i < bucket.Parameters.Length; i++)
                bucket.Parameters[i].grad?.copy_(bucket.Slots[i]);
        }
        return anyStop;
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets) bucket.Dispose();
        _inverseWorldSize.Dispose();
    }

    private sealed class Bucket : IDisposable
    {
        public Bucket(List<Parameter> parameters, bool wide, int index, bool carriesStopRequest)
        {
            Index = index;
            CarriesStopRequest = carriesStopRequest;
            Parameters = [.. parameters];
            long total = 0;
            foreach (var p in Parameters) total += p.NumberOfElements;
            // The buffers live as long as the run, outside any step's dispose scope; one element more for the stop request.
            Flat = torch.zeros(total + (carriesStopRequest ? 1 : 0), dtype: wide ? ScalarType.Float64 : ScalarType.Float32).DetachFromDisposeScope();
            Slots = new Tensor[Parameters.Length];
            long offset = 0;
            for (int i = 0; i < Parameters.Length; i++)
            {
                long n = Parameters[i].NumberOfElements;
                Slots[i] = Flat.narrow(0, offset, n).view(Parameters[i].shape).DetachFromDisposeScope();
                offset += n;
            }
        }

        public int Index { get; }
        public string Name { get; set; } = "";
        public bool CarriesStopRequest { get; }
        public Parameter[] Parameters { get; }
        public Tensor Flat { get; }
        public Tensor[] Slots { get; }

        // The element after the gradients: 1 when this rank asks to stop, 0 otherwise; after the sum, how many ranks asked.
        // Read and written through the CPU tensor's memory: no tensor and no allocation per step.
        public void WriteStopRequest(bool requested)
        {
            var last = Flat.bytes[^(int)Flat.ElementSize..];
            if (Flat.dtype == ScalarType.Float64) MemoryMarshal.Write(last, requested ? 1.0 : 0.0);
            else MemoryMarshal.Write(last, requested ? 1f : 0f);
        }

        public bool ReadStopRequests()
        {
            var last = Flat.bytes[^(int)Flat.ElementSize..];
            return (Flat.dtype == ScalarType.Float64 ? MemoryMarshal.Read<double>(last) : MemoryMarshal.Read<float>(last)) > 0.5;
        }

        public void Dispose()
        {
            foreach (var slot in Slots) slot.Dispose();
            Flat.Dispose();
        }
    }
}
