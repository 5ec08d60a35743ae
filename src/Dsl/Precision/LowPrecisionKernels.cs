using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Precision;

/// <summary>
/// Checks, before training starts, that libtorch has the low-precision kernels a transformer or an
/// MLP needs on the run's device, so a missing one is a clear error naming it instead of a failure
/// deep inside the first step. Checked on libtorch 2.10's CPU build: float16 and bfloat16 both have
/// matmul/linear (forward and backward), bmm, layer_norm (also with float32 weights), batch_norm,
/// softmax, log_softmax, gelu, relu, tanh, dropout, embedding, cross_entropy and mse_loss.
/// </summary>
internal static class LowPrecisionKernels
{
    /// <summary>The kernels checked: a name and a tiny forward and backward in the dtype.</summary>
    internal static readonly (string Name, Action<ScalarType, Device> Run)[] Kernels =
    [
        ("matmul", (dt, d) => torch.ones(2, 3, dtype: dt, device: d).matmul(torch.ones(3, 2, dtype: dt, device: d))),
        ("linear (addmm) and its backward", (dt, d) =>
        {
            var x = torch.ones(2, 3, dtype: dt, device: d, requires_grad: true);
            nn.functional.linear(x, torch.ones(2, 3, dtype: dt, device: d), torch.ones(2, dtype: dt, device: d)).sum().backward();
        }),
        ("bmm", (dt, d) => torch.ones(1, 2, 3, dtype: dt, device: d).bmm(torch.ones(1, 3, 2, dtype: dt, device: d))),
        ("layer_norm with float32 weights", (dt, d) =>
        {
            var x = torch.ones(2, 3, dtype: dt, device: d, requires_grad: true);
            nn.functional.layer_norm(x, [3], torch.ones(3, device: d), torch.zeros(3, device: d)).sum().backward();
        }),
        ("softmax", (dt, d) => nn.functional.softmax(torch.ones(2, 3, dtype: dt, device: d, requires_grad: true), -1).sum().backward()),
        ("gelu", (dt, d) => nn.functional.gelu(torch.ones(2, 3, dtype: dt, device: d, requires_grad: true)).sum().backward()),
        ("embedding", (dt, d) =>
        {
            var weight = torch.ones(4, 3, dtype: dt, device: d, requires_grad: true);
            weight.index_select(0, torch.tensor(new long[] { 1, 2 }, device: d)).sum().backward();
        }),
        ("cross_entropy", (dt, d) =>
            nn.functional.cross_entropy(torch.ones(2, 3, dtype: dt, device: d, requires_grad: true), torch.tensor(new long[] { 0, 2 }, device: d)).backward()),
    ];

    /// <summary>Runs every kernel in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">A kernel is missing; the message names it and the setting.</exception>
    public static void Check(ScalarType dtype, Device device, string setting) => Check(Kernels, dtype, device, setting);

    internal static void Check(IEnumerable<(string Name, Action<ScalarType, Device> Run)> kernels, ScalarType dtype, Device device, string setting)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (name, run) in kernels)
        {
            try
            {
                run(dtype, device);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new NotSupportedException(
                    $"TrainingArguments.{setting} needs libtorch's {dtype} kernel for {name} on {device.type}, and this libtorch " +
                    $"does not have it ({e.Message.Split('\n')[0]}). Train on a device that has it, or without {setting}.", e);
            }
        }
    }
}
