using System.Globalization;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Exporter;

/// <summary>Real Prometheus scrapes DrSentinel (probing real Redis and PostgreSQL), and promtool lints a real scrape.</summary>
public sealed class PrometheusScrapeTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;
    private RedisServers _redis = null!;
    private PostgresServers _postgres = null!;
    private DrSentinelHost _host = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync();
        _redis = await RedisServers.StartAsync(replicas: 2);
        _postgres = await PostgresServers.StartAsync();
        _host = await DrSentinelHost.StartAsync(_sandbox,
            "--Probes:Redis:Enabled=true",
            $"--Probes:Redis:Endpoints:pyairtable-redis-001=127.0.0.1:{_redis.Ports[0]}",
            $"--Probes:Redis:Endpoints:pyairtable-redis-002=127.0.0.1:{_redis.Ports[1]}",
            $"--Probes:Redis:Endpoints:pyairtable-redis-003=127.0.0.1:{_redis.Ports[2]}",
            "--Probes:Postgres:Enabled=true",
            "--Probes:Postgres:Username=postgres",
            "--Probes:Postgres:SslMode=Disable",
            $"--Probes:Postgres:Endpoints:pyairtable-primary=127.0.0.1:{_postgres.PrimaryPort.ToString(CultureInfo.InvariantCulture)}",
            $"--Probes:Postgres:Endpoints:pyairtable-read-replica=127.0.0.1:{_postgres.StandbyPort.ToString(CultureInfo.InvariantCulture)}");
        // Every family present, so the lint and the read-back cover them all.
        await _host.ScrapeUntilAsync(s => s.Named("drsentinel_redis_replication_lag_bytes").Any() && s.Named("drsentinel_postgres_replica_lag_bytes").Any(),
            TimeSpan.FromSeconds(10), "probe series present");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _postgres.DisposeAsync();
        await _redis.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Prometheus_ScrapesDrSentinel_AndServesItsSeriesBack()
    {
        await using var prometheus = await PrometheusServer.StartAsync(_host.Address);

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
        var scrape = await _host.ScrapeTextAsync();

        var result = await ExternalProcess.RunAsync("promtool", ["check", "metrics"], TimeSpan.FromSeconds(30), input: scrape);

        Assert.Contains("drsentinel_postgres_replica_lag_bytes", scrape, StringComparison.Ordinal);
        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0 && result.Error.Trim().Length == 0, result.ToString());
    }
}
