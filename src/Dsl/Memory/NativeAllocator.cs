using System.Runtime.InteropServices;

namespace Dsl.Memory;

/// <summary>
/// glibc's allocator, told to hand large blocks back to the system when they are freed
/// (<see cref="TrainingArguments.ReleaseLargeAllocations"/>). By default glibc serves blocks of 128 KiB
/// and more with mmap until the first such block is freed, then raises that threshold to the block's
/// size (up to 32 MiB) and serves them from its heap, which it seldom returns: a training step's
/// activations (tens of MiB each at 512 tokens) then leave the process holding several times the memory it
/// uses. A fixed threshold keeps every large tensor in its own mapping, unmapped when freed.
/// </summary>
internal static class NativeAllocator
{
    private const int MmapThreshold = -3;   // glibc's M_MMAP_THRESHOLD; setting it also turns off the dynamic raise
    private const int Threshold = 1 << 20;  // blocks of 1 MiB and more: tensors, not the many small allocations
    private static int _applied;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int Mallopt(int parameter, int value);

    /// <summary>Sets glibc's mmap threshold once per process; false where the C library is not glibc (nothing changes there).</summary>
    public static bool ReleaseLargeAllocations()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1) return true;
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return false;
        if (!NativeLibrary.TryGetExport(libc, "mallopt", out var address)) return false;
        return Marshal.GetDelegateForFunctionPointer<Mallopt>(address)(MmapThreshold, Threshold) == 1;
    }
}
