using TorchSharp;

namespace Dsl;

/// <summary>
/// A batch type: collates examples into tensors on a device. The generated loop is typed from
/// dataset (<c>IReadOnlyList&lt;TExample&gt;</c>) to step (<c>Step(TSelf batch)</c>) with no boxing.
/// </summary>
/// <remarks>
/// <see cref="Collate"/> runs on a background thread while the model computes the previous batch,
/// outside any dispose scope: dispose every tensor it creates and does not return. The loop
/// disposes the batch after its step.
/// </remarks>
/// <typeparam name="TSelf">The batch type itself.</typeparam>
/// <typeparam name="TExample">One example of the dataset.</typeparam>
public interface IBatch<TSelf, TExample> : IDisposable
    where TSelf : IBatch<TSelf, TExample>
{
    /// <summary>Builds one batch from <paramref name="examples"/> on <paramref name="device"/>.</summary>
    static abstract TSelf Collate(ReadOnlySpan<TExample> examples, torch.Device device);
}
