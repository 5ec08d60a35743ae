using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Dsl.Text.Data;

namespace Dsl.Benchmarks;

/// <summary>
/// Latency and throughput of examples/SentimentService: C concurrent clients, each sending one
/// <c>POST /predict</c> after another (a closed loop: a client waits for its answer before it sends
/// again) for a fixed time after a warm-up. Every request carries <c>texts</c> reviews taken in turn
/// from the data. Only a server on this machine (a loopback address) is accepted as a target, and the
/// loop is bounded in time and in count.
/// </summary>
public static class ServiceLoad
{
    private const int MaxRequests = 2_000_000;

    /// <summary>Runs the load for each client count and prints one row per count.</summary>
    public static void Run(string url, int[] clients, double seconds, int textsPerRequest, string? data)
    {
        var target = new Uri(url);
        if (!IPAddress.TryParse(target.Host, out var address) ? target.Host != "localhost" : !IPAddress.IsLoopback(address))
            throw new ArgumentException($"{url}: the load generator only targets a server on this machine (127.0.0.1, localhost or ::1).");
        string[] texts = data is null
            ? ["A gripping film with a superb cast.", "The plot was dull and the ending predictable.", "Not bad at all, I would watch it again."]
            : TextDatasets.Load(data).Select(e => e.Text).ToArray();
        Console.WriteLine($"target {url}, {texts.Length} texts ({texts.Average(t => t.Length):F0} characters on average), {textsPerRequest} per request, " +
                          $"{seconds} s per row after 3 s of warm-up; {Environment.ProcessorCount} cores");
        Console.WriteLine("clients  requests  req/s    texts/s  p50 ms  p90 ms  p99 ms  max ms  errors");
        foreach (int count in clients)
        {
            Measure(target, count, 3, textsPerRequest, texts);   // warm-up: connections, ONNX Runtime's first runs
            var row = Measure(target, count, seconds, textsPerRequest, texts);
            Console.WriteLine($"{count,7}  {row.Requests,8}  {row.Requests / seconds,6:F1}  {row.Requests * textsPerRequest / seconds,8:F1}  " +
                              $"{row.P(0.50),6:F1}  {row.P(0.90),6:F1}  {row.P(0.99),6:F1}  {row.P(1.0),6:F1}  {row.Errors,6}");
        }
    }

    private sealed record Row(int Requests, int Errors, double[] LatenciesMs)
    {
        public double P(double q) => LatenciesMs.Length == 0 ? double.NaN : LatenciesMs[Math.Min(LatenciesMs.Length - 1, (int)Math.Ceiling(q * LatenciesMs.Length) - 1)];
    }

    private static Row Measure(Uri target, int clients, double seconds, int textsPerRequest, string[] texts)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler) { BaseAddress = target, Timeout = TimeSpan.FromSeconds(60) };
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var latencies = new List<double>[clients];
        int errors = 0, sent = 0;
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            int next = c * 7919;
            while (Stopwatch.GetTimestamp() < deadline && Interlocked.Increment(ref sent) <= MaxRequests)
            {
                var batch = Enumerable.Range(0, textsPerRequest).Select(i => texts[(next + i) % texts.Length]).ToArray();
                next += textsPerRequest;
                using var content = new StringContent(JsonSerializer.Serialize(new { texts = batch }), Encoding.UTF8, "application/json");
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync("/predict", content);
                    await response.Content.ReadAsStringAsync();
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })).ToArray();
        Task.WaitAll(workers);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Row(all.Length, errors, all);
    }
}
