using System.Globalization;
using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Dashboards;

/// <summary>Every panel query, run on real Prometheus scraping DrSentinel (sandbox, real Redis and PostgreSQL), returns data.</summary>
public sealed class DashboardQueryTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;
    private RedisServers _redis = null!;
    private PostgresServers _postgres = null!;
    private DrSentinelHost _host = null!;
    private PrometheusServer _prometheus = null!;

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
        _prometheus = await PrometheusServer.StartAsync(_host.Address, RuleFile.Path);
    }

    public async Task DisposeAsync()
    {
        await _prometheus.DisposeAsync();
        await _host.DisposeAsync();
        await _postgres.DisposeAsync();
        await _redis.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task EveryPanelQuery_ReturnsData()
    {
        var queries = DashboardFile.All.SelectMany(d => d.Queries.Select(q => (Dashboard: d.Name, q.Panel, Expr: DashboardFile.Resolve(q.Expr)))).ToList();
        // rate() needs two scrapes and the probe series a refresh; then every query should answer.
        await Poll.UntilAsync(() => _prometheus.QueryAsync("drsentinel_redis_replication_lag_bytes"), r => r.Count > 0, TimeSpan.FromSeconds(30), "probe series scraped");

        var empty = new List<string>();
        foreach (var (dashboard, panel, expr) in queries)
        {
            try
            {
                await Poll.UntilAsync(() => _prometheus.QueryAsync(expr), r => r.Count > 0, TimeSpan.FromSeconds(15), $"{dashboard} / {panel}");
            }
            catch (TimeoutException)
            {
                empty.Add($"{dashboard} / {panel}: {expr}");
            }
        }

        Assert.True(queries.Count >= 20, $"only {queries.Count} queries");
        Assert.True(empty.Count == 0, "panels showing No data:\n" + string.Join('\n', empty));
    }

    [Fact]
    public async Task VariableQueries_ListTheClusterAndTheZones()
    {
        var clusters = await Poll.UntilAsync(() => _prometheus.QueryAsync("count by (cluster) (drsentinel_source_up)"), r => r.Count > 0, TimeSpan.FromSeconds(30), "cluster label");
        var zones = await _prometheus.QueryAsync("count by (az) (drsentinel_az_status{cluster=~\".*\"})");

        Assert.Equal("sandbox", Assert.Single(clusters)["cluster"]);
        Assert.Equal(["eu-central-1a", "eu-central-1b", "eu-central-1c"], zones.Select(z => z["az"]).Order(StringComparer.Ordinal));
    }
}
