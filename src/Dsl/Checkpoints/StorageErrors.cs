using System.Globalization;

namespace Dsl.Checkpoints;

/// <summary>
/// A full disk and a read-only folder, told apart from other I/O errors and turned into one message that names the
/// file or folder, the space needed where it is known and the space free, and what to do. .NET reports both as a plain
/// <see cref="IOException"/> whose <see cref="Exception.HResult"/> is the errno on Unix (the Win32 error on Windows).
/// </summary>
internal static class StorageErrors
{
    private const int Enospc = 28, Erofs = 30, Edquot = 122;                            // Linux errno
    private const int ErrorHandleDiskFull = 39, ErrorDiskFull = 112, ErrorWriteProtect = 19;   // Win32, in the low word

    /// <summary>Whether <paramref name="error"/> says the file system is full (or the user's quota is).</summary>
    public static bool IsDiskFull(Exception error) => error is IOException && (OperatingSystem.IsWindows()
        ? (error.HResult & 0xFFFF) is ErrorDiskFull or ErrorHandleDiskFull
        : error.HResult is Enospc or Edquot);

    /// <summary>Whether <paramref name="error"/> says the file system is mounted read-only.</summary>
    public static bool IsReadOnly(Exception error) => error is IOException && (OperatingSystem.IsWindows()
        ? (error.HResult & 0xFFFF) == ErrorWriteProtect
        : error.HResult == Erofs);

    /// <summary>Bytes free to this user on the file system holding <paramref name="path"/> (or its nearest existing folder); null when unknown.</summary>
    public static long? FreeBytes(string path)
    {
        try
        {
            string? existing = Path.GetFullPath(path);
            while (existing is not null && !Directory.Exists(existing)) existing = Path.GetDirectoryName(existing);
            return existing is null ? null : new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The error for a full disk while writing <paramref name="file"/>: "No space left on device", the file, the bytes
    /// <paramref name="needed"/> (when known) and free, then <paramref name="advice"/>.
    /// </summary>
    public static IOException DiskFull(string file, long? needed, string advice, Exception inner)
    {
        long? free = FreeBytes(file);
        string space = (needed, free) switch
        {
            ({ } n, { } f) => $" (it needs about {Size(n)}; {Size(f)} free there)",
            ({ } n, null) => $" (it needs about {Size(n)})",
            (null, { } f) => $" ({Size(f)} free there)",
            _ => "",
        };
        return new IOException($"No space left on device writing {file}{space}. {advice}", inner) { HResult = inner.HResult };
    }

    /// <summary>
    /// Checks at the start of a run that <paramref name="folder"/> can be written (created if missing, a probe file
    /// created and deleted), so a read-only folder is refused before training, not at the first save hours later.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="setting">What the folder is, for the message (<c>TrainingArguments.OutputDir</c>).</param>
    /// <param name="create">Create the folder (false: probe its nearest existing ancestor, for a folder made later).</param>
    /// <exception cref="IOException">The folder's file system is read-only.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    public static void RequireWritable(string folder, string setting, bool create = true)
    {
        string full = Path.GetFullPath(folder);
        string probed = full;
        try
        {
            if (create) Directory.CreateDirectory(full);
            else
                while (!Directory.Exists(probed)) probed = Path.GetDirectoryName(probed) ?? throw new DirectoryNotFoundException(full);
            string probe = Path.Combine(probed, $".dsl-write-check-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (IOException e) when (IsReadOnly(e))
        {
            throw new IOException($"{setting} {full} is on a read-only file system{(probed == full ? "" : $" ({probed})")}: " +
                                  "nothing can be written there. Remount it writable or choose another folder.", e) { HResult = e.HResult };
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{setting} {full} cannot be written ({e.Message}); make it writable or choose another folder.", e);
        }
    }

    /// <summary>A byte count for people: 512 bytes, 12.3 KB, 45.6 MB, 1.2 GB.</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1000 => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
        < 1_000_000 => (bytes / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1_000_000_000 => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
    };
}
