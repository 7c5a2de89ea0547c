using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Dashboards;

/// <summary>Every panel query, run on real Prometheus scraping DrSentinel (sandbox, real Redis and PostgreSQL), returns data.</summary>
public sealed class DashboardQueryTests : IAsyncLifetime
{
    private ProbedRegion _region = null!;
    private PrometheusServer _prometheus = null!;

    public async Task InitializeAsync()
    {
        _region = await ProbedRegion.StartAsync();
        _prometheus = await PrometheusServer.StartAsync(_region.Host.Address, RuleFile.Path);
    }

    public async Task DisposeAsync()
    {
        await _prometheus.DisposeAsync();
        await _region.DisposeAsync();
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
