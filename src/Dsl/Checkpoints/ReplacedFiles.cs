using System.Globalization;

namespace Dsl.Checkpoints;

/// <summary>
/// Writes a few files into a folder as one change: each to a temporary file beside it, then all renamed over the old
/// ones, so a full disk or a read-only folder leaves what was there before whole (a final model's <c>config.json</c>
/// and <c>model.safetensors</c> never come from two different saves), and the error names the file and the space.
/// </summary>
internal static class ReplacedFiles
{
    /// <summary>Writes <paramref name="files"/> (a name and how to write it to a path) into <paramref name="folder"/>.</summary>
    /// <param name="folder">The folder, created if missing.</param>
    /// <param name="what">What is saved, for the messages (<c>the model</c>).</param>
    /// <param name="expectedBytes">About how many bytes the files take, for the message when the disk is full; null when unknown.</param>
    /// <param name="files">The files, written in this order.</param>
    /// <exception cref="IOException">The disk is full (the old files are unchanged) or the folder is read-only; the message names the file or folder.</exception>
    public static void Write(string folder, string what, long? expectedBytes, params (string Name, Action<string> Write)[] files)
    {
        ArgumentNullException.ThrowIfNull(files);
        string suffix = "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";   // every rank may save at once
        var temps = new List<string>(files.Length);
        string writing = folder;
        try
        {
            Directory.CreateDirectory(folder);
            foreach (var (name, write) in files)
            {
                writing = Path.Combine(folder, name + suffix);
                temps.Add(writing);
                write(writing);
            }
        }
        catch (Exception e) when (StorageErrors.IsDiskFull(e) || StorageErrors.IsReadOnly(e))
        {
            foreach (string temp in temps) File.Delete(temp);
            if (StorageErrors.IsReadOnly(e))
                throw new IOException($"Cannot save {what} to {Path.GetFullPath(folder)}: it is on a read-only file system. " +
                                      "Remount it writable or save to another folder.", e) { HResult = e.HResult };
            throw StorageErrors.DiskFull(writing, expectedBytes,
                $"{what} was not saved; the files already in {Path.GetFullPath(folder)} are unchanged. Free some space and save again.", e);
        }
        for (int i = 0; i < files.Length; i++) File.Move(temps[i], Path.Combine(folder, files[i].Name), overwrite: true);
    }
}
