using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dsl.Checkpoints;

public static partial class Checkpoint
{
    /// <summary>
    /// SHA-256 of every file of a checkpoint but <c>trainer_state.json</c> (rewritten in place after an
    /// evaluation; JSON that is checked when read), in <c>sha256sum</c>'s format, so
    /// <c>sha256sum -c checksums.sha256</c> verifies a checkpoint too. Hugging Face ignores the file.
    /// </summary>
    public const string ChecksumsFile = "checksums.sha256";

    // Written last into the temporary folder, before it is flushed and renamed.
    private static void WriteChecksums(string folder)
    {
        var lines = new StringBuilder();
        foreach (string path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            string file = Path.GetFileName(path);
            if (file is StateFile or ChecksumsFile) continue;
            lines.Append(Sha256(path)).Append("  ").Append(file).Append('\n');
        }
        File.WriteAllText(Path.Combine(folder, ChecksumsFile), lines.ToString());
    }

    /// <summary>
    /// Checks the files of <paramref name="checkpointDir"/> against its <c>checksums.sha256</c>; a
    /// checkpoint without one (written by Hugging Face or an older version) is not checked.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing or its bytes changed since it was written; the message names it.</exception>
    public static void VerifyChecksums(string checkpointDir)
    {
        string list = Path.Combine(checkpointDir, ChecksumsFile);
        if (!File.Exists(list)) return;
        int number = 0;
        foreach (string line in File.ReadLines(list))
        {
            number++;
            int split = line.IndexOf("  ", StringComparison.Ordinal);
            if (split != 64 || line.Length <= 66)
                throw new InvalidDataException($"{list}:{number}: expected '<sha256>  <file>'; the checkpoint is damaged, resume from another one.");
            string name = line[66..], path = Path.Combine(checkpointDir, name);
            if (Path.GetFileName(name) != name)
                throw new InvalidDataException($"{list}:{number}: '{name}' is not a file of the checkpoint.");
            if (!File.Exists(path))
                throw new InvalidDataException($"{path} is missing, but {ChecksumsFile} lists it; the checkpoint is damaged, resume from another one.");
            if (!string.Equals(Sha256(path), line[..64], StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"{path}: its SHA-256 differs from the one written with the checkpoint ({ChecksumsFile}); the file is damaged, resume from another checkpoint.");
        }
    }

    private static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLower(CultureInfo.InvariantCulture);
    }
}
