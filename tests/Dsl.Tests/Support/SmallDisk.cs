using System.Diagnostics;

namespace Dsl.Tests.Support;

/// <summary>
/// A small tmpfs file system mounted for one test (root only: CI and these machines run tests as root), to fill up
/// or remount read-only. Permissions do not stop root, so a read-only mount is the only honest read-only folder.
/// Unmounted on dispose, whatever the test did.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private readonly string _filler;

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> (rounded up to pages) at a new folder under the temp folder.</summary>
    public SmallDisk(long bytes)
    {
        Directory.CreateDirectory(Path);
        _filler = System.IO.Path.Combine(Path, ".filler");
        if (Run("mount", "-t", "tmpfs", "-o", $"size={bytes},mode=0755", "tmpfs", Path) is { } error)
        {
            Directory.Delete(Path);
            throw new InvalidOperationException($"mount -t tmpfs failed: {error}");
        }
    }

    /// <summary>Why no tmpfs can be mounted here (not root, no mount command, a sandbox), or null when it can.</summary>
    public static string? Unavailable { get; } = Probe();

    /// <summary>The mount point.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dsl-disk-" + Guid.NewGuid().ToString("N"));

    /// <summary>A path inside the mount.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Fills every free byte with one file, so the next write that needs a block fails with ENOSPC.</summary>
    public void Fill()
    {
        using var stream = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        foreach (int size in (ReadOnlySpan<int>)[64 * 1024, 4096, 1])
        {
            try
            {
                while (true) stream.Write(chunk, 0, size);
            }
            catch (IOException e) when (e.HResult == 28) { }   // ENOSPC: full at this grain, try a finer one
        }
    }

    /// <summary>Deletes what <see cref="Fill"/> wrote.</summary>
    public void Free() => File.Delete(_filler);

    /// <summary>Remounts the file system read-only (as a failing disk or a mistaken mount leaves it).</summary>
    public void MakeReadOnly()
    {
        if (Run("mount", "-o", "remount,ro", Path) is { } error) throw new InvalidOperationException($"remount,ro failed: {error}");
    }

    /// <summary>Unmounts (lazily if a file is still open) and removes the mount point.</summary>
    public void Dispose()
    {
        if (Run("umount", Path) is not null) Run("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "tmpfs mounts need Linux.";
        try
        {
            using var disk = new SmallDisk(4096);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return "Cannot mount a tmpfs here (the full-disk and read-only tests need root and mount): " + e.Message;
        }
    }

    // Null on success, else what the command said.
    private static string? Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"{command} exited with {process.ExitCode}: {error.Trim()}";
    }
}

/// <summary>A fact that needs a tmpfs it can fill or remount read-only: skipped, with the reason, where mounting is not permitted.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.Unavailable is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs a tmpfs: skipped, with the reason, where mounting is not permitted.</summary>
public sealed class SmallDiskTheoryAttribute : TheoryAttribute
{
    public SmallDiskTheoryAttribute()
    {
        if (SmallDisk.Unavailable is { } reason) Skip = reason;
    }
}
