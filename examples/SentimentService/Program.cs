using SentimentService;

// A text classifier exported by Dsl.Onnx, served by ONNX Runtime (no TorchSharp here):
//   dotnet run --project examples/SentimentService -- --model model.text.onnx --urls http://127.0.0.1:5005
//   curl -s localhost:5005/predict -H 'Content-Type: application/json' -d '{"texts": ["A gripping film.", "Dull."]}'
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
string path = builder.Configuration["model"] ?? "model.text.onnx";
int maxBatch = builder.Configuration.GetValue("max-batch", 64);
SentimentModel model;
try
{
    model = SentimentModel.Load(path);
}
catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
builder.Services.AddSingleton(model);
// A classification has no regression value: leave null fields out of the answer.
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull);

var app = builder.Build();
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"Serving {model.Path} (labels {string.Join(", ", model.Labels)}) on {string.Join(", ", app.Urls)}"));

app.MapGet("/health", (SentimentModel m) => Results.Ok(new { status = "ok", model = m.Path, labels = m.Labels, maxLength = m.MaxLength, maxBatch }));

app.MapPost("/predict", async (HttpRequest request, SentimentModel m) =>
{
    var (texts, error) = await PredictRequest.ReadAsync(request, maxBatch, request.HttpContext.RequestAborted);
    if (error is not null) return Results.Problem(title: "Invalid request", detail: error, statusCode: StatusCodes.Status400BadRequest);
    return Results.Ok(new { predictions = m.Predict(texts!) });
});

app.Run();
model.Dispose();
return 0;
