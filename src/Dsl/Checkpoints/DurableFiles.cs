using System.Runtime.InteropServices;

namespace Dsl.Checkpoints;

/// <summary>
/// Flushes files and folders to the disk (fsync), so a checkpoint renamed into place after a power
/// loss is complete, not a folder of empty files: the files' data, then the folder's entries, then
/// the parent's entry for the rename.
/// </summary>
internal static class DurableFiles
{
    /// <summary>Flushes every file of <paramref name="folder"/>, then the folder itself.</summary>
    public static void FlushFolderAndFiles(string folder)
    {
        foreach (string file in Directory.EnumerateFiles(folder))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            stream.Flush(flushToDisk: true);
        }
        FlushFolder(folder);
    }

    /// <summary>Flushes <paramref name="folder"/>'s entries (a rename into it, a new file). Windows has no such call and needs none.</summary>
    public static void FlushFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = open(folder, 0 /* O_RDONLY */);
        if (fd < 0) return;   // best effort: a file system that cannot open folders cannot sync them either
        try
        {
            if (fsync(fd) != 0 && Marshal.GetLastPInvokeError() is not (22 /* EINVAL */ or 95 /* ENOTSUP */))
                throw new IOException($"Cannot flush the folder {folder} to disk (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = close(fd);
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this assembly for three calls
    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054
}
