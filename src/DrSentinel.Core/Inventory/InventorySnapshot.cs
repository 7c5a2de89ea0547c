using System.Collections.Immutable;

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

    /// <summary>The newest snapshot of each RDS instance and replication group, by kind (automated, manual).</summary>
    public ImmutableArray<NewestSnapshot> Snapshots { get; init; } = [];
    public ImmutableArray<PostgresProbeResult> PostgresProbes { get; init; } = [];
    public ImmutableArray<RedisProbeResult> RedisProbes { get; init; } = [];

    /// <summary>The resources registered with ARC zonal shift that DrSentinel watches (Inventory:ZonalShiftResources); empty when none.</summary>
    public ImmutableArray<ZonalShiftResourceState> ZonalShiftResources { get; init; } = [];

    /// <summary>The zone verdict, computed by the store from this snapshot's nodes and groups whenever it swaps one in.</summary>
    public ImmutableArray<ZoneHealth> Zones { get; init; } = [];

    /// <summary>
    /// The zones judged unreachable at the last update: the memory that keeps a zone unreachable while it is cut off,
    /// once AWS or DrSentinel moved its primaries out and fewer than two members are left there to probe.
    /// </summary>
    public ImmutableHashSet<string> UnreachableZones { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>The kubelets' heartbeats per zone, read only while a zone is cut off (empty otherwise).</summary>
    public ImmutableArray<ZoneKubelets> Kubelets { get; init; } = [];
}

/// <summary>How one source is doing: its values in the snapshot are from <see cref="LastSuccess"/>, whatever <see cref="Up"/> says.</summary>
public sealed record SourceStatus(bool Up, DateTimeOffset? LastSuccess, TimeSpan LastDuration, string? LastErrorType);

/// <summary>The nodes by name, with per-zone counts computed once per version of the set.</summary>
public sealed class NodeInventory
{
    public static readonly NodeInventory Empty = new(ImmutableDictionary<string, NodeState>.Empty);
    private readonly Lazy<ImmutableArray<ZoneNodeCount>> _zoneCounts;
    private readonly Lazy<ImmutableSortedSet<string>> _cordonedFor;

    public NodeInventory(ImmutableDictionary<string, NodeState> nodes)
    {
        ByName = nodes;
        _cordonedFor = new(() => nodes.Values.Select(n => n.CordonedFor).OfType<string>().ToImmutableSortedSet(StringComparer.Ordinal));
        _zoneCounts = new(() => nodes.Values
            .GroupBy(n => (Zone: n.Zone ?? "unknown", n.ReadyStatus, n.Unschedulable))
            .Select(g => new ZoneNodeCount(g.Key.Zone, g.Key.ReadyStatus, !g.Key.Unschedulable, g.Count()))
            .OrderBy(c => c.Zone, StringComparer.Ordinal).ThenBy(c => c.ReadyStatus, StringComparer.Ordinal).ThenBy(c => c.Schedulable)
            .ToImmutableArray());
    }

    public ImmutableDictionary<string, NodeState> ByName { get; }

    /// <summary>Nodes per zone, Ready status and schedulability; computed once per node set, on first read.</summary>
    public ImmutableArray<ZoneNodeCount> ZoneCounts => _zoneCounts.Value;

    /// <summary>The zones DrSentinel has cordoned nodes for (their annotation); computed once per node set, on first read.</summary>
    public ImmutableSortedSet<string> CordonedFor => _cordonedFor.Value;
}

/// <summary>
/// What DrSentinel keeps of a Kubernetes node; <see cref="CordonedFor"/> is the zone DrSentinel cordoned it for (its
/// annotation), so an evacuation survives a restart and is undone only where DrSentinel did it.
/// </summary>
public sealed record NodeState(string Name, string? Zone, string? NodeGroup, string ReadyStatus, bool Unschedulable, string? ResourceVersion,
    string? CordonedFor = null)
{
    public bool Ready => ReadyStatus == "True";
}

public sealed record ZoneNodeCount(string Zone, string ReadyStatus, bool Schedulable, int Count);

public sealed record ScalingGroupState(
    string Name, string? NodeGroup, int MinSize, int MaxSize, int DesiredCapacity,
    ImmutableArray<string> Zones, ImmutableArray<ScalingInstanceState> Instances, ImmutableArray<string> SuspendedProcesses)
{
    /// <summary>The group's subnets (VPCZoneIdentifier, in its order) with their zones.</summary>
    public ImmutableArray<SubnetPlacement> Subnets { get; init; } = [];

    /// <summary>The tags DrSentinel reads: its own ledger and cluster-autoscaler's discovery tags.</summary>
    public ImmutableDictionary<string, string> Tags { get; init; } = ImmutableDictionary<string, string>.Empty;

    public string? Arn { get; init; }
}

public sealed record SubnetPlacement(string SubnetId, string? Zone);

public sealed record ScalingInstanceState(string InstanceId, string Zone, string LifecycleState, bool Healthy);

/// <summary>The one role vocabulary of every <c>role</c> label: writes, failover target, read copy.</summary>
public enum DbRole { Primary, Standby, Replica }

public static class Roles
{
    public static string Label(this DbRole role) => role switch
    {
        DbRole.Primary => "primary",
        DbRole.Standby => "standby",
        _ => "replica",
    };
}

/// <summary>An RDS instance; a Multi-AZ instance's standby has no id of its own and shows as <see cref="SecondaryZone"/>.</summary>
public sealed record DbInstanceState(
    string Id, string Engine, string Status, string? Zone, string? SecondaryZone, bool MultiAz,
    string? SourceInstanceId, string? ClusterId, bool? IsClusterWriter, string? EndpointAddress, int? EndpointPort)
{
    public bool Available => Status == "available";

    public string? Arn { get; init; }

    /// <summary>The newest time a point-in-time restore can reach (RDS's LatestRestorableTime); null without automated backups.</summary>
    public DateTimeOffset? LatestRestorableTime { get; init; }

    /// <summary>DrSentinel's own tags on the instance (its failover ledger); other tags are not kept.</summary>
    public ImmutableDictionary<string, string> Tags { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The role of the instance itself: a cluster reader is a standby, a read replica a replica.</summary>
    public DbRole Role => SourceInstanceId is not null ? DbRole.Replica : IsClusterWriter is false ? DbRole.Standby : DbRole.Primary;

    /// <summary>The instance this one replicates from: a read replica's source, or a cluster reader's writer.</summary>
    public string? ReplicatesFrom(IEnumerable<DbInstanceState> all) => SourceInstanceId
        ?? (IsClusterWriter is false ? all.FirstOrDefault(d => d.ClusterId == ClusterId && d.IsClusterWriter is true)?.Id : null);

    /// <summary>Where each role of this instance lives: a primary (or cluster writer), its standby, or a read replica.</summary>
    public IEnumerable<(DbRole Role, string Zone)> Placements()
    {
        if (Zone is null) yield break;
        if (SourceInstanceId is not null) yield return (DbRole.Replica, Zone);
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

    public string? Arn { get; init; }

    /// <summary>The group's tags (ListTagsForResource), DrSentinel's failover ledger among them.</summary>
    public ImmutableDictionary<string, string> Tags { get; init; } = ImmutableDictionary<string, string>.Empty;
}

/// <summary>
/// A resource registered with ARC zonal shift: the traffic weight ARC applies in each zone (0 where a shift moved traffic
/// away) and its active shifts. <see cref="IsCluster"/>: an EKS cluster, where AWS's own shift already keeps pods and
/// managed nodes out of the zone.
/// </summary>
public sealed record ZonalShiftResourceState(string Arn, string Name, ImmutableSortedDictionary<string, double> AppliedWeights, ImmutableArray<ActiveZonalShift> Shifts)
{
    public bool IsCluster => Arn.StartsWith("arn:", StringComparison.Ordinal) && Arn.Contains(":eks:", StringComparison.Ordinal) && Arn.Contains(":cluster/", StringComparison.Ordinal);

    /// <summary>The applied shift away from <paramref name="zone"/>, whoever started it; null when traffic still goes there.</summary>
    public ActiveZonalShift? AwayFrom(string zone) => Shifts.FirstOrDefault(s => s.AwayFrom == zone && s.Applied);
}

/// <summary>One active zonal shift; <see cref="Ours"/> when its comment carries DrSentinel's mark (it started it).</summary>
public sealed record ActiveZonalShift(string Id, string AwayFrom, string Comment, DateTimeOffset ExpiryTime, bool Applied)
{
    /// <summary>The start of every comment DrSentinel writes on a shift: how it tells its own shifts from anyone else's.</summary>
    public const string Mark = "DrSentinel";

    public const string CustomerShift = "ZONAL_SHIFT";

    /// <summary>ZONAL_SHIFT (a customer's: DrSentinel's, an operator's), PRACTICE_RUN, FIS_EXPERIMENT or ZONAL_AUTOSHIFT.</summary>
    public string ShiftType { get; init; } = CustomerShift;

    public bool Ours => ShiftType == CustomerShift && Comment.StartsWith(Mark, StringComparison.Ordinal);

    /// <summary>
    /// AWS's own shift, which a customer's gives way to: ARC applies "customer-initiated zonal shifts > autoshifts > practice
    /// run zonal shifts" (botocore, appliedStatus), and a customer's shift cancels a practice run or an FIS experiment's.
    /// </summary>
    public bool GivesWay => ShiftType != CustomerShift;
}

/// <summary>The newest available snapshot of one resource (<paramref name="Service"/> rds or elasticache) of one kind (automated, manual).</summary>
public sealed record NewestSnapshot(string Service, string Resource, string Kind, DateTimeOffset TakenAt);

public sealed record CacheMemberState(string CacheClusterId, string NodeGroupId, string? Zone, string Role, string? EndpointAddress, int? EndpointPort);

/// <summary>
/// One probe of a PostgreSQL instance. On a primary <see cref="WalPosition"/> is pg_current_wal_lsn(); on a replica it is
/// pg_last_wal_replay_lsn(), with the age of its last replayed transaction and whether its WAL receiver streams.
/// </summary>
public sealed record PostgresProbeResult(
    string DbInstance, string? Zone, bool Up, bool? InRecovery, ulong? WalPosition, double? LastReplayAgeSeconds, bool? WalReceiverStreaming,
    ImmutableArray<PostgresReplicaLag> Replicas, TimeSpan Duration, ProbeFailure? Failure = null);

/// <summary>Why a probe failed, as a bounded label value.</summary>
public enum ProbeFailure { Timeout, Refused, Dns, Tls, Auth, Protocol, Other }

/// <summary>One standby as its primary sees it in pg_stat_replication, named by its application_name.</summary>
public sealed record PostgresReplicaLag(string Name, double? LagSeconds, double? LagBytes);

public sealed record RedisProbeResult(
    string ReplicationGroup, string CacheClusterId, string? Zone, bool Up, string? Role, int? ConnectedReplicas,
    bool? MasterLinkUp, long? ReplicationOffset, TimeSpan Duration, ProbeFailure? Failure = null);
