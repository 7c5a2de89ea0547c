using DrSentinel.Inventory;
using Microsoft.Extensions.Options;
using Prometheus;

namespace DrSentinel.Metrics;

/// <summary>
/// Renders the current inventory snapshot as Prometheus series at scrape time. It reads one snapshot reference and
/// never calls out: the sources refresh on their own timers, whatever the scrape rate.
/// </summary>
public sealed partial class InventoryMetrics
{
    private const string Cached = " Cached: as of the source's last successful refresh.";
    private readonly InventoryStore _store;
    private readonly InventoryOptions _options;
    private readonly ExactGauge _nodes, _zoneRatio, _zoneStatus;
    private readonly ExactGauge _asgDesired, _asgMin, _asgMax, _asgZoneDesired, _asgZoneInService, _asgZoneHealthy, _asgSuspended;
    private readonly ExactGauge _rdsInfo, _rdsStatus, _rdsAvailable, _rdsPlacement;
    private readonly ExactGauge _pgUp, _pgInRecovery, _pgReplayLag, _pgReplicas, _pgReplicaLagSeconds, _pgReplicaLagBytes, _pgDuration;
    private readonly ExactGauge _cacheInfo, _cacheStatus, _cacheMember, _cacheExpected;
    private readonly ExactGauge _redisUp, _redisRole, _redisConnected, _redisLink, _redisLag, _redisDuration;
    private readonly ExactGauge _sourceUp, _sourceLastSuccess, _sourceDuration;

    public InventoryMetrics(CollectorRegistry registry, IMetricFactory factory, InventoryStore store, IOptions<InventoryOptions> options)
    {
        _store = store;
        _options = options.Value;
        _nodes = new(factory, "drsentinel_kubernetes_nodes",
            "Kubernetes nodes per zone by Ready condition (ready, not_ready, unknown) and schedulability, from the node watch.", "az", "condition", "schedulable");
        _zoneRatio = new(factory, "drsentinel_az_ready_nodes_ratio", "Share of a zone's Kubernetes nodes that are Ready (0 when the zone has none).", "az");
        _zoneStatus = new(factory, "drsentinel_az_status",
            "Derived zone health: 1 on the current status (healthy, degraded, unavailable), 0 on the others; thresholds on the Ready share are configured.", "az", "status");

        _asgDesired = new(factory, "drsentinel_autoscaling_group_desired_capacity", "Desired capacity of an EC2 Auto Scaling group." + Cached, "autoscaling_group", "nodegroup");
        _asgMin = new(factory, "drsentinel_autoscaling_group_min_size", "Minimum size of an EC2 Auto Scaling group." + Cached, "autoscaling_group", "nodegroup");
        _asgMax = new(factory, "drsentinel_autoscaling_group_max_size", "Maximum size of an EC2 Auto Scaling group." + Cached, "autoscaling_group", "nodegroup");
        _asgZoneDesired = new(factory, "drsentinel_autoscaling_group_zone_desired_capacity",
            "The group's desired capacity balanced over its zones, as Auto Scaling balances it: the instances a zone should hold." + Cached, "autoscaling_group", "nodegroup", "az");
        _asgZoneInService = new(factory, "drsentinel_autoscaling_group_zone_in_service_instances",
            "Instances of the group in a zone whose lifecycle state is InService." + Cached, "autoscaling_group", "nodegroup", "az");
        _asgZoneHealthy = new(factory, "drsentinel_autoscaling_group_zone_healthy_instances",
            "Instances of the group in a zone that are InService and Healthy." + Cached, "autoscaling_group", "nodegroup", "az");
        _asgSuspended = new(factory, "drsentinel_autoscaling_group_suspended_process", "1 for each scaling process suspended on the group." + Cached,
            "autoscaling_group", "nodegroup", "process");

        _rdsInfo = new(factory, "drsentinel_rds_instance_info", "An RDS instance's placement and settings; always 1." + Cached,
            "db_instance", "engine", "role", "az", "secondary_az", "multi_az", "source_db_instance", "db_cluster");
        _rdsStatus = new(factory, "drsentinel_rds_instance_status", "1 on an RDS instance's current status as RDS reports it." + Cached, "db_instance", "status");
        _rdsAvailable = new(factory, "drsentinel_rds_instance_available", "1 when RDS reports the instance available, else 0." + Cached, "db_instance");
        _rdsPlacement = new(factory, "drsentinel_rds_instance_placement",
            "1 for the zone of each role of an RDS instance: its primary (or cluster writer), its standby, or itself as a read replica." + Cached,
            "db_instance", "role", "az");

        _pgUp = new(factory, "drsentinel_postgres_probe_up", "1 when DrSentinel connected to the instance and ran its queries within the timeout, else 0.", "db_instance", "az");
        _pgInRecovery = new(factory, "drsentinel_postgres_in_recovery", "1 when the instance is in recovery (a standby or replica), 0 when it accepts writes.", "db_instance", "az");
        _pgReplayLag = new(factory, "drsentinel_postgres_replication_lag_seconds",
            "On a replica: age of the last replayed transaction, 0 when it has replayed all it received.", "db_instance", "az");
        _pgReplicas = new(factory, "drsentinel_postgres_connected_replicas", "On a primary: standbys streaming from it (pg_stat_replication).", "db_instance", "az");
        _pgReplicaLagSeconds = new(factory, "drsentinel_postgres_replica_lag_seconds", "On a primary: replay lag of each streaming standby, by its application_name.",
            "db_instance", "az", "replica");
        _pgReplicaLagBytes = new(factory, "drsentinel_postgres_replica_lag_bytes", "On a primary: WAL bytes each streaming standby has yet to replay.",
            "db_instance", "az", "replica");
        _pgDuration = new(factory, "drsentinel_postgres_probe_duration_seconds", "Time the last PostgreSQL probe of the instance took.", "db_instance");

        _cacheInfo = new(factory, "drsentinel_elasticache_replication_group_info", "A replication group's settings and its primary's zone; always 1." + Cached,
            "replication_group", "automatic_failover", "multi_az", "cluster_enabled", "primary_az");
        _cacheStatus = new(factory, "drsentinel_elasticache_replication_group_status", "1 on a replication group's current status as ElastiCache reports it." + Cached,
            "replication_group", "status");
        _cacheMember = new(factory, "drsentinel_elasticache_member_info", "A replication group member's role and zone; always 1." + Cached,
            "replication_group", "cache_cluster", "role", "az");
        _cacheExpected = new(factory, "drsentinel_elasticache_replicas_expected", "Replicas the replication group is configured with." + Cached, "replication_group");

        _redisUp = new(factory, "drsentinel_redis_probe_up", "1 when DrSentinel got INFO replication from the member within the timeout, else 0.",
            "replication_group", "cache_cluster", "az");
        _redisRole = new(factory, "drsentinel_redis_role", "1 on the role the member itself reports (primary, replica).", "replication_group", "cache_cluster", "az", "role");
        _redisConnected = new(factory, "drsentinel_redis_connected_replicas", "On a primary: replicas connected to it, as it reports.", "replication_group", "cache_cluster", "az");
        _redisLink = new(factory, "drsentinel_redis_master_link_up", "On a replica: 1 when its link to the primary is up, else 0.", "replication_group", "cache_cluster", "az");
        _redisLag = new(factory, "drsentinel_redis_replication_lag_bytes",
            "On a replica: bytes of the primary's replication stream it has not yet processed (primary offset minus its own).", "replication_group", "cache_cluster", "az");
        _redisDuration = new(factory, "drsentinel_redis_probe_duration_seconds", "Time the last Redis probe of the member took.", "replication_group", "cache_cluster");

        _sourceUp = new(factory, "drsentinel_source_up", "1 when the source's last refresh succeeded, else 0 (its series then keep their last values).", "source");
        _sourceLastSuccess = new(factory, "drsentinel_source_last_success_timestamp_seconds", "When the source last refreshed successfully (Unix time).", "source");
        _sourceDuration = new(factory, "drsentinel_source_refresh_duration_seconds", "Time the source's last refresh took.", "source");

        registry.AddBeforeCollectCallback(Render);
    }

    private static string Flag(bool value) => value ? "true" : "false";

    private static string Condition(string readyStatus) => readyStatus switch
    {
        "True" => "ready",
        "False" => "not_ready",
        _ => "unknown",
    };

    /// <summary>Sets every series from one snapshot.</summary>
    private void Render()
    {
        var s = _store.Current;
        RenderNodes(s);
        RenderScalingGroups(s);
        RenderDatabases(s);
        RenderCaches(s);
        _sourceUp.Replace(s.Sources.Select(kv => (new[] { kv.Key }, kv.Value.Up ? 1.0 : 0.0)));
        _sourceLastSuccess.Replace(s.Sources.Where(kv => kv.Value.LastSuccess is not null)
            .Select(kv => (new[] { kv.Key }, kv.Value.LastSuccess!.Value.ToUnixTimeMilliseconds() / 1000.0)));
        _sourceDuration.Replace(s.Sources.Select(kv => (new[] { kv.Key }, kv.Value.LastDuration.TotalSeconds)));
    }

    private void RenderNodes(InventorySnapshot s)
    {
        _nodes.Replace(s.Nodes.ZoneCounts.GroupBy(c => (c.Zone, Condition(c.ReadyStatus), c.Schedulable))
            .Select(g => (new[] { g.Key.Zone, g.Key.Item2, Flag(g.Key.Schedulable) }, (double)g.Sum(c => c.Count))));
        var zones = ZoneHealth.Assess(s, _options.ZoneDegradedBelowReadyRatio, _options.ZoneUnavailableBelowReadyRatio);
        _zoneRatio.Replace(zones.Select(z => (new[] { z.Zone }, z.ReadyRatio)));
        _zoneStatus.Replace(zones.SelectMany(z => Enum.GetValues<ZoneStatus>()
            .Select(status => (new[] { z.Zone, status.ToString().ToLowerInvariant() }, z.Status == status ? 1.0 : 0.0))));
    }
}
