using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Exporter;

/// <summary>DrSentinel's series against the sandbox region, over HTTP, as Prometheus would scrape them.</summary>
public sealed class SandboxExporterTests : IAsyncLifetime
{
    /// <summary>One AWS refresh is 1 s here; a few of them is the most any change may take to show.</summary>
    private static readonly TimeSpan WithinRefresh = TimeSpan.FromSeconds(10);
    private SandboxServer _sandbox = null!;
    private DrSentinelHost _host = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(speed: 100);
        _host = await DrSentinelHost.StartAsync(_sandbox);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private static readonly string[] AwsAndKubernetesSources = ["kubernetes_nodes", "aws_autoscaling", "aws_rds", "aws_elasticache", "aws_snapshots"];

    private async Task FailZoneAsync(string zone, string mode)
    {
        using var http = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await http.PostAsync($"sandbox/zones/{zone}/fail?mode={mode}", null)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Metrics_MatchTheSandboxState()
    {
        var samples = await _host.ScrapeAsync();

        var nodesPerZone = _sandbox.State(r => r.Cluster.Nodes.GroupBy(n => n.AvailabilityZone).ToDictionary(g => g.Key, g => g.Count()));
        foreach (var (zone, count) in nodesPerZone)
            Assert.Equal(count, samples.Value("drsentinel_kubernetes_nodes", ("az", zone), ("condition", "ready"), ("schedulable", "true")));
        Assert.All(nodesPerZone.Keys, zone => Assert.Equal(1, samples.Value("drsentinel_az_status", ("az", zone), ("status", "healthy"))));
        Assert.Equal(6, samples.Value("drsentinel_autoscaling_group_desired_capacity", ("nodegroup", "primary")));
        Assert.Equal(3, samples.Value("drsentinel_autoscaling_group_zone_healthy_instances", ("nodegroup", "primary"), ("az", "eu-central-1a")));
        Assert.Empty(samples.Named("drsentinel_autoscaling_group_zone_desired_capacity")); // AWS's placement is not guessed
        Assert.Null(samples.Value("drsentinel_autoscaling_group_zone_healthy_instances", ("nodegroup", "primary"), ("az", "eu-central-1c")));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1a")));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "standby"), ("az", "eu-central-1b")));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-read-replica"), ("role", "replica"), ("az", "eu-central-1b")));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_available", ("db_instance", "pyairtable-primary")));
        Assert.Equal("eu-central-1a", samples.Named("drsentinel_elasticache_replication_group_info").Single()["primary_az"]);
        Assert.Equal(2, samples.Value("drsentinel_elasticache_replicas_expected", ("replication_group", "pyairtable-redis")));
        Assert.All(AwsAndKubernetesSources, source => Assert.Equal(1, samples.Value("drsentinel_source_up", ("source", source))));
    }

    [Fact]
    public async Task HardZoneFailure_ShowsInNodesZoneStatusAndTheRdsPrimarysZone()
    {
        await FailZoneAsync("eu-central-1a", "hard");

        var samples = await _host.ScrapeUntilAsync(s =>
                s.Value("drsentinel_az_status", ("az", "eu-central-1a"), ("status", "unavailable")) == 1
                && s.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1b")) == 1
                && s.Value("drsentinel_autoscaling_group_zone_healthy_instances", ("nodegroup", "primary"), ("az", "eu-central-1a")) == 0,
            WithinRefresh + _sandbox.Region.Clock.ToRealTime(TimeSpan.FromSeconds(150)), "zone failure and RDS failover visible");

        Assert.Equal(4, samples.Value("drsentinel_kubernetes_nodes", ("az", "eu-central-1a"), ("condition", "unknown"), ("schedulable", "true")));
        Assert.Null(samples.Value("drsentinel_kubernetes_nodes", ("az", "eu-central-1a"), ("condition", "ready"), ("schedulable", "true")));
        Assert.Equal(1, samples.Value("drsentinel_az_status", ("az", "eu-central-1b"), ("status", "healthy")));
        Assert.Null(samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1a")));
    }

    [Fact]
    public async Task GrayZoneFailure_ControlPlaneSeriesStayHealthy()
    {
        var failedAt = _sandbox.Region.Now;
        await FailZoneAsync("eu-central-1a", "gray");
        await Poll.UntilAsync(() => _sandbox.Region.Now - failedAt > TimeSpan.FromMinutes(3), WithinRefresh, "three region minutes");
        var before = (await _host.ScrapeAsync()).Value("drsentinel_source_last_success_timestamp_seconds", ("source", "aws_rds"));

        var samples = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_source_last_success_timestamp_seconds", ("source", "aws_rds")) > before,
            WithinRefresh, "a refresh after the gray failure");

        Assert.Equal(1, samples.Value("drsentinel_az_status", ("az", "eu-central-1a"), ("status", "healthy")));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1a")));
    }

    [Fact]
    public async Task ForcedFailover_MovesTheRdsPrimarysZone()
    {
        _sandbox.Region.Write(r => r.RebootDbInstance("pyairtable-primary", forceFailover: true));

        var samples = await _host.ScrapeUntilAsync(
            s => s.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1b")) == 1
                 && s.Value("drsentinel_rds_instance_status", ("db_instance", "pyairtable-primary"), ("status", "available")) == 1,
            WithinRefresh + _sandbox.Region.Clock.ToRealTime(TimeSpan.FromSeconds(120)), "primary in eu-central-1b");

        Assert.Equal(1, samples.Value("drsentinel_rds_instance_available", ("db_instance", "pyairtable-primary")));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "standby"), ("az", "eu-central-1a")));
        Assert.Equal("eu-central-1b", samples.Named("drsentinel_rds_instance_info").Single(s => s["db_instance"] == "pyairtable-primary")["az"]);
    }

    [Fact]
    public async Task FailingSource_KeepsItsLastValuesAndReportsDown_WhileTheOthersCarryOn()
    {
        _sandbox.Region.Write(r => r.Faults.Add(new FaultRule("rds", "DescribeDBInstances", "InternalFailure", 1, TimeSpan.Zero)));

        var samples = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_source_up", ("source", "aws_rds")) == 0, WithinRefresh, "aws_rds down");
        var later = await _host.ScrapeUntilAsync(
            s => s.Value("drsentinel_source_last_success_timestamp_seconds", ("source", "aws_elasticache"))
                 > samples.Value("drsentinel_source_last_success_timestamp_seconds", ("source", "aws_elasticache")),
            WithinRefresh, "elasticache keeps refreshing");

        // Down, its last success stands still (a refresh under way when the fault came may have been its last).
        Assert.Equal(samples.Value("drsentinel_source_last_success_timestamp_seconds", ("source", "aws_rds")),
            later.Value("drsentinel_source_last_success_timestamp_seconds", ("source", "aws_rds")));
        Assert.Equal(1, later.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1a")));
        Assert.Equal(1, later.Value("drsentinel_source_up", ("source", "aws_elasticache")));
        Assert.True(later.Named("drsentinel_api_calls_total").Where(s => s["operation"] == "DescribeDBInstances" && s["outcome"] == "error").Sum(s => s.Value) >= 1);
    }

    [Fact]
    public async Task ConcurrentScrapes_WhileTheRegionFailsOverRepeatedly_EachShowExactlyOnePrimaryPerDatabaseAndGroup()
    {
        using var stop = new CancellationTokenSource();
        var torn = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var scrapes = 0;
        var scrapers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var samples = await _host.ScrapeAsync();
                Interlocked.Increment(ref scrapes);
                var rdsPrimaries = samples.Named("drsentinel_rds_instance_placement").Count(p => p["db_instance"] == "pyairtable-primary" && p["role"] == "primary");
                var cachePrimaries = samples.Named("drsentinel_elasticache_member_info").Count(m => m["role"] == "primary");
                if (rdsPrimaries != 1 || cachePrimaries != 1) torn.Enqueue($"{rdsPrimaries} RDS primaries, {cachePrimaries} Redis primaries");
            }
        })).ToArray();

        var region = _sandbox.Region;
        string RdsPrimaryZone() => region.Read(r => r.DbInstances["pyairtable-primary"].AvailabilityZone);
        string CachePrimary() => region.Read(r => r.ReplicationGroups["pyairtable-redis"].Members.Single(m => m.Primary).CacheClusterId);
        // AWS promotes a named replica only while Multi-AZ is off.
        region.Write(r => r.ModifyReplicationGroup("pyairtable-redis", null, null, multiAz: false));
        for (var round = 0; round < 4; round++)
        {
            var (zone, member) = (RdsPrimaryZone(), CachePrimary());
            var target = region.Read(r => r.ReplicationGroups["pyairtable-redis"].Members.First(m => !m.Primary).CacheClusterId);
            region.Write(r => r.RebootDbInstance("pyairtable-primary", forceFailover: true));
            region.Write(r => r.ModifyReplicationGroup("pyairtable-redis", target, null, null));
            await Poll.UntilAsync(() => RdsPrimaryZone() != zone && CachePrimary() != member
                                        && region.Read(r => r.DbInstances["pyairtable-primary"].Status == "available"
                                                            && r.ReplicationGroups["pyairtable-redis"].Status == "available"),
                WithinRefresh + region.Clock.ToRealTime(TimeSpan.FromSeconds(150)), $"failover round {round} done");
            await _host.ScrapeUntilAsync(s => s.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"),
                ("az", RdsPrimaryZone())) == 1, WithinRefresh, $"round {round} scraped");
        }
        await stop.CancelAsync();
        await Task.WhenAll(scrapers);

        Assert.True(scrapes >= 100, $"only {scrapes} scrapes");
        Assert.True(torn.IsEmpty, $"{torn.Count} of {scrapes} scrapes were torn, e.g. {torn.FirstOrDefault()}");
    }

    [Fact]
    public async Task ManyScrapes_DoNotAddAwsCalls()
    {
        var callsBefore = _sandbox.State(r => r.ApiCalls.GetValueOrDefault("rds:DescribeDBInstances"));
        var timer = System.Diagnostics.Stopwatch.StartNew();

        for (var i = 0; i < 200; i++) await _host.ScrapeTextAsync();

        var calls = _sandbox.State(r => r.ApiCalls.GetValueOrDefault("rds:DescribeDBInstances")) - callsBefore;
        var refreshes = (long)Math.Ceiling(timer.Elapsed.TotalSeconds) + 1; // one a second, whatever the scrape rate
        Assert.InRange(calls, 0, refreshes);
        Assert.Equal(1, _sandbox.State(r => r.ApiCalls["kubernetes:list-nodes"]));
    }

    [Fact]
    public async Task Backups_RestoreHorizonAndNewestSnapshots_Exported_AndStandStillOnceTheSandboxStopsThem()
    {
        double? Horizon(IReadOnlyList<Sample> s) => s.Value("drsentinel_rds_latest_restorable_timestamp_seconds", ("db_instance", "pyairtable-primary"));
        double RegionNow() => _sandbox.State(r => r.Now.ToUnixTimeMilliseconds() / 1000.0);

        var samples = await _host.ScrapeUntilAsync(s => Horizon(s) is not null && s.Value("drsentinel_source_up", ("source", "aws_snapshots")) == 1, WithinRefresh, "backups read");
        // RDS's horizon trails now by up to five minutes (region time, speed 100: up to 3 s and a refresh behind).
        Assert.InRange(RegionNow() - Horizon(samples)!.Value, 0, 300 + 100 * 2 * WithinRefresh.TotalSeconds);
        Assert.Null(samples.Value("drsentinel_rds_latest_restorable_timestamp_seconds", ("db_instance", "pyairtable-read-replica"))); // no backups of its own
        var rdsSnapshot = samples.Value("drsentinel_snapshot_newest_timestamp_seconds", ("service", "rds"), ("resource", "pyairtable-primary"), ("kind", "automated"));
        var cacheSnapshot = samples.Value("drsentinel_snapshot_newest_timestamp_seconds", ("service", "elasticache"), ("resource", "pyairtable-redis"), ("kind", "automated"));
        Assert.InRange(RegionNow() - rdsSnapshot!.Value, 0, 86400 + 3600);
        Assert.InRange(RegionNow() - cacheSnapshot!.Value, 0, 86400 + 3600);
        Assert.Null(samples.Value("drsentinel_snapshot_newest_timestamp_seconds", ("service", "rds"), ("resource", "pyairtable-read-replica"), ("kind", "automated")));

        using var http = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await http.PostAsync("sandbox/backups/stop", null)).EnsureSuccessStatusCode();
        var frozen = _sandbox.State(r => r.LatestRestorableTime.ToUnixTimeMilliseconds() / 1000.0);

        // Region time runs on; the horizon does not: past the 15-minute RPO (DrSentinelRdsRestoreHorizonBehindRpo's condition) in seconds.
        await _host.ScrapeUntilAsync(s => Horizon(s) == frozen && RegionNow() - frozen > 900, TimeSpan.FromSeconds(30), "the horizon behind the RPO");
        var later = RegionNow() + 600;
        await Poll.UntilAsync(() => Task.FromResult(RegionNow()), now => now > later, TimeSpan.FromSeconds(30), "ten region minutes later");
        Assert.Equal(frozen, Horizon(await _host.ScrapeAsync()));

        (await http.PostAsync("sandbox/backups/resume", null)).EnsureSuccessStatusCode();
        await _host.ScrapeUntilAsync(s => RegionNow() - Horizon(s) < 300 + 100 * 2 * WithinRefresh.TotalSeconds, WithinRefresh, "the horizon caught up");
    }
}
