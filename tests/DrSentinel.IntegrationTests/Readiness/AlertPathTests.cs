using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Readiness;

/// <summary>
/// The alert path, proven where it runs: a real Prometheus evaluating alerts/drsentinel.rules.yml and a real Alertmanager
/// running alerts/alertmanager.example.yml in front of a DrSentinel with its receiver on. Ready as shipped; each test
/// breaks exactly one thing (the rules not loaded, a route taking DrSentinelAzUnavailable elsewhere, a wrong token) and
/// sees that check, and no other, turn not ready with its reason.
/// </summary>
[LongRunning(40)]
public sealed class AlertPathTests : IAsyncLifetime
{
    private const string Rules = "prometheus-rules";
    private const string Routes = "alertmanager-routes";
    private const string Heartbeat = "heartbeat";
    private readonly List<IAsyncDisposable> _servers = [];
    private SandboxServer _sandbox = null!;
    private string? _tokenFile;

    public async Task InitializeAsync() => _sandbox = await Sandboxes.StartAsync();

    public async Task DisposeAsync()
    {
        for (var i = _servers.Count - 1; i >= 0; i--) await _servers[i].DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private T Own<T>(T server) where T : IAsyncDisposable
    {
        _servers.Add(server);
        return server;
    }

    /// <summary>DrSentinel, then Alertmanager sending to it, then Prometheus scraping it with (or without) the rules.</summary>
    private async Task<DrSentinelHost> StartPathAsync(bool loadRules = true, string? heartbeatWithin = null, Func<string, string>? editRoutes = null,
        string? alertmanagerToken = null)
    {
        var (alertmanagerPort, prometheusPort) = (FreePort.Next(), FreePort.Next());
        var state = Webhooks.NewStateDirectory();
        var host = Own(await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(state, dryRun: true, "primary"),
            "--Readiness:Every=00:00:10", $"--Readiness:PrometheusUrl=http://127.0.0.1:{prometheusPort}/",
            $"--Receiver:AlertmanagerUrls:0=http://127.0.0.1:{alertmanagerPort}/", .. heartbeatWithin is null ? Array.Empty<string>() : [$"--Readiness:HeartbeatWithin={heartbeatWithin}"]]));
        var tokenFile = _tokenFile = Path.Combine(state, "..", "alertmanager-sends.token");
        await File.WriteAllTextAsync(tokenFile, alertmanagerToken ?? Webhooks.Token);
        var alertmanager = Own(await AlertmanagerServer.StartAsync(host.Address, tokenFile, alertmanagerPort, editRoutes));
        Own(await PrometheusServer.StartAsync([host.Address], loadRules ? RuleFile.Path : null, alertmanager.Address, _sandbox.Region.Topology.ClusterName, prometheusPort));
        return host;
    }


    private static Task<Dictionary<string, (string Verdict, string Reason)>> UntilAsync(DrSentinelHost host, Func<Dictionary<string, (string Verdict, string Reason)>, bool> done,
        string what) => Poll.UntilAsync(() => Webhooks.ReadinessAsync(host), done, TimeSpan.FromSeconds(90), what);

    /// <summary>No check but the named ones is anything other than ready (the path's, and DrSentinel's own).</summary>
    private static void OthersReady(Dictionary<string, (string Verdict, string Reason)> checks, params string[] except) =>
        Assert.All(checks.Where(c => !except.Contains(c.Key)), c => Assert.True(c.Value.Verdict == "ready", $"{c.Key}: {c.Value.Verdict} ({c.Value.Reason})"));

    [Fact]
    public async Task AsShipped_RulesRoutesAndHeartbeat_AreReady_AndTheHeartbeatIsExported()
    {
        var host = await StartPathAsync();

        var checks = await UntilAsync(host, c => c.TryGetValue(Heartbeat, out var h) && h.Verdict == "ready" && c[Rules].Verdict == "ready",
            "the heartbeat through Prometheus and Alertmanager");

        OthersReady(checks);
        Assert.Contains("arrived", checks[Heartbeat].Reason, StringComparison.Ordinal);
        var samples = await host.ScrapeAsync();
        Assert.True(samples.Value("drsentinel_heartbeat_last_received_timestamp_seconds") > DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds());
        Assert.True(samples.Value("drsentinel_webhook_alerts_total", ("playbook", "none"), ("status", "firing"), ("outcome", "heartbeat")) >= 1);
    }

    [Fact]
    public async Task RulesNotLoaded_OnlyThePrometheusCheck_IsNotReady_NamingTheMissingRules()
    {
        var host = await StartPathAsync(loadRules: false, heartbeatWithin: "00:10:00");

        var checks = await UntilAsync(host, c => c.TryGetValue(Rules, out var r) && r.Verdict == "not-ready", "the rules check not ready");

        Assert.Contains("DrSentinelAzUnavailable is not loaded", checks[Rules].Reason, StringComparison.Ordinal);
        Assert.Equal("ready", checks[Routes].Verdict);
        Assert.Equal("could-not-check", checks[Heartbeat].Verdict); // none yet, and not late yet: never shown as ready
        OthersReady(checks, Rules, Heartbeat);
    }

    [Fact]
    public async Task ARouteTakingDrSentinelAzUnavailableElsewhere_OnlyTheRoutesCheck_IsNotReady_NamingTheAlertAndTheReceiver()
    {
        // A route put above DrSentinel's, without continue: the alert never reaches DrSentinel's webhook.
        var host = await StartPathAsync(editRoutes: config => config.Replace("  routes:\n", """
              routes:
                - receiver: pager
                  matchers:
                    - alertname="DrSentinelAzUnavailable"

            """, StringComparison.Ordinal));

        var checks = await UntilAsync(host, c => c.TryGetValue(Routes, out var r) && r.Verdict == "not-ready" && c[Heartbeat].Verdict == "ready",
            "the routes check not ready, the heartbeat arriving");

        Assert.Contains("sends DrSentinelAzUnavailable to pager", checks[Routes].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("DrSentinelRdsPrimaryInImpairedAz", checks[Routes].Reason, StringComparison.Ordinal);
        OthersReady(checks, Routes);
    }

    [Fact]
    public async Task AWrongTokenInAlertmanager_OnlyTheHeartbeatCheck_IsNotReady_OnceItIsLate()
    {
        var host = await StartPathAsync(heartbeatWithin: "00:00:15", alertmanagerToken: "not-the-token");

        var checks = await UntilAsync(host, c => c.TryGetValue(Heartbeat, out var h) && h.Verdict == "not-ready", "the heartbeat late");

        Assert.Contains("no DrSentinelHeartbeat in", checks[Heartbeat].Reason, StringComparison.Ordinal);
        OthersReady(checks, Heartbeat);
        Assert.True((await host.ScrapeAsync()).Value("drsentinel_webhook_requests_total", ("code", "401")) >= 1); // Alertmanager did send it

        // Mended: Alertmanager reads its credentials file on every send, and retries the refused notification.
        await File.WriteAllTextAsync(_tokenFile!, Webhooks.Token);

        await UntilAsync(host, c => c[Heartbeat].Verdict == "ready", "the heartbeat arriving once the token is right");
    }
}
