using System.Text.Json;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>
/// A real Alertmanager (Debian's prometheus-alertmanager 0.25, one node) running alerts/alertmanager.example.yml with its
/// DrSentinel receiver pointed at the host under test and its bearer token read from a file, as in production. Only the
/// timers of the DrSentinel route are shortened, so a test does not wait a real group_interval.
/// </summary>
public sealed class AlertmanagerServer : IAsyncDisposable
{
    private readonly ExternalProcess _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private AlertmanagerServer(ExternalProcess process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        _http = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    /// <param name="port">A port reserved for it (<see cref="FreePort.Next"/>), when its address must be known before it starts.</param>
    /// <param name="edit">A change to the configuration, for a test that breaks the route.</param>
    public static async Task<AlertmanagerServer> StartAsync(Uri drsentinel, string tokenFile, int? port = null, Func<string, string>? edit = null)
    {
        var directory = Directory.CreateTempSubdirectory("drsentinel-alertmanager-").FullName;
        var secrets = Path.Combine(directory, "secrets");
        Directory.CreateDirectory(secrets);
        foreach (var name in new[] { "pagerduty-routing-key", "tickets-token" }) await File.WriteAllTextAsync(Path.Combine(secrets, name), "unused");
        var example = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "alerts", "alertmanager.example.yml"));
        var config = example
            .Replace("http://drsentinel.drsentinel.svc:9464/", drsentinel.ToString(), StringComparison.Ordinal)
            .Replace("/etc/alertmanager/secrets/drsentinel-webhook-token", tokenFile, StringComparison.Ordinal)
            .Replace("/etc/alertmanager/secrets/", secrets + "/", StringComparison.Ordinal)
            .Replace("https://tickets.example.com/alertmanager", "http://127.0.0.1:9/tickets", StringComparison.Ordinal)
            .Replace("      group_interval: 1m\n      repeat_interval: 5m", "      group_interval: 1s\n      repeat_interval: 5m", StringComparison.Ordinal);
        Assert.Contains("group_interval: 1s", config, StringComparison.Ordinal);
        if (edit is not null) config = edit(config);
        var path = Path.Combine(directory, "alertmanager.yml");
        await File.WriteAllTextAsync(path, config);
        port ??= FreePort.Next();
        var process = ExternalProcess.Start("prometheus-alertmanager", [
            $"--config.file={path}", $"--storage.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn",
        ]);
        var server = new AlertmanagerServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        await Poll.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException("alertmanager exited:\n" + process.Error);
            try
            {
                return (await server._http.GetAsync("-/ready")).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException or IOException) // not listening yet
            {
                return false;
            }
        }, ready => ready, TimeSpan.FromSeconds(30), "alertmanager ready");
        return server;
    }

    public async Task<JsonElement> AlertsAsync() => JsonSerializer.Deserialize<JsonElement>(await _http.GetStringAsync("api/v2/alerts"));

    /// <summary>Posts alerts as Prometheus does (API v2: a JSON array of labels, annotations, startsAt).</summary>
    public async Task PostAlertsAsync(string alertsJson)
    {
        using var content = new StringContent(alertsJson, System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync("api/v2/alerts", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public string Log => _process.Error;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
