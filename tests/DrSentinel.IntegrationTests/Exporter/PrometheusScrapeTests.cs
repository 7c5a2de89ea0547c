using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Exporter;

/// <summary>Real Prometheus scrapes DrSentinel (probing real Redis and PostgreSQL), and promtool lints a real scrape.</summary>
public sealed class PrometheusScrapeTests : IAsyncLifetime
{
    private ProbedRegion _region = null!;

    public async Task InitializeAsync() => _region = await ProbedRegion.StartAsync();

    public async Task DisposeAsync() => await _region.DisposeAsync();

    [Fact]
    public async Task Prometheus_ScrapesDrSentinel_AndServesItsSeriesBack()
    {
        await using var prometheus = await PrometheusServer.StartAsync(_region.Host.Address);

        var nodes = await Poll.UntilAsync(() => prometheus.QueryAsync("sum by (az) (drsentinel_kubernetes_nodes)"), r => r.Count == 3,
            TimeSpan.FromSeconds(30), "Prometheus has the node series of three zones");
        var up = await prometheus.QueryAsync("up{job=\"drsentinel\"}");
        var primaryZone = await prometheus.QueryAsync("drsentinel_rds_instance_placement{role=\"primary\",db_instance=\"pyairtable-primary\"}");
        var replicas = await Poll.UntilAsync(() => prometheus.QueryAsync("drsentinel_redis_connected_replicas"), r => r.Count == 1,
            TimeSpan.FromSeconds(10), "Redis series in Prometheus");

        Assert.Equal(new Dictionary<string, double> { ["eu-central-1a"] = 4, ["eu-central-1b"] = 4, ["eu-central-1c"] = 1 },
            nodes.ToDictionary(r => r["az"], r => r.Value));
        Assert.Equal(1, Assert.Single(up).Value);
        var primary = Assert.Single(primaryZone);
        Assert.Equal(("eu-central-1a", "sandbox"), (primary["az"], primary["cluster"]));
        Assert.Equal(2, Assert.Single(replicas).Value);
    }

    [Fact]
    public async Task PromtoolCheckMetrics_OnARealScrape_ReportsNothing()
    {
        var scrape = await _region.Host.ScrapeTextAsync();

        var result = await ExternalProcess.RunAsync("promtool", ["check", "metrics"], TimeSpan.FromSeconds(30), input: scrape);

        Assert.Contains("drsentinel_postgres_replica_lag_bytes", scrape, StringComparison.Ordinal);
        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0 && result.Error.Trim().Length == 0, result.ToString());
    }
}
