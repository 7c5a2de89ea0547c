namespace DrSentinel.Inventory;

/// <summary>What DrSentinel watches and how often. Bound from the "Inventory" configuration section.</summary>
public sealed class InventoryOptions
{
    public const string Section = "Inventory";

    /// <summary>The EKS cluster: its Auto Scaling groups carry the tag kubernetes.io/cluster/&lt;name&gt;.</summary>
    public string ClusterName { get; set; } = "";

    public TimeSpan AwsRefreshInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A zone with a smaller share of Ready nodes is degraded.</summary>
    public double ZoneDegradedBelowReadyRatio { get; set; } = 0.9;

    /// <summary>A zone with a smaller share of Ready nodes is unavailable.</summary>
    public double ZoneUnavailableBelowReadyRatio { get; set; } = 0.5;

    /// <summary>Only these RDS instances (and clusters' members); empty means every instance in the region.</summary>
    public List<string> DbInstanceIds { get; set; } = [];

    /// <summary>Only these ElastiCache replication groups; empty means every group in the region.</summary>
    public List<string> ReplicationGroupIds { get; set; } = [];

    /// <summary>
    /// ARNs of resources registered with ARC zonal shift (the EKS cluster, its load balancers) to watch and, with
    /// Actions:ShiftTrafficAway, to shift away from a lost zone. Empty (the default): no zonal shift at all.
    /// </summary>
    public List<string> ZonalShiftResources { get; set; } = [];
}
