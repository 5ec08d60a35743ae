using System.Collections.Immutable;
using Dsl.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generators.Tests.Support;

/// <summary>Runs the generator over source text, against the real runtime and TorchSharp assemblies.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    internal static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        _ = typeof(Dsl.TrainerAttribute);   // make sure the runtime is loaded and listed
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return tpa.Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    public static readonly CSharpCompilationOptions CompilationOptions =
        new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    public static CSharpCompilation Compile(params string[] sources) => Compile(References.Value, sources);

    public static CSharpCompilation Compile(IEnumerable<MetadataReference> references, params string[] sources) =>
        CSharpCompilation.Create("Tests",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            references,
            CompilationOptions);

    public static GeneratorDriver Driver(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider? buildOptions = null) =>
        CSharpGeneratorDriver.Create(
            [new TrainerGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            optionsProvider: buildOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns what it wrote, what it reported and the compilation with its output.</summary>
    public static (GeneratorRunResult Result, Compilation Output, GeneratorDriver Driver) Run(params string[] sources)
    {
        var compilation = Compile(sources);
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return (driver.GetRunResult().Results.Single(), output, driver);
    }

    /// <summary>The single generated loop's (or declined trainer's) text, besides the assembly's startup file.</summary>
    public static string GeneratedText(GeneratorRunResult result) =>
        Trainers(result).Single().SourceText.ToString();

    /// <summary>What the generator wrote per trainer: everything but the once-per-assembly startup file.</summary>
    public static IEnumerable<GeneratedSourceResult> Trainers(GeneratorRunResult result) =>
        result.GeneratedSources.Where(source => source.HintName != StartupHintName);

    /// <summary>The module initializer written once per assembly with a generated loop.</summary>
    public const string StartupHintName = "Dsl.LibTorchStartup.g.cs";

    /// <summary>Errors and warnings of the compilation including the generated code.</summary>
    public static IEnumerable<Diagnostic> Problems(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning);
}
