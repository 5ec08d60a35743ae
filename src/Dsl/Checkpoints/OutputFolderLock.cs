using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dsl.Checkpoints;

/// <summary>
/// An exclusive lock on a training output folder, held while a run may write checkpoints there, so a
/// second run into the same folder is refused at its start instead of failing later with another
/// <see cref="IOException"/> each time. The operating system frees it when the process ends, even when
/// it is killed, and it leaves nothing in the folder: after <c>Train</c> the folder holds what Hugging
/// Face's holds (checkpoint folders, and what the program saves there).
/// </summary>
/// <remarks>
/// <para>On Linux the lock is on the folder itself (<c>flock</c> on a descriptor of the directory): nothing is
/// created, so nothing stays behind, even after a kill.</para>
/// <para>Where a folder cannot be locked (a file system without directory locks, another operating system) it is
/// a lock file, <see cref="FileName"/>, which exists only while a run holds it: the holder deletes it before it lets
/// go. On Linux a run that opened the file just before it was deleted then holds a lock on a file no longer in the
/// folder, so after locking it checks that the path still names that file, and starts over when it does not (the
/// race of a deleted lock file: A deletes while B waits on the old file while C creates a new one).</para>
/// </remarks>
public sealed class OutputFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the output folder, where the folder cannot be locked itself.</summary>
    public const string FileName = ".dsl-train.lock";

    private readonly IDisposable _handle;
    private readonly string? _deleteOnRelease;   // the lock file this run deletes before it lets go
    private bool _disposed;

    private OutputFolderLock(IDisposable handle, bool onFolder, string? deleteOnRelease)
    {
        _handle = handle;
        OnFolder = onFolder;
        _deleteOnRelease = deleteOnRelease;
    }

    /// <summary>True when the lock is on the folder itself; false when it is a lock file.</summary>
    internal bool OnFolder { get; }

    /// <summary>Creates <paramref name="outputDir"/> if needed and takes its lock.</summary>
    /// <exception cref="OutputFolderInUseException">Another run holds the lock.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be written; the message names it.</exception>
    /// <exception cref="IOException">The output folder is a file, or cannot be created.</exception>
    public static OutputFolderLock Acquire(string outputDir) => Acquire(outputDir, lockFolder: true, beforeLock: null);

    /// <summary>As <see cref="Acquire(string)"/>; tests choose the lock file and step into its race.</summary>
    /// <param name="outputDir">The output folder.</param>
    /// <param name="lockFolder">Lock the folder itself where the system allows it.</param>
    /// <param name="beforeLock">Runs after a lock file is opened and before it is locked (Linux; tests).</param>
    internal static OutputFolderLock Acquire(string outputDir, bool lockFolder, Action? beforeLock)
    {
        string full = Path.GetFullPath(outputDir);
        if (File.Exists(full))
            throw new IOException($"TrainingArguments.OutputDir {full} is a file; checkpoints need a folder there. Choose another OutputDir.");
        string file = Path.Combine(full, FileName);
        try
        {
            Directory.CreateDirectory(full);
            if (!OperatingSystem.IsLinux()) return LockFileElsewhere(full, file);
            if (lockFolder && Posix.LockFolder(full) is { } folder)
            {
                // A lock file a lock-file run left (an earlier Dsl, or a killed run): gone unless a run still holds it.
                try { if (File.Exists(file)) LockFileOnLinux(full, file, beforeLock: null).Dispose(); }
                catch { folder.Dispose(); throw; }
                return new OutputFolderLock(folder, onFolder: true, null);
            }
            return LockFileOnLinux(full, file, beforeLock);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException(
                $"Cannot write to the output folder {full} ({e.Message}); make it writable or choose another OutputDir.", e);
        }
    }

    /// <summary>Open or create the lock file, lock it, and start over if its holder deleted it meanwhile.</summary>
    private static OutputFolderLock LockFileOnLinux(string folder, string file, Action? beforeLock)
    {
        // Each retry means another run deleted the file between this run's open and lock: a handful at most.
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var handle = Posix.OpenLockFile(file);
            try
            {
                beforeLock?.Invoke();
                if (!Posix.TryLock(handle)) throw new OutputFolderInUseException(folder, null);
                if (Posix.StillNamed(handle)) return new OutputFolderLock(handle, onFolder: false, file);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
            handle.Dispose();
        }
        throw new IOException($"Cannot lock the output folder {folder}: its lock file {file} was replaced 100 times in a row.");
    }

    /// <summary>Elsewhere: .NET's exclusive open (an advisory lock on Unix, a sharing lock on Windows), deleted on close.</summary>
    private static OutputFolderLock LockFileElsewhere(string folder, string file)
    {
        try
        {
            var stream = new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return new OutputFolderLock(stream, onFolder: false, null);
        }
        catch (IOException e) when (File.Exists(file))
        {
            throw new OutputFolderInUseException(folder, e);
        }
    }

    /// <summary>Releases the lock; a lock file is deleted first, while it is still held.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_deleteOnRelease is not null)
        {
            try { File.Delete(_deleteOnRelease); }
            catch (IOException) { }                   // the lock still goes with the handle; the next run deletes the file
            catch (UnauthorizedAccessException) { }
        }
        _handle.Dispose();
    }

    /// <summary>The Linux calls: <c>flock</c> on a folder or a file, and whether a path still names an open file.</summary>
    private static class Posix
    {
        private const int ReadOnly = 0, ReadWrite = 2, Create = 0x40, CloseOnExec = 0x80000;
        private const int LockExclusive = 2, LockNonBlocking = 4, WouldBlock = 11;

        /// <summary>The folder, locked; null when its file system cannot lock a directory (a lock file then).</summary>
        /// <exception cref="OutputFolderInUseException">Another run holds it.</exception>
        public static SafeFileHandle? LockFolder(string folder)
        {
            // Close-on-exec: a child process must not inherit the descriptor, and with it the lock.
            int fd = open(folder, ReadOnly | CloseOnExec, 0);
            if (fd < 0) return null;
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (flock(fd, LockExclusive | LockNonBlocking) == 0) return handle;
            int error = Marshal.GetLastPInvokeError();
            handle.Dispose();
            if (error == WouldBlock) throw new OutputFolderInUseException(folder, null);
            return null;
        }

        public static SafeFileHandle OpenLockFile(string file)
        {
            // Not FileStream: .NET's own advisory lock at open would be a second lock on the same file.
            int fd = open(file, ReadWrite | Create | CloseOnExec, Convert.ToInt32("644", 8));
            if (fd < 0) throw new IOException($"Cannot open the lock file {file} (errno {Marshal.GetLastPInvokeError()}).");
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        public static bool TryLock(SafeFileHandle handle)
        {
            if (flock((int)handle.DangerousGetHandle(), LockExclusive | LockNonBlocking) == 0) return true;
            int error = Marshal.GetLastPInvokeError();
            return error == WouldBlock ? false : throw new IOException($"Cannot lock the output folder's lock file (errno {error}).");
        }

        /// <summary>
        /// True when the lock file <paramref name="handle"/> has open is still in its folder: the descriptor's /proc link
        /// reads the file's path (with the folder's links resolved), and "path (deleted)" once it is deleted or replaced.
        /// </summary>
        public static bool StillNamed(SafeFileHandle handle) =>
            new FileInfo($"/proc/self/fd/{(int)handle.DangerousGetHandle()}").LinkTarget is { } target
            && target.EndsWith(Path.DirectorySeparatorChar + FileName, StringComparison.Ordinal);

#pragma warning disable SYSLIB1054 // DllImport keeps this file free of unsafe code
        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

        [DllImport("libc", SetLastError = true)]
        private static extern int flock(int fd, int operation);
#pragma warning restore SYSLIB1054
    }
}

/// <summary>Another training run is writing into the same output folder.</summary>
public sealed class OutputFolderInUseException(string outputDir, Exception? inner) : IOException(
    $"Another training run is writing to {outputDir}. Wait for it to finish, or give this run another OutputDir.", inner)
{
    /// <summary>The output folder.</summary>
    public string OutputDir { get; } = outputDir;
}
