using System.Text.Json;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Alerts;

/// <summary>Real Prometheus evaluating alerts/ over DrSentinel's scrape of the sandbox region.</summary>
public sealed class AlertsOnPrometheusTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;
    private DrSentinelHost _host = null!;
    private PrometheusServer _prometheus = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(speed: 100);
        _host = await DrSentinelHost.StartAsync(_sandbox);
        _prometheus = await PrometheusServer.StartAsync(_host.Address, RuleFile.Path);
    }

    public async Task DisposeAsync()
    {
        await _prometheus.DisposeAsync();
        await _host.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private async Task<IReadOnlyList<(string State, string Az)>> AzUnavailableAlertsAsync()
    {
        var answer = await _prometheus.GetAsync("api/v1/alerts");
        return answer.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "DrSentinelAzUnavailable")
            .Select(a => (a.GetProperty("state").GetString()!, a.GetProperty("labels").GetProperty("az").GetString()!)).ToList();
    }

    [Fact]
    public async Task HardZoneFailure_FiresAzUnavailableForThatZoneWithinForPlusTwoScrapes_AndRecoveryResolvesIt()
    {
        using var http = new HttpClient { BaseAddress = _sandbox.Endpoint };
        // Before: scraped, evaluated, and nothing fires.
        await Poll.UntilAsync(() => _prometheus.QueryAsync("drsentinel_az_status"), r => r.Count == 9, TimeSpan.FromSeconds(30), "zone status scraped");
        Assert.Empty(await AzUnavailableAlertsAsync());

        (await http.PostAsync("sandbox/zones/eu-central-1b/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => _prometheus.QueryAsync("drsentinel_az_status{status=\"unavailable\"} == 1"), r => r.Count == 1,
            TimeSpan.FromSeconds(30), "the zone scraped as unavailable");
        var unavailableSince = DateTime.UtcNow;

        // for: 2m, plus two 1 s scrape intervals and one 1 s evaluation.
        var firing = await Poll.UntilAsync(AzUnavailableAlertsAsync, a => a.Any(x => x.State == "firing"),
            TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(3) + TimeSpan.FromSeconds(2), "DrSentinelAzUnavailable firing");
        Assert.Equal(("firing", "eu-central-1b"), Assert.Single(firing));
        Assert.True(DateTime.UtcNow - unavailableSince >= TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(2), "fired before its for: elapsed");

        (await http.PostAsync("sandbox/zones/eu-central-1b/recover", null)).EnsureSuccessStatusCode();
        await Poll.UntilAsync(AzUnavailableAlertsAsync, a => a.Count == 0, TimeSpan.FromSeconds(30), "DrSentinelAzUnavailable resolved");
    }
}
