using System.Reflection;
using System.Reflection.Metadata;
using System.Text.Json.Nodes;

namespace Examples.Tests;

/// <summary>
/// What the packages promise that a unit test can see (issue 15); .ci/packages packs them and builds
/// projects against them. The .pdb embeds every source file, so stepping from the generated loop into
/// TrainingRun shows the real code with no network; the template references the version being built.
/// </summary>
public sealed class PackagingTests
{
    // Portable PDB's EmbeddedSource custom debug information (the Portable PDB specification).
    private static readonly Guid EmbeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Dsl.sln not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [InlineData("Dsl", "TrainingRun.cs")]
    [InlineData("Dsl.Text", "BertModel.cs")]
    public void The_pdb_embeds_every_source_file(string assembly, string file)
    {
        string pdb = Path.Combine(AppContext.BaseDirectory, assembly + ".pdb");
        using var provider = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdb));
        var reader = provider.GetMetadataReader();
        var embedded = new HashSet<DocumentHandle>();
        foreach (var handle in reader.CustomDebugInformation)
        {
            var info = reader.GetCustomDebugInformation(handle);
            if (info.Kind.IsNil || reader.GetGuid(info.Kind) != EmbeddedSource) continue;
            if (info.Parent.Kind == HandleKind.Document) embedded.Add((DocumentHandle)info.Parent);
        }
        var documents = reader.Documents.Select(d => (Handle: d, Name: reader.GetString(reader.GetDocument(d).Name)))
            .Where(d => d.Name.EndsWith(".cs", StringComparison.Ordinal)).ToList();
        Assert.Contains(documents, d => Path.GetFileName(d.Name) == file);
        Assert.All(documents, d => Assert.True(embedded.Contains(d.Handle), $"{d.Name} is not embedded in {pdb}"));
    }

    [Fact]
    public void The_template_references_the_version_being_built()
    {
        var template = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "templates", "Dsl.Templates", "content", "dsl-trainer", ".template.config", "template.json")))!;
        string? version = (string?)template["symbols"]!["DslVersion"]!["defaultValue"];
        string built = typeof(Dsl.TrainingArguments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Equal(built, version);
        Assert.Equal("dsl-trainer", (string?)template["shortName"]);
    }
}
