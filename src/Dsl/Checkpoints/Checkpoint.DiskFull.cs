using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using Dsl.Interop;

namespace Dsl.Checkpoints;

public static partial class Checkpoint
{
    // Above the model, the optimizer state and the RNG states: config.json, training_args.json, trainer_state.json
    // with its log history, the schedule, the checksums. A file system counts whole blocks, so this is a floor.
    private const long SmallFilesBytes = 64 * 1024;

    /// <summary>
    /// The error for a full disk while a checkpoint was written into <paramref name="temp"/>: the half-written folder
    /// is removed first (it is no checkpoint, and it holds space the next try needs), then the message names the file,
    /// the space the whole checkpoint needs, that the previous checkpoint is complete, and how to go on.
    /// </summary>
    private static IOException DiskFullWhileSaving(Exception error, string file, string temp, string outputDir, nn.Module model, Optimizer? optimizer)
    {
        try { Directory.Delete(temp, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // best effort: the next run's lock removes it too
        string? previous = Last(outputDir);
        long needed = previous is not null ? FolderBytes(previous) : Estimate(model, optimizer);
        string advice = (previous is null ? "No earlier checkpoint exists" : $"{previous} is complete and kept") +
                        $"; the half-written {Path.GetFileName(temp)} was removed. Free some space (or choose another OutputDir) " +
                        "and resume with resumeFromCheckpoint: \"last\".";
        return StorageErrors.DiskFull(file, needed, advice, error);
    }

    private static long FolderBytes(string folder) => Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length);

    private static long Estimate(nn.Module model, Optimizer? optimizer)
    {
        long bytes = SmallFilesBytes;
        foreach (var (_, tensor) in model.state_dict()) bytes += tensor.NumberOfElements * tensor.ElementSize;
        if (optimizer is OptimizerHelper helper) bytes += TorchSharpInternals.SavedStateLength(helper);
        return bytes;
    }
}
