using System.Text;
using Dsl.Text.Tokenization;

namespace Dsl.Text.Tests;

/// <summary>A temporary folder deleted at the end of a test.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dsl-text-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        string path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Paths to the committed fixtures and to the team's shared data, when present.</summary>
public static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>
    /// <c>shared/data/{relative}</c> found by walking up from the test's folder (the repository sits
    /// beside <c>shared/</c>), or null when absent.
    /// </summary>
    public static string? SharedData(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", relative);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that is skipped when <c>shared/data/{relative}</c> is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string relative)
    {
        if (TestPaths.SharedData(relative) is null) Skip = $"shared/data/{relative} is not present.";
    }
}

/// <summary>A measurement, not a check: runs only with DSL_MEASURE=1 (it prints numbers and takes a while).</summary>
public sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DSL_MEASURE") != "1") Skip = "A measurement: set DSL_MEASURE=1 to run it.";
    }
}

/// <summary>A tiny uncased WordPiece vocabulary the tokenizer tests write themselves.</summary>
public static class TinyVocabulary
{
    public static readonly string[] Tokens =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "hello", ",", "my", "dog", "is", "cute", "!", ".", "play", "##ing", "##ed", "cafe", "the", "un", "##want",
        "a", "b", "c", "d", "e", "f", "good", "bad", "movie", "'", "s", "?", "$", "naive", "resume",
    ];

    public static string Write(TempFolder folder, string[]? tokens = null) =>
        folder.Write("vocab.txt", string.Join("\n", tokens ?? Tokens) + "\n");

    public static BertTokenizer Tokenizer(TempFolder folder, BertTokenizerOptions? options = null) =>
        BertTokenizer.FromVocabulary(Write(folder), options);

    public static int Id(string token) => Array.IndexOf(Tokens, token);
}
