using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dsl.Onnx;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using ImdbSentiment;
using TorchSharp;

namespace Examples.Tests;

/// <summary>
/// examples/SentimentService running as a user runs it (<c>dotnet SentimentService.dll --model ...</c>)
/// on a free port of 127.0.0.1, serving a small BERT exported with its tokenizer; the model and the
/// tokenizer stay here to compare the answers with.
/// </summary>
public sealed class SentimentServiceFixture : IDisposable
{
    private readonly Process _service;

    public SentimentServiceFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), "dsl-service-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Tokenizer = BertTokenizer.FromVocabulary(BuiltInCorpus.WriteVocabulary(Path.Combine(Folder, "vocab.txt")), new BertTokenizerOptions { MaxLength = 64 });
        torch.manual_seed(3);
        var config = BertConfig.Tiny with
        {
            VocabSize = Tokenizer.VocabularySize, MaxPositionEmbeddings = 64, Id2Label = new Dictionary<int, string> { [0] = "negative", [1] = "positive" },
        };
        Model = new BertForSequenceClassification(config);
        Model.eval();
        GraphPath = OnnxExport.Save(Model, Tokenizer, Path.Combine(Folder, "model.text.onnx")).Path;
        IdsGraphPath = OnnxExport.Save(Model, Path.Combine(Folder, "model.onnx")).Path;
        Port = FreePort();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
        _service = Start("--model", GraphPath, "--urls", $"http://127.0.0.1:{Port}");
        WaitUntilHealthy();
    }

    public string Folder { get; }
    public BertTokenizer Tokenizer { get; }
    public BertForSequenceClassification Model { get; }
    public string GraphPath { get; }
    public string IdsGraphPath { get; }
    public int Port { get; }
    public HttpClient Client { get; }

    /// <summary>The service's build output, beside this test's (same configuration).</summary>
    public static string ServiceDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) dir = dir.Parent;
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            return Path.Combine(dir!.FullName, "examples", "SentimentService", "bin", configuration, "net10.0", "SentimentService.dll");
        }
    }

    /// <summary>The service's project folder.</summary>
    public static string ServiceProject => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ServiceDll)!, "..", "..", ".."));

    /// <summary>Starts the service with <paramref name="args"/>.</summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ServiceDll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void WaitUntilHealthy()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_service.HasExited)
                throw new InvalidOperationException($"The service exited with {_service.ExitCode}: {_service.StandardError.ReadToEnd()}{_service.StandardOutput.ReadToEnd()}");
            try
            {
                if (Client.GetAsync("/health").Result.StatusCode == HttpStatusCode.OK) return;
            }
            catch (AggregateException e) when (e.InnerException is HttpRequestException) { }
            Thread.Sleep(200);
        }
        throw new TimeoutException("The service did not answer /health within 60 s.");
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_service.HasExited) _service.Kill(entireProcessTree: true);
        _service.WaitForExit(10_000);
        _service.Dispose();
        Model.Dispose();
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}
