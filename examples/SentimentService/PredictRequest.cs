using System.Text.Json;

namespace SentimentService;

/// <summary>
/// The body of <c>POST /predict</c>: <c>{"texts": ["...", ...]}</c>. Read by hand rather than bound, so
/// every mistake gets a message that says what is wrong and where (which element, which limit).
/// </summary>
public static class PredictRequest
{
    /// <summary>The longest text accepted, in characters (the graph truncates tokens anyway; this bounds the work).</summary>
    public const int MaxCharacters = 100_000;

    /// <summary>The texts, or the reason the body is refused.</summary>
    public static async Task<(IReadOnlyList<string>? Texts, string? Error)> ReadAsync(HttpRequest request, int maxBatch, CancellationToken cancel)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancel);
        }
        catch (JsonException e)
        {
            return (null, $"The body is not valid JSON ({e.Message}). Send {{\"texts\": [\"...\"]}} with Content-Type: application/json.");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("texts", out var array))
                return (null, "The body must be a JSON object with a \"texts\" array, e.g. {\"texts\": [\"A gripping film.\"]}.");
            if (array.ValueKind != JsonValueKind.Array)
                return (null, $"\"texts\" must be an array of strings, not {array.ValueKind.ToString().ToLowerInvariant()}.");
            int count = array.GetArrayLength();
            if (count == 0) return (null, "\"texts\" is empty; send at least one text.");
            if (count > maxBatch) return (null, $"\"texts\" has {count} texts; at most {maxBatch} per request (the service's --max-batch).");
            var texts = new string[count];
            int i = 0;
            foreach (var element in array.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.String)
                    return (null, $"texts[{i}] is {element.ValueKind.ToString().ToLowerInvariant()}; every text must be a string.");
                string text = element.GetString()!;
                if (text.Length > MaxCharacters)
                    return (null, $"texts[{i}] has {text.Length:N0} characters; at most {MaxCharacters:N0}.");
                if (text.Contains('\0')) return (null, $"texts[{i}] contains a NUL character, which the tokenizer cannot read past.");
                texts[i++] = text;
            }
            return (texts, null);
        }
    }
}
