using DrSentinel.Inventory;

namespace DrSentinel.Metrics;

// Auto Scaling, RDS and ElastiCache series, with the probes of the same databases.
public sealed partial class InventoryMetrics
{
    private void RenderScalingGroups(InventorySnapshot s)
    {
        string[] Group(ScalingGroupState g) => [g.Name, g.NodeGroup ?? ""];
        string[] Zone(ScalingGroupState g, string az) => [g.Name, g.NodeGroup ?? "", az];
        _asgDesired.Replace(s.ScalingGroups.Select(g => (Group(g), (double)g.DesiredCapacity)));
        _asgMin.Replace(s.ScalingGroups.Select(g => (Group(g), (double)g.MinSize)));
        _asgMax.Replace(s.ScalingGroups.Select(g => (Group(g), (double)g.MaxSize)));
        _asgZoneDesired.Replace(s.ScalingGroups.SelectMany(g => g.Zones.Select(az => (Zone(g, az), (double)g.DesiredIn(az)))));
        _asgZoneInService.Replace(s.ScalingGroups.SelectMany(g => g.Zones.Select(az =>
            (Zone(g, az), (double)g.Instances.Count(i => i.Zone == az && i.LifecycleState == "InService")))));
        _asgZoneHealthy.Replace(s.ScalingGroups.SelectMany(g => g.Zones.Select(az =>
            (Zone(g, az), (double)g.Instances.Count(i => i.Zone == az && i.LifecycleState == "InService" && i.Healthy)))));
        _asgSuspended.Replace(s.ScalingGroups.SelectMany(g => g.SuspendedProcesses.Select(p => (new[] { g.Name, g.NodeGroup ?? "", p }, 1.0))));
    }

    private void RenderDatabases(InventorySnapshot s)
    {
        _rdsInfo.Replace(s.DbInstances.Select(d => (new[]
        {
            d.Id, d.Engine, d.SourceInstanceId is not null ? "read_replica" : d.IsClusterWriter is false ? "cluster_reader" : d.IsClusterWriter is true ? "cluster_writer" : "primary",
            d.Zone ?? "", d.SecondaryZone ?? "", Flag(d.MultiAz), d.SourceInstanceId ?? "", d.ClusterId ?? "",
        }, 1.0)));
        _rdsStatus.Replace(s.DbInstances.Select(d => (new[] { d.Id, d.Status }, 1.0)));
        _rdsAvailable.Replace(s.DbInstances.Select(d => (new[] { d.Id }, d.Available ? 1.0 : 0.0)));
        _rdsPlacement.Replace(s.DbInstances.SelectMany(d => d.Placements().Select(p =>
            (new[] { d.Id, p.Role switch { DbRole.Primary => "primary", DbRole.Standby => "standby", _ => "read_replica" }, p.Zone }, 1.0))));

        var probes = s.PostgresProbes;
        string[] Db(PostgresProbeResult p) => [p.DbInstance, p.Zone ?? ""];
        _pgUp.Replace(probes.Select(p => (Db(p), p.Up ? 1.0 : 0.0)));
        _pgInRecovery.Replace(probes.Where(p => p.InRecovery is not null).Select(p => (Db(p), p.InRecovery!.Value ? 1.0 : 0.0)));
        _pgReplayLag.Replace(probes.Where(p => p.ReplayLagSeconds is not null).Select(p => (Db(p), p.ReplayLagSeconds!.Value)));
        _pgReplicas.Replace(probes.Where(p => p.InRecovery is false).Select(p => (Db(p), (double)p.Replicas.Length)));
        _pgReplicaLagSeconds.Replace(probes.SelectMany(p => p.Replicas.Where(r => r.LagSeconds is not null)
            .Select(r => (new[] { p.DbInstance, p.Zone ?? "", r.Name }, r.LagSeconds!.Value))));
        _pgReplicaLagBytes.Replace(probes.SelectMany(p => p.Replicas.Where(r => r.LagBytes is not null)
            .Select(r => (new[] { p.DbInstance, p.Zone ?? "", r.Name }, r.LagBytes!.Value))));
        _pgDuration.Replace(probes.Select(p => (new[] { p.DbInstance }, p.Duration.TotalSeconds)));
    }

    private void RenderCaches(InventorySnapshot s)
    {
        _cacheInfo.Replace(s.ReplicationGroups.Select(g => (new[]
        {
            g.Id, Flag(g.AutomaticFailover), Flag(g.MultiAz), Flag(g.ClusterEnabled), g.Members.FirstOrDefault(m => m.Role == "primary")?.Zone ?? "",
        }, 1.0)));
        _cacheStatus.Replace(s.ReplicationGroups.Select(g => (new[] { g.Id, g.Status }, 1.0)));
        _cacheMember.Replace(s.ReplicationGroups.SelectMany(g => g.Members.Select(m => (new[] { g.Id, m.CacheClusterId, m.Role, m.Zone ?? "" }, 1.0))));
        _cacheExpected.Replace(s.ReplicationGroups.Select(g => (new[] { g.Id }, (double)g.ExpectedReplicas)));

        var probes = s.RedisProbes;
        string[] Member(RedisProbeResult p) => [p.ReplicationGroup, p.CacheClusterId, p.Zone ?? ""];
        _redisUp.Replace(probes.Select(p => (Member(p), p.Up ? 1.0 : 0.0)));
        _redisRole.Replace(probes.Where(p => p.Role is not null).Select(p => (new[] { p.ReplicationGroup, p.CacheClusterId, p.Zone ?? "", p.Role! }, 1.0)));
        _redisConnected.Replace(probes.Where(p => p.ConnectedReplicas is not null).Select(p => (Member(p), (double)p.ConnectedReplicas!.Value)));
        _redisLink.Replace(probes.Where(p => p.MasterLinkUp is not null).Select(p => (Member(p), p.MasterLinkUp!.Value ? 1.0 : 0.0)));
        var primaryOffsets = probes.Where(p => p is { Up: true, Role: "primary", ReplicationOffset: not null })
            .GroupBy(p => p.ReplicationGroup).ToDictionary(g => g.Key, g => g.Max(p => p.ReplicationOffset!.Value), StringComparer.Ordinal);
        _redisLag.Replace(probes.Where(p => p is { Up: true, Role: "replica", ReplicationOffset: not null } && primaryOffsets.ContainsKey(p.ReplicationGroup))
            .Select(p => (Member(p), (double)Math.Max(0, primaryOffsets[p.ReplicationGroup] - p.ReplicationOffset!.Value))));
        _redisDuration.Replace(probes.Select(p => (new[] { p.ReplicationGroup, p.CacheClusterId }, p.Duration.TotalSeconds)));
    }
}
