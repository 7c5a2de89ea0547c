using System.Collections.Immutable;
using DrSentinel.Inventory.Kubernetes;

namespace DrSentinel.Inventory;

/// <summary>
/// Everything DrSentinel knows, as one immutable value. Sources replace their part and swap the whole snapshot;
/// /metrics, and later the planner, read one snapshot and never see a half-applied refresh.
/// </summary>
public sealed record InventorySnapshot
{
    public static readonly InventorySnapshot Empty = new();

    public ImmutableDictionary<string, SourceStatus> Sources { get; init; } = ImmutableDictionary<string, SourceStatus>.Empty;
    public NodeInventory Nodes { get; init; } = NodeInventory.Empty;
    public ImmutableArray<ScalingGroupState> ScalingGroups { get; init; } = [];
    public ImmutableArray<DbInstanceState> DbInstances { get; init; } = [];
    public ImmutableArray<ReplicationGroupState> ReplicationGroups { get; init; } = [];
    public ImmutableArray<PostgresProbeResult> PostgresProbes { get; init; } = [];
    public ImmutableArray<RedisProbeResult> RedisProbes { get; init; } = [];
}

/// <summary>How one source is doing: its values in the snapshot are from <see cref="LastSuccess"/>, whatever <see cref="Up"/> says.</summary>
public sealed record SourceStatus(bool Up, DateTimeOffset? LastSuccess, TimeSpan LastDuration, string? LastErrorType);

/// <summary>The nodes by name, with per-zone counts computed once per version of the set.</summary>
public sealed class NodeInventory
{
    public static readonly NodeInventory Empty = new(ImmutableDictionary<string, NodeState>.Empty);
    private readonly Lazy<ImmutableArray<ZoneNodeCount>> _zoneCounts;

    public NodeInventory(ImmutableDictionary<string, NodeState> nodes)
    {
        ByName = nodes;
        _zoneCounts = new(() => nodes.Values
            .GroupBy(n => (Zone: n.Zone ?? "unknown", n.ReadyStatus, n.Unschedulable))
            .Select(g => new ZoneNodeCount(g.Key.Zone, g.Key.ReadyStatus, !g.Key.Unschedulable, g.Count()))
            .OrderBy(c => c.Zone, StringComparer.Ordinal).ThenBy(c => c.ReadyStatus, StringComparer.Ordinal).ThenBy(c => c.Schedulable)
            .ToImmutableArray());
    }

    public ImmutableDictionary<string, NodeState> ByName { get; }

    /// <summary>Nodes per zone, Ready status and schedulability; computed once per node set, on first read.</summary>
    public ImmutableArray<ZoneNodeCount> ZoneCounts => _zoneCounts.Value;
}

public sealed record ZoneNodeCount(string Zone, string ReadyStatus, bool Schedulable, int Count);

public sealed record ScalingGroupState(
    string Name, string? NodeGroup, int MinSize, int MaxSize, int DesiredCapacity,
    ImmutableArray<string> Zones, ImmutableArray<ScalingInstanceState> Instances, ImmutableArray<string> SuspendedProcesses)
{
    /// <summary>
    /// The instances <paramref name="zone"/> should hold: Auto Scaling spreads the desired capacity evenly over the
    /// group's zones, the first zones (by name) taking the remainder.
    /// </summary>
    public int DesiredIn(string zone)
    {
        var index = Zones.IndexOf(zone);
        return index < 0 ? 0 : DesiredCapacity / Zones.Length + (index < DesiredCapacity % Zones.Length ? 1 : 0);
    }
}

public sealed record ScalingInstanceState(string InstanceId, string Zone, string LifecycleState, bool Healthy);

public enum DbRole { Primary, Standby, ReadReplica }

/// <summary>An RDS instance; a Multi-AZ instance's standby has no id of its own and shows as <see cref="SecondaryZone"/>.</summary>
public sealed record DbInstanceState(
    string Id, string Engine, string Status, string? Zone, string? SecondaryZone, bool MultiAz,
    string? SourceInstanceId, string? ClusterId, bool? IsClusterWriter, string? EndpointAddress, int? EndpointPort)
{
    public bool Available => Status == "available";

    /// <summary>Where each role of this instance lives: a primary (or cluster writer), its standby, or a read replica.</summary>
    public IEnumerable<(DbRole Role, string Zone)> Placements()
    {
        if (Zone is null) yield break;
        if (SourceInstanceId is not null) yield return (DbRole.ReadReplica, Zone);
        else if (IsClusterWriter is false) yield return (DbRole.Standby, Zone);
        else
        {
            yield return (DbRole.Primary, Zone);
            if (MultiAz && SecondaryZone is not null && ClusterId is null) yield return (DbRole.Standby, SecondaryZone);
        }
    }
}

public sealed record ReplicationGroupState(
    string Id, string Status, bool AutomaticFailover, bool MultiAz, bool ClusterEnabled, ImmutableArray<CacheMemberState> Members)
{
    public int ExpectedReplicas => Members.Count(m => m.Role != "primary");
}

public sealed record CacheMemberState(string CacheClusterId, string NodeGroupId, string? Zone, string Role, string? EndpointAddress, int? EndpointPort);

public sealed record PostgresProbeResult(
    string DbInstance, string? Zone, bool Up, bool? InRecovery, double? ReplayLagSeconds, ImmutableArray<PostgresReplicaLag> Replicas, TimeSpan Duration);

/// <summary>One standby as its primary sees it in pg_stat_replication, named by its application_name.</summary>
public sealed record PostgresReplicaLag(string Name, double? LagSeconds, double? LagBytes);

public sealed record RedisProbeResult(
    string ReplicationGroup, string CacheClusterId, string? Zone, bool Up, string? Role, int? ConnectedReplicas,
    bool? MasterLinkUp, long? ReplicationOffset, TimeSpan Duration);
