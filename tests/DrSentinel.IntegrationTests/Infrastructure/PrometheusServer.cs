using System.Net.Http.Json;
using System.Text.Json;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>A real Prometheus (Debian's prometheus 2.42) scraping given targets every second, read back through its HTTP API.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly ExternalProcess _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(ExternalProcess process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = address };
    }

    public static Task<PrometheusServer> StartAsync(Uri target, string? ruleFiles = null) => StartAsync(target, ruleFiles, null, "sandbox");

    /// <summary>With <paramref name="alertmanager"/>, firing alerts go there; <paramref name="cluster"/> is the scrape's target label.</summary>
    public static Task<PrometheusServer> StartAsync(Uri target, string? ruleFiles, Uri? alertmanager, string cluster) =>
        StartAsync([target], ruleFiles, alertmanager, cluster);

    /// <summary>
    /// Scraping every one of <paramref name="targets"/> (the replicas of one DrSentinel) in the same job; on
    /// <paramref name="port"/> when its address must be known before it starts.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<Uri> targets, string? ruleFiles, Uri? alertmanager, string cluster, int? port = null)
    {
        var directory = Directory.CreateTempSubdirectory("drsentinel-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            {(ruleFiles is null ? "" : $"rule_files: ['{ruleFiles}']")}
            {(alertmanager is null ? "" : $"alerting: {{alertmanagers: [{{static_configs: [{{targets: ['{alertmanager.Authority}']}}]}}]}}")}
            scrape_configs:
              - job_name: drsentinel
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t.Authority}'"))}]
                    labels:
                      cluster: {cluster}
                      region: eu-central-1
            """);
        port ??= FreePort.Next();
        var process = ExternalProcess.Start("prometheus", [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        ]);
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        await Poll.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException("prometheus exited:\n" + process.Error);
            try
            {
                return (await server._http.GetAsync("-/ready")).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException or IOException) // not listening yet
            {
                return false;
            }
        }, ready => ready, TimeSpan.FromSeconds(30), "prometheus ready");
        return server;
    }

    /// <summary>An instant query; each result as its labels and value.</summary>
    public async Task<IReadOnlyList<Sample>> QueryAsync(string promql)
    {
        var answer = await _http.GetFromJsonAsync<JsonElement>($"api/v1/query?query={Uri.EscapeDataString(promql)}");
        return answer.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => new Sample(
            r.GetProperty("metric").TryGetProperty("__name__", out var name) ? name.GetString()! : "",
            r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    public async Task<JsonElement> GetAsync(string path) => await _http.GetFromJsonAsync<JsonElement>(path);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
