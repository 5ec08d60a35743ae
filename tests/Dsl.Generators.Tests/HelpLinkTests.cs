using System.Text.RegularExpressions;
using System.Xml.Linq;
using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests;

/// <summary>Every help link opens docs/diagnostics.md at the ID's own heading.</summary>
public sealed partial class HelpLinkTests
{
    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N}\- _]")]
    private static partial Regex NotInAnchor();

    private static string Document => Path.Combine(DiagnosticTests.RepositoryRoot(), "docs", "diagnostics.md");

    /// <summary>The anchors GitHub gives the document's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>();
        var seen = new Dictionary<string, int>();
        foreach (Match m in Heading().Matches(markdown.Replace("\r\n", "\n")))
        {
            string text = m.Groups[1].Value.Replace("`", "");
            string anchor = NotInAnchor().Replace(text.ToLowerInvariant(), "").Replace(' ', '-');
            int n = seen.TryGetValue(anchor, out int c) ? c : 0;
            seen[anchor] = n + 1;
            anchors.Add(n == 0 ? anchor : $"{anchor}-{n}");
        }
        return anchors;
    }

    /// <summary>Fails unless <paramref name="link"/> names an existing file and one of its headings.</summary>
    private static void AssertResolves(string link, string id)
    {
        Assert.True(Uri.TryCreate(link, UriKind.Absolute, out var uri), $"{id}: '{link}' is not an absolute address");
        Assert.True(uri.IsFile, $"{id}: '{link}'");
        Assert.True(File.Exists(uri.LocalPath), $"{id}: '{uri.LocalPath}' does not exist");
        string fragment = Uri.UnescapeDataString(uri.Fragment.TrimStart('#'));
        Assert.Contains(fragment, Anchors(File.ReadAllText(uri.LocalPath)));
    }

    /// <summary>What eng/Dsl.props sets: the file's absolute URI.</summary>
    private static string Configured => new Uri(Document).AbsoluteUri;

    [Fact]
    public void Every_descriptor_links_to_its_own_heading_in_the_configured_document()
    {
        foreach (var descriptor in DiagnosticTests.AllDescriptors())
        {
            string link = Dsl.Generators.Diagnostics.HelpLinks.For(descriptor, Configured).HelpLinkUri;
            Assert.Equal(Configured + "#" + descriptor.Id.ToLowerInvariant(), link);
            AssertResolves(link, descriptor.Id);
        }
    }

    [Fact]
    public void Unconfigured_links_are_relative_to_the_docs_folder_and_resolve_there()
    {
        string docs = new Uri(Path.Combine(DiagnosticTests.RepositoryRoot(), "docs") + Path.DirectorySeparatorChar).AbsoluteUri;
        foreach (var descriptor in DiagnosticTests.AllDescriptors())
        {
            Assert.False(Uri.IsWellFormedUriString(descriptor.HelpLinkUri, UriKind.Absolute), descriptor.HelpLinkUri);
            AssertResolves(docs + descriptor.HelpLinkUri, descriptor.Id);
        }
    }

    [Fact]
    public void Reported_diagnostics_from_the_generator_and_the_analyzers_carry_the_builds_link()
    {
        string sample = File.ReadAllText(Path.Combine(DiagnosticTests.RepositoryRoot(), "tests", "Dsl.Generators.Tests", "Samples", "AllDiagnostics.cs"));
        var (generator, analyzers, _) = AnalyzerHarness.Run(GeneratorHarness.Compile(sample), BuildProperties.With(("build_property.DslDiagnosticsHelp", Configured)));
        Assert.NotEmpty(generator);
        Assert.NotEmpty(analyzers);
        foreach (var d in generator.AddRange(analyzers))
        {
            Assert.Equal(Configured + "#" + d.Id.ToLowerInvariant(), d.Descriptor.HelpLinkUri);
            AssertResolves(d.Descriptor.HelpLinkUri, d.Id);
        }
    }

    [Fact]
    public void The_package_ships_the_document_where_its_build_file_points()
    {
        string root = DiagnosticTests.RepositoryRoot();
        var packed = XDocument.Load(Path.Combine(root, "src", "Dsl", "Dsl.csproj")).Descendants("None")
            .Where(e => (string?)e.Attribute("Pack") == "true")
            .ToLookup(e => (string)e.Attribute("PackagePath")!, e => ((string)e.Attribute("Include")!).Replace("$(RepositoryRoot)", ""));
        Assert.Equal(["docs/diagnostics.md"], packed["docs/diagnostics.md"]);
        Assert.Equal(["eng/Dsl.props"], packed["buildTransitive/Dsl.props"]);

        // The build file names docs/diagnostics.md one folder up from itself: in the package,
        // buildTransitive/../docs/diagnostics.md; in the repository, eng/../docs/diagnostics.md.
        string props = File.ReadAllText(Path.Combine(root, "eng", "Dsl.props"));
        Assert.Contains("NormalizePath('$(MSBuildThisFileDirectory)', '..', 'docs', 'diagnostics.md')", props);
        Assert.Contains("<CompilerVisibleProperty Include=\"DslDiagnosticsHelp\" />", props);
        Assert.Contains("Dsl.props", File.ReadAllText(Path.Combine(root, "eng", "UseDsl.props")));
    }
}
