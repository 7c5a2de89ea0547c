using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Inventory.Kubernetes;
using DrSentinel.Inventory.Probes;
using DrSentinel.Metrics;
using Microsoft.Extensions.Options;

namespace DrSentinel.Tests.Metrics;

/// <summary>The exposition of a fixed snapshot, compared with a golden file (the kube-state-metrics habit).</summary>
public sealed class InventoryMetricsTests
{
    private static readonly string GoldenFile = Path.Combine(AppContext.BaseDirectory, "Metrics", "inventory.golden.prom");

    /// <summary>One of everything: two zones (one degraded), a group, a Multi-AZ primary with a replica, a Redis group, probes up and down.</summary>
    internal static InventorySnapshot Fixture()
    {
        var nodes = new[]
        {
            new NodeState("n1", "eu-central-1a", "primary", "True", false, "1"),
            new NodeState("n2", "eu-central-1a", "primary", "True", false, "1"),
            new NodeState("n3", "eu-central-1b", "primary", "True", false, "1"),
            new NodeState("n4", "eu-central-1b", "primary", "Unknown", true, "1"),
        };
        var store = new InventoryStore(Options.Create(new InventoryOptions()));
        var at = new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
        return store.Update(_ => InventorySnapshot.Empty with
        {
            Nodes = new NodeInventory(nodes.ToImmutableDictionary(n => n.Name)),
            ScalingGroups =
            [
                new ScalingGroupState("eks-primary", "primary", 2, 6, 4, ["eu-central-1a", "eu-central-1b"],
                    [new("i-1", "eu-central-1a", "InService", true), new("i-2", "eu-central-1a", "InService", true),
                     new("i-3", "eu-central-1b", "InService", true), new("i-4", "eu-central-1b", "Pending", false)], ["AZRebalance"]),
            ],
            DbInstances =
            [
                new DbInstanceState("db", "postgres", "available", "eu-central-1a", "eu-central-1b", true, null, null, null, "db.local", 5432)
                {
                    LatestRestorableTime = new DateTimeOffset(2026, 12, 3, 8, 25, 0, TimeSpan.Zero),
                },
                new DbInstanceState("db-replica", "postgres", "backing-up", "eu-central-1b", null, false, "db", null, null, "replica.local", 5432),
            ],
            PostgresProbes =
            [
                new PostgresProbeResult("db", "eu-central-1a", true, false, 9_000, null, null, [new PostgresReplicaLag("db-replica", 0.5, 1000)],
                    TimeSpan.FromMilliseconds(12)),
                new PostgresProbeResult("db-replica", "eu-central-1b", true, true, 8_000, 3.5, true, [], TimeSpan.FromMilliseconds(9)),
            ],
            ReplicationGroups =
            [
                new ReplicationGroupState("cache", "available", true, true, false,
                [
                    new CacheMemberState("cache-001", "0001", "eu-central-1a", "primary", "c1.local", 6379),
                    new CacheMemberState("cache-002", "0001", "eu-central-1b", "replica", "c2.local", 6379),
                    new CacheMemberState("cache-003", "0001", "eu-central-1c", "replica", null, null),
                ]),
            ],
            Snapshots =
            [
                new NewestSnapshot("elasticache", "cache", "automated", new DateTimeOffset(2026, 12, 3, 4, 0, 0, TimeSpan.Zero)),
                new NewestSnapshot("rds", "db", "automated", new DateTimeOffset(2026, 12, 3, 3, 0, 0, TimeSpan.Zero)),
                new NewestSnapshot("rds", "db", "manual", new DateTimeOffset(2026, 12, 1, 17, 30, 0, TimeSpan.Zero)),
            ],
            RedisProbes =
            [
                new RedisProbeResult("cache", "cache-001", "eu-central-1a", true, "primary", 1, null, 5000, TimeSpan.FromMilliseconds(2)),
                new RedisProbeResult("cache", "cache-002", "eu-central-1b", false, null, null, null, null, TimeSpan.FromMilliseconds(500),
                    ProbeFailure.Timeout),
            ],
            Kubelets =
            [
                new ZoneKubelets("eu-central-1a", 3, TimeSpan.Zero, TimeSpan.FromSeconds(15)),
                new ZoneKubelets("eu-central-1b", 3, TimeSpan.FromSeconds(27.5), TimeSpan.FromSeconds(15)),
            ],
            Sources = ImmutableDictionary<string, SourceStatus>.Empty
                .Add("aws_rds", new SourceStatus(true, at, TimeSpan.FromMilliseconds(40), null))
                .Add("kubernetes_nodes", new SourceStatus(false, at.AddMinutes(-3), TimeSpan.FromMilliseconds(7), "HttpRequestException")),
        });
    }

    private static ProbeOptions ProbesOn()
    {
        var probes = new ProbeOptions();
        probes.Postgres.Enabled = true;
        probes.Redis.Enabled = true;
        return probes;
    }

    [Fact]
    public void Render_FixedSnapshot_MatchesTheGoldenExposition()
    {
        var text = InventoryMetrics.Render(Fixture(), ProbesOn());

        if (Environment.GetEnvironmentVariable("DRSENTINEL_UPDATE_GOLDEN") is { Length: > 0 } source)
            File.WriteAllText(Path.Combine(source, "tests", "DrSentinel.Tests", "Metrics", "inventory.golden.prom"), text);
        Assert.Equal(File.ReadAllText(GoldenFile), text);
    }

    [Fact]
    public void Render_ProbesOff_SaysEveryDatabaseAndMemberIsUnprobed()
    {
        var samples = InventoryMetrics.Render(Fixture() with { PostgresProbes = [], RedisProbes = [] }, new ProbeOptions()).Split('\n');

        Assert.Contains("drsentinel_postgres_probe_configured{db_instance=\"db\"} 0", samples);
        Assert.Contains("drsentinel_postgres_probe_configured{db_instance=\"db-replica\"} 0", samples);
        Assert.Equal(3, samples.Count(l => l.StartsWith("drsentinel_redis_probe_configured{", StringComparison.Ordinal) && l.EndsWith(" 0", StringComparison.Ordinal)));
        Assert.DoesNotContain(samples, l => l.StartsWith("drsentinel_postgres_probe_up{", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_EscapesLabelValuesAndHelp()
    {
        var snapshot = InventorySnapshot.Empty with
        {
            DbInstances = [new DbInstanceState("db", "postgres", "odd \"status\"\\\nline", null, null, false, null, null, null, null, null)],
        };

        var text = InventoryMetrics.Render(snapshot, new ProbeOptions());

        Assert.Contains("drsentinel_rds_instance_status{db_instance=\"db\",status=\"odd \\\"status\\\"\\\\\\nline\"} 1\n", text, StringComparison.Ordinal);
    }
}
