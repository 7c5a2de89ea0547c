using System.Collections.Immutable;

namespace DrSentinel.Planning;

/// <summary>What the planner may touch and when it must refuse.</summary>
public sealed record ActionPolicy
{
    /// <summary>Auto Scaling group names or EKS node group names DrSentinel may change; empty means none.</summary>
    public ImmutableHashSet<string> AllowedNodeGroups { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>Start a zonal shift away from the lost zone on each watched zonal-shift resource (Actions:ShiftTrafficAway).</summary>
    public bool ShiftTrafficAway { get; init; }

    /// <summary>How long a zonal shift DrSentinel starts lasts before ARC ends it by itself; extended while the zone is impaired.</summary>
    public TimeSpan ZonalShiftLasts { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Evacuate a second zone while one is evacuated.</summary>
    public bool AllowSecondZone { get; init; }

    /// <summary>Above this share of NotReady nodes in the whole cluster nothing is evacuated: the trouble is not one zone.</summary>
    public double HaltAboveUnreadyShare { get; init; } = 0.45;

    /// <summary>DB instance and replication group ids DrSentinel may fail over; empty means none.</summary>
    public ImmutableHashSet<string> AllowedDatabases { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>
    /// How long after the alert started firing AWS gets to fail a database over by itself before DrSentinel does (RDS
    /// Multi-AZ instances take 60–120 s, ElastiCache automatic failover less).
    /// </summary>
    public TimeSpan FailoverGrace { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>No second failover of the same database for another alert within this time.</summary>
    public TimeSpan FailoverCooldown { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Read replicas DrSentinel may promote when their source's primary and its Multi-AZ partner are both lost; empty means
    /// none. Promotion ends replication for good, so it is enabled replica by replica.
    /// </summary>
    public ImmutableHashSet<string> PromotableReplicas { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>
    /// The most writes, as time, a replica promotion may lose: a replica whose newest replayed write is older than this is
    /// not promoted. Raising it is how a human tells DrSentinel to promote beyond the RPO.
    /// </summary>
    public TimeSpan ReplicaPromotionRpo { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>TestFailover calls AWS allows per account and region in any rolling 24 hours.</summary>
    public int TestFailoverQuota { get; init; } = 15;

    public bool Allows(ScalingGroupRef group) =>
        AllowedNodeGroups.Contains(group.Name) || (group.NodeGroup is { } nodeGroup && AllowedNodeGroups.Contains(nodeGroup));
}

/// <summary>How a group is named: its Auto Scaling name and, for an EKS managed node group, that name too.</summary>
public readonly record struct ScalingGroupRef(string Name, string? NodeGroup);
