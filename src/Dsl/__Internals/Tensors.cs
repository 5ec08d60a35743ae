using System.ComponentModel;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>Reading values off the device without leaking the temporaries TorchSharp makes.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal static class Tensors
{
    /// <summary>
    /// The value of a one-element tensor as a double: waits for the device. Works on any device and
    /// any floating dtype (TorchSharp's <c>item&lt;float&gt;</c> needs a CPU float32 tensor, and its
    /// copy to the CPU would outlive the call outside a dispose scope).
    /// </summary>
    public static double ReadFloat(Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        var value = tensor.detach();
        if (value.device_type != DeviceType.CPU) value = value.cpu();
        if (value.dtype != ScalarType.Float32) value = value.to(ScalarType.Float32);
        return value.item<float>();
    }
}
