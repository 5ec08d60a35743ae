using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Precision;

/// <summary>
/// Casts a batch's floating-point tensors to the dtype of a model's working copies (see
/// <see cref="MasterWeights"/>), so a float32 batch meets bf16 or fp16 weights. The tensors are the
/// batch's instance fields of a tensor type (auto-properties included); integer tensors (token ids,
/// class labels) are left alone. Runs on the collation thread, off the training step's path.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
internal static class BatchCasting<TBatch>
{
    // The batch type's tensor fields, found once.
    private static readonly FieldInfo[] TensorFields = Find();

    /// <summary>
    /// Replaces each floating-point tensor of <paramref name="batch"/> whose dtype is not
    /// <paramref name="dtype"/> by a copy in it, and frees the original. Returns the batch (a new
    /// value when <typeparamref name="TBatch"/> is a struct).
    /// </summary>
    public static TBatch Cast(TBatch batch, ScalarType dtype)
    {
        if (TensorFields.Length == 0 || batch is null) return batch;
        object boxed = batch;
        foreach (var field in TensorFields)
        {
            if (field.GetValue(boxed) is not Tensor tensor || tensor.IsInvalid) continue;
            if (!torch.is_floating_point(tensor.dtype) || tensor.dtype == dtype) continue;
            var cast = tensor.to(dtype).DetachFromDisposeScope();
            // Fields aliasing the same tensor get the same copy.
            foreach (var other in TensorFields)
                if (ReferenceEquals(other.GetValue(boxed), tensor)) other.SetValue(boxed, cast);
            tensor.Dispose();
        }
        return (TBatch)boxed;
    }

    private static FieldInfo[] Find()
    {
        var fields = new List<FieldInfo>();
        for (var type = typeof(TBatch); type is not null && type != typeof(object); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (typeof(Tensor).IsAssignableFrom(field.FieldType)) fields.Add(field);
        return [.. fields];
    }
}
