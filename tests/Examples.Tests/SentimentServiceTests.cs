using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsl.Text.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Examples.Tests;

/// <summary>examples/SentimentService through a real HttpClient against the running server.</summary>
public sealed class SentimentServiceTests(SentimentServiceFixture service) : IClassFixture<SentimentServiceFixture>
{
    private static readonly string[] Reviews =
    [
        "a superb film with a clever script", "the plot was dull and boring", "not bad at all",
        "honestly the cast was charming but the ending was flat", "a", "",
    ];

    private async Task<(HttpStatusCode Status, JsonNode? Body, string? ContentType)> Post(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await service.Client.PostAsync("/predict", content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response.Content.Headers.ContentType?.MediaType);
    }

    private static string Body(IEnumerable<string> texts) => JsonSerializer.Serialize(new { texts });

    [Fact]
    public async Task Predict_answers_each_texts_label_and_probabilities_as_our_model_computes_them()
    {
        var (status, body, type) = await Post(Body(Reviews));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", type);
        var predictions = body!["predictions"]!.AsArray();
        Assert.Equal(Reviews.Length, predictions.Count);

        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < Reviews.Length; i++)
        {
            var encoded = service.Tokenizer.Encode(Reviews[i]);
            var ids = torch.tensor(encoded.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
            Tensor probabilities;
            using (torch.no_grad()) probabilities = service.Model.forward(ids, torch.ones_like(ids), torch.zeros_like(ids)).Logits.softmax(-1)[0];
            var answer = predictions[i]!;
            double negative = (double)answer["probabilities"]!["negative"]!, positive = (double)answer["probabilities"]!["positive"]!;
            Assert.Equal(1.0, negative + positive, 6);
            Assert.Equal(probabilities[0].item<float>(), negative, 1e-4);
            Assert.Equal(probabilities[1].item<float>(), positive, 1e-4);
            Assert.Equal(positive > negative ? "positive" : "negative", (string?)answer["label"]);
            Assert.Null(answer["value"]);
        }
    }

    [Fact]
    public async Task Thirty_two_concurrent_clients_each_get_the_answer_a_lone_client_gets()
    {
        var (_, alone, _) = await Post(Body([Reviews[0]]));
        double expected = (double)alone!["predictions"]![0]!["probabilities"]!["positive"]!;
        var answers = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Post(Body(i % 2 == 0 ? [Reviews[0]] : [Reviews[1], Reviews[0]]))));
        foreach (var (status, body, _) in answers)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            var mine = body!["predictions"]!.AsArray()[^1]!;
            Assert.Equal(expected, (double)mine["probabilities"]!["positive"]!, 6);
        }
    }

    [Theory]
    [InlineData("{\"texts\": [\"good\"", "not valid JSON")]
    [InlineData("[\"good\"]", "a JSON object with a \\\"texts\\\" array")]
    [InlineData("{\"text\": \"good\"}", "a JSON object with a \\\"texts\\\" array")]
    [InlineData("{\"texts\": \"good\"}", "\\\"texts\\\" must be an array of strings, not string")]
    [InlineData("{\"texts\": []}", "\\\"texts\\\" is empty")]
    [InlineData("{\"texts\": [\"good\", 3]}", "texts[1] is number")]
    [InlineData("{\"texts\": [\"good\", null]}", "texts[1] is null")]
    [InlineData("{\"texts\": [\"a\\u0000b\"]}", "texts[0] contains a NUL")]
    public async Task Bad_input_gets_a_400_that_says_what_is_wrong(string body, string message)
    {
        var (status, answer, type) = await Post(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains(message.Replace("\\\"", "\""), (string?)answer!["detail"]);
    }

    [Fact]
    public async Task Too_many_or_too_long_texts_are_refused_naming_the_limit()
    {
        var (status, answer, _) = await Post(Body(Enumerable.Repeat("good", 65)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("65 texts; at most 64", (string?)answer!["detail"]);
        (status, answer, _) = await Post(Body([new string('a', 100_001)]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("texts[0] has 100,001 characters", (string?)answer!["detail"]);
    }

    [Fact]
    public async Task Health_names_the_model_and_its_labels_and_predict_wants_POST()
    {
        var health = JsonNode.Parse(await service.Client.GetStringAsync("/health"))!;
        Assert.Equal("ok", (string?)health["status"]);
        Assert.Equal(["negative", "positive"], health["labels"]!.AsArray().Select(l => (string?)l));
        Assert.Equal(64, (int)health["maxLength"]!);
        using var get = await service.Client.GetAsync("/predict");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_missing_model_or_a_graph_without_the_tokenizer_stops_the_service_with_what_to_do(bool idsGraph)
    {
        string path = idsGraph ? service.IdsGraphPath : Path.Combine(service.Folder, "missing.onnx");
        using var process = SentimentServiceFixture.Start("--model", path, "--urls", "http://127.0.0.1:0");
        string error = await process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains(idsGraph ? "takes token ids; this service needs the graph that tokenises" : "No model at", error);
    }

    [Fact]
    public void The_service_depends_on_ONNX_Runtime_and_on_nothing_of_TorchSharp_or_this_repository()
    {
        // Its restore graph: every package and project it pulls in, transitively.
        var assets = JsonNode.Parse(File.ReadAllText(Path.Combine(SentimentServiceFixture.ServiceProject, "obj", "project.assets.json")))!;
        var libraries = assets["libraries"]!.AsObject().Select(l => l.Key.Split('/')[0]).ToArray();
        Assert.Contains("Microsoft.ML.OnnxRuntime", libraries);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Extensions", libraries);
        Assert.DoesNotContain(libraries, l => l.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase)
            || l.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Dsl", StringComparison.Ordinal));
        // And what it runs with: its deps.json and its output folder.
        string output = Path.GetDirectoryName(SentimentServiceFixture.ServiceDll)!;
        string deps = File.ReadAllText(Path.Combine(output, "SentimentService.deps.json"));
        Assert.Contains("Microsoft.ML.OnnxRuntime", deps);
        Assert.DoesNotContain("TorchSharp", deps);
        Assert.Empty(Directory.GetFiles(output, "*torch*", SearchOption.AllDirectories));
    }
}
