using DrSentinel.Inventory;
using DrSentinel.Inventory.Probes;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;

namespace DrSentinel.Metrics;

// Auto Scaling, RDS and ElastiCache series, with the probes of the same databases.
public sealed partial class InventoryMetrics
{
    private static readonly GaugeFamily AsgDesired = new("drsentinel_autoscaling_group_desired_capacity",
        "Desired capacity of an EC2 Auto Scaling group." + Cached, "autoscaling_group", "nodegroup");
    private static readonly GaugeFamily AsgMin = new("drsentinel_autoscaling_group_min_size", "Minimum size of an EC2 Auto Scaling group." + Cached,
        "autoscaling_group", "nodegroup");
    private static readonly GaugeFamily AsgMax = new("drsentinel_autoscaling_group_max_size", "Maximum size of an EC2 Auto Scaling group." + Cached,
        "autoscaling_group", "nodegroup");
    private static readonly GaugeFamily AsgZoneInService = new("drsentinel_autoscaling_group_zone_in_service_instances",
        "Instances of the group in a zone whose lifecycle state is InService; one series per zone of the group." + Cached, "autoscaling_group", "nodegroup", "az");
    private static readonly GaugeFamily AsgZoneHealthy = new("drsentinel_autoscaling_group_zone_healthy_instances",
        "Instances of the group in a zone that are InService and Healthy; one series per zone of the group." + Cached, "autoscaling_group", "nodegroup", "az");
    private static readonly GaugeFamily ZoneLoss = new("drsentinel_az_loss_instances",
        "Instances to be made up elsewhere if this zone were lost now: its share of spanning Auto Scaling groups plus the desired capacity of groups confined to it." + Cached, "az");
    private static readonly GaugeFamily ZoneLossAbsorbable = new("drsentinel_az_loss_absorbable_instances",
        "Of drsentinel_az_loss_instances, how many the other zones' groups could take within their MaxSize (static stability)." + Cached, "az");
    private static readonly GaugeFamily ZoneLossShortfall = new("drsentinel_az_loss_shortfall_instances",
        "Instances that could not be made up within MaxSize if this zone were lost now; above 0, losing the zone loses capacity." + Cached, "az");
    private static readonly GaugeFamily ZoneEvacuated = new("drsentinel_az_evacuated",
        "1 for a zone DrSentinel has evacuated and not yet restored, by the ledger on the groups and nodes it changed." + Cached, "az");
    private static readonly GaugeFamily AsgSuspended = new("drsentinel_autoscaling_group_suspended_process",
        "1 for each scaling process suspended on the group." + Cached, "autoscaling_group", "nodegroup", "process");

    private static readonly GaugeFamily RdsInfo = new("drsentinel_rds_instance_info",
        "An RDS instance's role (primary, standby, replica), placement and settings; always 1." + Cached,
        "db_instance", "engine", "role", "az", "secondary_az", "multi_az", "source_db_instance", "db_cluster");
    private static readonly GaugeFamily RdsStatus = new("drsentinel_rds_instance_status", "1 on an RDS instance's current status as RDS reports it." + Cached,
        "db_instance", "status");
    private static readonly GaugeFamily RdsAvailable = new("drsentinel_rds_instance_available", "1 when RDS reports the instance available, else 0." + Cached,
        "db_instance");
    private static readonly GaugeFamily RdsPlacement = new("drsentinel_rds_instance_placement",
        "1 for the zone of each role of an RDS instance: its primary (or cluster writer), its standby, or itself as a replica." + Cached,
        "db_instance", "role", "az");
    private static readonly GaugeFamily RdsReadReplicas = new("drsentinel_rds_instance_read_replicas",
        "Read replicas RDS lists for the instance, among those DrSentinel watches." + Cached, "db_instance");

    private static readonly GaugeFamily RdsRestorable = new("drsentinel_rds_latest_restorable_timestamp_seconds",
        "The newest time a point-in-time restore of the instance can reach (RDS's LatestRestorableTime); absent without automated backups." + Cached,
        "db_instance");
    private static readonly GaugeFamily NewestSnapshotTaken = new("drsentinel_snapshot_newest_timestamp_seconds",
        "When the newest available snapshot of an RDS instance or ElastiCache replication group of each kind (automated, manual) was taken." + Cached,
        "service", "resource", "kind");

    private static readonly GaugeFamily ZonalShiftWeight = new("drsentinel_zonal_shift_weight",
        "The traffic weight ARC zonal shift applies to a watched resource in a zone: 1, or 0 while a zonal shift moves its traffic away." + Cached,
        "resource", "az");
    private static readonly GaugeFamily ZonalShiftExpiry = new("drsentinel_zonal_shift_expiry_timestamp_seconds",
        "When an applied zonal shift away from the zone ends by itself unless extended; started_by is drsentinel or other." + Cached,
        "resource", "az", "started_by");

    private static readonly GaugeFamily PgConfigured = new("drsentinel_postgres_probe_configured",
        "1 when DrSentinel probes this PostgreSQL instance, 0 when the probe is off or no endpoint is known.", "db_instance");
    private static readonly GaugeFamily PgUp = new("drsentinel_postgres_probe_up",
        "1 when DrSentinel connected to the instance and ran its queries within the timeout, else 0.", "db_instance", "az");
    private static readonly GaugeFamily PgError = new("drsentinel_postgres_probe_error",
        "1 on the reason the last probe failed (timeout, refused, dns, tls, auth, protocol, other); absent while it succeeds.", "db_instance", "az", "reason");
    private static readonly GaugeFamily PgInRecovery = new("drsentinel_postgres_in_recovery",
        "1 when the instance is in recovery (a standby or replica), 0 when it accepts writes.", "db_instance", "az");
    private static readonly GaugeFamily PgReceiver = new("drsentinel_postgres_wal_receiver_up",
        "On a replica: 1 when its WAL receiver is streaming, else 0.", "db_instance", "az");
    private static readonly GaugeFamily PgReplayPosition = new("drsentinel_postgres_replay_lsn_bytes",
        "On a replica: the WAL position it has replayed to, in bytes; it stands still while the replica is stalled or cut off.", "db_instance", "az");
    private static readonly GaugeFamily PgLagBytes = new("drsentinel_postgres_replication_lag_bytes",
        "On a replica whose source is probed too: the source's current WAL position minus the replica's replayed position.", "db_instance", "az");
    private static readonly GaugeFamily PgLagSeconds = new("drsentinel_postgres_replication_lag_seconds",
        "On a replica whose source is probed too: 0 when it has replayed all its source wrote, else the age of its last replayed transaction.",
        "db_instance", "az");
    private static readonly GaugeFamily PgReplicas = new("drsentinel_postgres_connected_replicas",
        "On a primary: standbys streaming from it (pg_stat_replication).", "db_instance", "az");
    private static readonly GaugeFamily PgReplicaLagSeconds = new("drsentinel_postgres_replica_lag_seconds",
        "On a primary: replay lag of each streaming standby, by its application_name.", "db_instance", "az", "replica");
    private static readonly GaugeFamily PgReplicaLagBytes = new("drsentinel_postgres_replica_lag_bytes",
        "On a primary: WAL bytes each streaming standby has yet to replay.", "db_instance", "az", "replica");
    private static readonly GaugeFamily PgDuration = new("drsentinel_postgres_probe_duration_seconds",
        "Time the last PostgreSQL probe of the instance took.", "db_instance");

    private static readonly GaugeFamily CacheInfo = new("drsentinel_elasticache_replication_group_info",
        "A replication group's settings and its primary's zone; always 1." + Cached, "replication_group", "automatic_failover", "multi_az", "cluster_enabled", "primary_az");
    private static readonly GaugeFamily CacheStatus = new("drsentinel_elasticache_replication_group_status",
        "1 on a replication group's current status as ElastiCache reports it." + Cached, "replication_group", "status");
    private static readonly GaugeFamily CacheMember = new("drsentinel_elasticache_member_info",
        "A replication group member's role (primary, replica) and zone as ElastiCache reports them; always 1." + Cached, "replication_group", "cache_cluster", "role", "az");
    private static readonly GaugeFamily CacheExpected = new("drsentinel_elasticache_replicas_expected",
        "Replicas the replication group is configured with." + Cached, "replication_group");

    private static readonly GaugeFamily RedisConfigured = new("drsentinel_redis_probe_configured",
        "1 when DrSentinel probes this ElastiCache member, 0 when the probe is off or no endpoint is known.", "replication_group", "cache_cluster");
    private static readonly GaugeFamily RedisUp = new("drsentinel_redis_probe_up",
        "1 when DrSentinel got INFO replication from the member within the timeout, else 0.", "replication_group", "cache_cluster", "az");
    private static readonly GaugeFamily RedisError = new("drsentinel_redis_probe_error",
        "1 on the reason the last probe failed (timeout, refused, dns, tls, auth, protocol, other); absent while it succeeds.",
        "replication_group", "cache_cluster", "az", "reason");
    private static readonly GaugeFamily RedisRole = new("drsentinel_redis_role",
        "1 on the role the member itself reports (primary, replica).", "replication_group", "cache_cluster", "az", "role");
    private static readonly GaugeFamily RedisConnected = new("drsentinel_redis_connected_replicas",
        "On a primary: replicas connected to it, as it reports.", "replication_group", "cache_cluster", "az");
    private static readonly GaugeFamily RedisLink = new("drsentinel_redis_master_link_up",
        "On a replica: 1 when its link to the primary is up, else 0.", "replication_group", "cache_cluster", "az");
    private static readonly GaugeFamily RedisLag = new("drsentinel_redis_replication_lag_bytes",
        "On a replica: bytes of the primary's replication stream it has not yet processed (primary offset minus its own).", "replication_group", "cache_cluster", "az");
    private static readonly GaugeFamily RedisDuration = new("drsentinel_redis_probe_duration_seconds",
        "Time the last Redis probe of the member took.", "replication_group", "cache_cluster");

    private static void RenderScalingGroups(ExpositionWriter w, InventorySnapshot s)
    {
        string[] Group(ScalingGroupState g) => [g.Name, g.NodeGroup ?? ""];
        string[] Zone(ScalingGroupState g, string az) => [g.Name, g.NodeGroup ?? "", az];
        w.Write(AsgDesired, s.ScalingGroups.Select(g => (Group(g), (double)g.DesiredCapacity)));
        w.Write(AsgMin, s.ScalingGroups.Select(g => (Group(g), (double)g.MinSize)));
        w.Write(AsgMax, s.ScalingGroups.Select(g => (Group(g), (double)g.MaxSize)));
        w.Write(AsgZoneInService, s.ScalingGroups.SelectMany(g => g.Zones.Select(az =>
            (Zone(g, az), (double)g.Instances.Count(i => i.Zone == az && i.LifecycleState == "InService")))));
        w.Write(AsgZoneHealthy, s.ScalingGroups.SelectMany(g => g.Zones.Select(az =>
            (Zone(g, az), (double)g.Instances.Count(i => i.Zone == az && i.LifecycleState == "InService" && i.Healthy)))));
        w.Write(AsgSuspended, s.ScalingGroups.SelectMany(g => g.SuspendedProcesses.Select(p => (new[] { g.Name, g.NodeGroup ?? "", p }, 1.0))));
        var headroom = ZoneLossHeadroom.Assess(s);
        w.Write(ZoneLoss, headroom.Select(h => (new[] { h.Zone }, (double)h.Lost)));
        w.Write(ZoneLossAbsorbable, headroom.Select(h => (new[] { h.Zone }, (double)h.Absorbable)));
        w.Write(ZoneLossShortfall, headroom.Select(h => (new[] { h.Zone }, (double)h.Shortfall)));
        w.Write(ZoneEvacuated, EvacuationPlanner.EvacuatedZones(s).Select(z => (new[] { z }, 1.0)));
    }

    private static void RenderZonalShifts(ExpositionWriter w, InventorySnapshot s)
    {
        w.Write(ZonalShiftWeight, s.ZonalShiftResources.SelectMany(r => r.AppliedWeights.Select(z => (new[] { r.Name, z.Key }, z.Value))));
        // An autoshift has no expiry: AWS ends it when the zone looks healthy to it.
        w.Write(ZonalShiftExpiry, s.ZonalShiftResources.SelectMany(r => r.Shifts.Where(x => x.Applied && x.ExpiryTime != DateTimeOffset.MaxValue)
            .Select(x => (new[] { r.Name, x.AwayFrom, x.Ours ? "drsentinel" : "other" }, x.ExpiryTime.ToUnixTimeMilliseconds() / 1000.0))));
    }

    private static void RenderDatabases(ExpositionWriter w, InventorySnapshot s, PostgresProbeOptions settings)
    {
        w.Write(RdsInfo, s.DbInstances.Select(d => (new[]
        {
            d.Id, d.Engine, d.Role.Label(), d.Zone ?? "", d.SecondaryZone ?? "", Flag(d.MultiAz), d.SourceInstanceId ?? "", d.ClusterId ?? "",
        }, 1.0)));
        w.Write(RdsStatus, s.DbInstances.Select(d => (new[] { d.Id, d.Status }, 1.0)));
        w.Write(RdsAvailable, s.DbInstances.Select(d => (new[] { d.Id }, d.Available ? 1.0 : 0.0)));
        w.Write(RdsPlacement, s.DbInstances.SelectMany(d => d.Placements().Select(p => (new[] { d.Id, p.Role.Label(), p.Zone }, 1.0))));
        w.Write(RdsRestorable, s.DbInstances.Where(d => d.LatestRestorableTime is not null)
            .Select(d => (new[] { d.Id }, d.LatestRestorableTime!.Value.ToUnixTimeMilliseconds() / 1000.0)));
        w.Write(NewestSnapshotTaken, s.Snapshots.Select(n => (new[] { n.Service, n.Resource, n.Kind }, n.TakenAt.ToUnixTimeMilliseconds() / 1000.0)));
        w.Write(RdsReadReplicas, s.DbInstances.Where(d => d.Role == DbRole.Primary)
            .Select(d => (new[] { d.Id }, (double)s.DbInstances.Count(r => r.SourceInstanceId == d.Id))));

        w.Write(PgConfigured, PostgresProbeSource.Targets(s, settings).Select(t => (new[] { t.Instance.Id }, settings.Enabled && t.Endpoint is not null ? 1.0 : 0.0)));
        var probes = s.PostgresProbes;
        string[] Db(PostgresProbeResult p) => [p.DbInstance, p.Zone ?? ""];
        w.Write(PgUp, probes.Select(p => (Db(p), p.Up ? 1.0 : 0.0)));
        w.Write(PgError, probes.Where(p => p.Failure is not null).Select(p => (new[] { p.DbInstance, p.Zone ?? "", p.Failure!.Value.Label() }, 1.0)));
        w.Write(PgInRecovery, probes.Where(p => p.InRecovery is not null).Select(p => (Db(p), p.InRecovery!.Value ? 1.0 : 0.0)));
        w.Write(PgReceiver, probes.Where(p => p.WalReceiverStreaming is not null).Select(p => (Db(p), p.WalReceiverStreaming!.Value ? 1.0 : 0.0)));
        w.Write(PgReplayPosition, probes.Where(p => p is { InRecovery: true, WalPosition: not null }).Select(p => (Db(p), (double)p.WalPosition!.Value)));
        var lags = ReplicaLag.Assess(s);
        w.Write(PgLagBytes, lags.Select(l => (new[] { l.DbInstance, l.Zone ?? "" }, l.Bytes)));
        w.Write(PgLagSeconds, lags.Where(l => l.Seconds is not null).Select(l => (new[] { l.DbInstance, l.Zone ?? "" }, l.Seconds!.Value)));
        w.Write(PgReplicas, probes.Where(p => p.InRecovery is false).Select(p => (Db(p), (double)p.Replicas.Length)));
        w.Write(PgReplicaLagSeconds, probes.SelectMany(p => p.Replicas.Where(r => r.LagSeconds is not null)
            .Select(r => (new[] { p.DbInstance, p.Zone ?? "", r.Name }, r.LagSeconds!.Value))));
        w.Write(PgReplicaLagBytes, probes.SelectMany(p => p.Replicas.Where(r => r.LagBytes is not null)
            .Select(r => (new[] { p.DbInstance, p.Zone ?? "", r.Name }, r.LagBytes!.Value))));
        w.Write(PgDuration, probes.Select(p => (new[] { p.DbInstance }, p.Duration.TotalSeconds)));
    }

    private static void RenderCaches(ExpositionWriter w, InventorySnapshot s, RedisProbeOptions settings)
    {
        w.Write(CacheInfo, s.ReplicationGroups.Select(g => (new[]
        {
            g.Id, Flag(g.AutomaticFailover), Flag(g.MultiAz), Flag(g.ClusterEnabled), g.Members.FirstOrDefault(m => m.Role == "primary")?.Zone ?? "",
        }, 1.0)));
        w.Write(CacheStatus, s.ReplicationGroups.Select(g => (new[] { g.Id, g.Status }, 1.0)));
        w.Write(CacheMember, s.ReplicationGroups.SelectMany(g => g.Members.Select(m => (new[] { g.Id, m.CacheClusterId, m.Role, m.Zone ?? "" }, 1.0))));
        w.Write(CacheExpected, s.ReplicationGroups.Select(g => (new[] { g.Id }, (double)g.ExpectedReplicas)));

        w.Write(RedisConfigured, RedisProbeSource.Targets(s, settings)
            .Select(t => (new[] { t.Group, t.Member.CacheClusterId }, settings.Enabled && t.Endpoint is not null ? 1.0 : 0.0)));
        var probes = s.RedisProbes;
        string[] Member(RedisProbeResult p) => [p.ReplicationGroup, p.CacheClusterId, p.Zone ?? ""];
        w.Write(RedisUp, probes.Select(p => (Member(p), p.Up ? 1.0 : 0.0)));
        w.Write(RedisError, probes.Where(p => p.Failure is not null)
            .Select(p => (new[] { p.ReplicationGroup, p.CacheClusterId, p.Zone ?? "", p.Failure!.Value.Label() }, 1.0)));
        w.Write(RedisRole, probes.Where(p => p.Role is not null).Select(p => (new[] { p.ReplicationGroup, p.CacheClusterId, p.Zone ?? "", p.Role! }, 1.0)));
        w.Write(RedisConnected, probes.Where(p => p.ConnectedReplicas is not null).Select(p => (Member(p), (double)p.ConnectedReplicas!.Value)));
        w.Write(RedisLink, probes.Where(p => p.MasterLinkUp is not null).Select(p => (Member(p), p.MasterLinkUp!.Value ? 1.0 : 0.0)));
        var primaryOffsets = probes.Where(p => p is { Up: true, Role: "primary", ReplicationOffset: not null })
            .GroupBy(p => p.ReplicationGroup).ToDictionary(g => g.Key, g => g.Max(p => p.ReplicationOffset!.Value), StringComparer.Ordinal);
        w.Write(RedisLag, probes.Where(p => p is { Up: true, Role: "replica", ReplicationOffset: not null } && primaryOffsets.ContainsKey(p.ReplicationGroup))
            .Select(p => (Member(p), (double)Math.Max(0, primaryOffsets[p.ReplicationGroup] - p.ReplicationOffset!.Value))));
        w.Write(RedisDuration, probes.Select(p => (new[] { p.ReplicationGroup, p.CacheClusterId }, p.Duration.TotalSeconds)));
    }
}
