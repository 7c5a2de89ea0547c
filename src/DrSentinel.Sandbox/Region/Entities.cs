using DrSentinel.Sandbox.DataPlane;

namespace DrSentinel.Sandbox.Region;

// The region's mutable world. Every field is read and written only under SandboxRegion's lock.

public enum AzFailure { None, Hard, Gray }

public sealed class AvailabilityZone(string name)
{
    public string Name { get; } = name;
    public AzFailure Failure { get; set; }
    /// <summary>How the data plane's connections into a failed zone behave: they hang (silently dropped) or are reset.</summary>
    public BlackHoleMode BlackHole { get; set; } = BlackHoleMode.Hang;
    /// <summary>A hard-failed zone is down for everyone; a gray-failed one only for the cluster's data plane.</summary>
    public bool ReachableFromCluster => Failure == AzFailure.None;
    public bool PoweredOn => Failure != AzFailure.Hard;
    /// <summary>
    /// Instance types EC2 has no capacity for here (InsufficientInstanceCapacity); <see cref="NoCapacityForAnyType"/>: none
    /// of any type. What a zone loss does to the healthy zones when every tenant moves at once.
    /// </summary>
    public HashSet<string> NoCapacityFor { get; } = new(StringComparer.Ordinal);
    public bool NoCapacityForAnyType { get; set; }
    public bool CanLaunch(string instanceType) => PoweredOn && !NoCapacityForAnyType && !NoCapacityFor.Contains(instanceType);
}

public sealed class ScalingGroup
{
    public required string Name { get; init; }
    public required string Arn { get; init; }
    public required string NodeGroup { get; init; }
    public required IReadOnlyList<string> InstanceTypes { get; init; }
    public required IReadOnlyList<TaintSpec> Taints { get; init; }
    public required List<string> SubnetIds { get; set; }
    public int MinSize { get; set; }
    public int MaxSize { get; set; }
    public int DesiredCapacity { get; set; }
    public DateTimeOffset CreatedTime { get; init; }
    public Dictionary<string, (string Value, bool PropagateAtLaunch)> Tags { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> SuspendedProcesses { get; } = new(StringComparer.Ordinal);
    public List<ScalingActivity> Activities { get; } = [];
    /// <summary>A launch that found no capacity is tried again later; at most one such retry waits per group.</summary>
    public bool LaunchRetryPending { get; set; }
    public int LaunchFailuresInARow { get; set; }
}

public sealed record ScalingActivity(
    string ActivityId, string GroupName, string Description, string Cause, DateTimeOffset StartTime)
{
    public DateTimeOffset? EndTime { get; set; }
    public string StatusCode { get; set; } = "InProgress";
    public int Progress { get; set; }
    /// <summary>Why a launch failed, as EC2 said it (DescribeScalingActivities' StatusMessage); null otherwise.</summary>
    public string? StatusMessage { get; init; }
    public string? SubnetId { get; init; }
    public string? AvailabilityZone { get; init; }
}

public enum InstanceLifecycle { Pending, InService, Terminating, Terminated }

public sealed class Ec2Instance
{
    public required string Id { get; init; }
    public required string GroupName { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string InstanceType { get; init; }
    public required string NodeName { get; init; }
    public InstanceLifecycle Lifecycle { get; set; }
    public bool Healthy { get; set; } = true;
}

public sealed class ClusterNode
{
    public required string Name { get; init; }
    public required string Uid { get; init; }
    public required string InstanceId { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string NodeGroup { get; init; }
    public required string InstanceType { get; init; }
    public required IReadOnlyList<TaintSpec> Taints { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public bool Ready { get; set; } = true;
    public DateTimeOffset ReadySince { get; set; }
    public bool Unschedulable { get; set; }
    public Dictionary<string, string> ExtraLabels { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Annotations { get; } = new(StringComparer.Ordinal);
    public long ResourceVersion { get; set; }
}

public sealed class DbInstance
{
    public required string Id { get; init; }
    public required string Engine { get; init; }
    public required string EngineVersion { get; init; }
    public required string InstanceClass { get; init; }
    public required int Port { get; init; }
    public required string ResourceId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string AvailabilityZone { get; set; } = "";
    public string? SecondaryAvailabilityZone { get; set; }
    public bool MultiAz { get; set; }
    public string Status { get; set; } = "available";
    public string? ReplicaSourceId { get; set; }
    public List<string> ReplicaIds { get; } = [];
    public string? ClusterId { get; set; }
    /// <summary>The data plane's proxy in front of the instance's real server; null without a data plane.</summary>
    public int? DataPort { get; set; }
    public SortedDictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
}

public sealed class DbCluster
{
    public required string Id { get; init; }
    public required string Engine { get; init; }
    public required string ResourceId { get; init; }
    public string Status { get; set; } = "available";
    public List<DbClusterMember> Members { get; } = [];
    public SortedDictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
}

public sealed class DbClusterMember(string instanceId, string availabilityZone, bool writer)
{
    public string InstanceId { get; } = instanceId;
    public string AvailabilityZone { get; } = availabilityZone;
    public bool Writer { get; set; } = writer;
}

public sealed record RdsEvent(string SourceIdentifier, string SourceType, string Message, string Category, DateTimeOffset Date);

public sealed class CacheReplicationGroup
{
    public required string Id { get; init; }
    public required string NodeType { get; init; }
    public required int Port { get; init; }
    public string Status { get; set; } = "available";
    public bool AutomaticFailover { get; set; }
    public bool MultiAz { get; set; }
    public List<CacheMember> Members { get; } = [];
    public List<DateTimeOffset> TestFailoverCalls { get; } = [];
    /// <summary>
    /// A ModifyReplicationGroup sent without ApplyImmediately: waits for a maintenance window (the sandbox has none), shown in
    /// PendingModifiedValues.
    /// </summary>
    public string? PendingPrimaryClusterId { get; set; }
    public bool? PendingAutomaticFailover { get; set; }
    /// <summary>The data plane's proxies for the primary and reader endpoints; null without a data plane.</summary>
    public int? PrimaryDataPort { get; set; }
    public int? ReaderDataPort { get; set; }
    public SortedDictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
}

public sealed class CacheMember(string cacheClusterId, string availabilityZone, bool primary)
{
    public string CacheClusterId { get; } = cacheClusterId;
    public string AvailabilityZone { get; } = availabilityZone;
    public bool Primary { get; set; } = primary;
    public int? DataPort { get; set; }
}

public sealed record Lease(string Namespace, string Name, string? HolderIdentity, int? LeaseDurationSeconds,
    DateTimeOffset? AcquireTime, DateTimeOffset? RenewTime, int? LeaseTransitions, long ResourceVersion, string Uid, DateTimeOffset CreatedAt)
{
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// An injected API fault; <see cref="Remaining"/> limits how many calls it hits (null: until cleared). <see cref="Client"/>,
/// when set, limits it to the callers whose User-Agent contains it: one replica cut off from the API, the others not.
/// </summary>
public sealed record FaultRule(string Service, string Operation, string? ErrorCode, double Probability, TimeSpan AddedLatency, int? Remaining = null)
{
    public string? Client { get; init; }
}
