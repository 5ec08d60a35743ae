namespace Dsl.Checkpoints;

/// <summary>
/// An exclusive lock on a training output folder, held while a run may write checkpoints there, so a
/// second run into the same folder is refused at its start instead of failing later with another
/// <see cref="IOException"/> each time. The operating system frees it when the process ends, even when
/// it is killed; the file itself stays and means nothing without the lock.
/// </summary>
public sealed class OutputFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the output folder.</summary>
    public const string FileName = ".dsl-train.lock";

    private readonly FileStream _stream;

    private OutputFolderLock(FileStream stream) => _stream = stream;

    /// <summary>Creates <paramref name="outputDir"/> if needed and takes its lock.</summary>
    /// <exception cref="OutputFolderInUseException">Another run holds the lock.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be written; the message names it.</exception>
    /// <exception cref="IOException">The output folder is a file, or cannot be created.</exception>
    public static OutputFolderLock Acquire(string outputDir)
    {
        string full = Path.GetFullPath(outputDir);
        if (File.Exists(full))
            throw new IOException($"TrainingArguments.OutputDir {full} is a file; checkpoints need a folder there. Choose another OutputDir.");
        string path = Path.Combine(full, FileName);
        try
        {
            Directory.CreateDirectory(full);
            // On Unix .NET backs FileShare.None with an advisory flock, which another process (or
            // another handle in this one) cannot take.
            return new OutputFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException(
                $"Cannot write to the output folder {full} ({e.Message}); make it writable or choose another OutputDir.", e);
        }
        catch (IOException e) when (Directory.Exists(full) && File.Exists(path))
        {
            throw new OutputFolderInUseException(full, e);
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _stream.Dispose();
}

/// <summary>Another training run is writing into the same output folder.</summary>
public sealed class OutputFolderInUseException(string outputDir, Exception inner) : IOException(
    $"Another training run is writing to {outputDir} (it holds {Path.Combine(outputDir, OutputFolderLock.FileName)}). " +
    "Wait for it to finish, or give this run another OutputDir.", inner)
{
    /// <summary>The output folder.</summary>
    public string OutputDir { get; } = outputDir;
}
