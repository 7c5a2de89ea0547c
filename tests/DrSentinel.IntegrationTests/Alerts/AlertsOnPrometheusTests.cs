using System.Text.Json;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Alerts;

/// <summary>
/// Real Prometheus evaluating alerts/ over DrSentinel's scrape of the sandbox region, each case a class of its own so
/// their real <c>for:</c> windows pass side by side.
/// </summary>
[LongRunning(130)]
public sealed class ZoneAlertsOnPrometheusTests : IAsyncLifetime
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

[LongRunning(310)]
public sealed class BackupAlertsOnPrometheusTests
{
    /// <summary>
    /// The backup alerts on a sandbox whose clock is the wall clock, as Prometheus's time() is: backups broken since two
    /// days ago put the restore horizon and the newest automated snapshot far behind, so the horizon alert fires after
    /// its 5 min and the snapshot alert is pending (its 30 min are promtool's to check); resumed, both go away.
    /// </summary>
    [Fact]
    public async Task BackupsStoppedTwoDaysAgo_FireTheRestoreHorizonAlertAndHoldTheSnapshotAlertPending_ResumedTheyGo()
    {
        await using var sandbox = await Sandboxes.StartAsync(speed: 1);
        await using var host = await DrSentinelHost.StartAsync(sandbox);
        await using var prometheus = await PrometheusServer.StartAsync(host.Address, RuleFile.Path);
        using var http = new HttpClient { BaseAddress = sandbox.Endpoint };
        async Task<IReadOnlyList<(string Name, string State)>> BackupAlertsAsync() =>
        [
            .. (await prometheus.GetAsync("api/v1/alerts")).GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Select(a => (Name: a.GetProperty("labels").GetProperty("alertname").GetString()!, State: a.GetProperty("state").GetString()!))
                .Where(a => a.Name is "DrSentinelRdsRestoreHorizonBehindRpo" or "DrSentinelSnapshotStale" or "DrSentinelSnapshotMissing"),
        ];
        await Poll.UntilAsync(() => prometheus.QueryAsync("drsentinel_rds_latest_restorable_timestamp_seconds"), r => r.Count > 0, TimeSpan.FromSeconds(60),
            "the restore horizon scraped");
        Assert.Empty(await BackupAlertsAsync());

        (await http.PostAsync("sandbox/backups/stop?ago=2.00:00:00", null)).EnsureSuccessStatusCode();
        var pending = await Poll.UntilAsync(BackupAlertsAsync, a => a.Contains(("DrSentinelRdsRestoreHorizonBehindRpo", "pending"))
            && a.Any(x => x is ("DrSentinelSnapshotStale", "pending")), TimeSpan.FromSeconds(60), "both backup alerts pending");
        Assert.DoesNotContain(pending, a => a.Name == "DrSentinelSnapshotMissing"); // snapshots there are, only old ones
        var firing = await Poll.UntilAsync(BackupAlertsAsync, a => a.Contains(("DrSentinelRdsRestoreHorizonBehindRpo", "firing")),
            TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(30), "DrSentinelRdsRestoreHorizonBehindRpo firing after its 5 min");
        Assert.Contains(firing, a => a is ("DrSentinelSnapshotStale", "pending"));

        (await http.PostAsync("sandbox/backups/resume", null)).EnsureSuccessStatusCode();
        await Poll.UntilAsync(BackupAlertsAsync, a => a.Count == 0, TimeSpan.FromSeconds(60), "the backup alerts gone once backups run again");
    }
}
