namespace DrSentinel.Planning;

/// <summary>
/// Where DrSentinel records what it changed: on the resources themselves (Auto Scaling group tags, node annotations),
/// so a restart, or another replica, finds the evacuation and its original values without a database of its own.
/// </summary>
public static class LedgerKeys
{
    public const string Prefix = "drsentinel.io/";

    /// <summary>Group tag: the zone this group was changed for.</summary>
    /// <summary>
    /// The operator's opt-in, never written by DrSentinel: docs/iam-policy.json lets DrSentinel change only resources
    /// tagged drsentinel.io/allowed=true, so every resource on an allow-list must carry it.
    /// </summary>
    public const string Allowed = Prefix + "allowed";

    /// <summary>Whether a resource's tags opt it into DrSentinel's IAM policy.</summary>
    public static bool OptedIn(IReadOnlyDictionary<string, string> tags) => tags.TryGetValue(Allowed, out var value) && value == "true";

    public const string EvacuatedZone = Prefix + "evacuated-zone";

    /// <summary>Group tag: the values before DrSentinel changed them (<see cref="GroupSettings"/>).</summary>
    public const string Original = Prefix + "original";

    /// <summary>Group tag: the values DrSentinel set; on resolve only a group still at these is restored.</summary>
    public const string Applied = Prefix + "applied";

    /// <summary>DB instance or replication group tag: the failover DrSentinel started (<see cref="FailoverLedger"/>).</summary>
    public const string FailedOver = Prefix + "failed-over";

    /// <summary>DB instance tag on a read replica DrSentinel promoted: the instance it was a replica of.</summary>
    public const string PromotedFrom = Prefix + "promoted-from";

    /// <summary>Node annotation: the zone DrSentinel cordoned this node for.</summary>
    public const string CordonedForZone = Prefix + "cordoned-for-zone";

    /// <summary>cluster-autoscaler's discovery tags: a group carrying one has its MinSize raised with desired.</summary>
    public const string AutoscalerEnabled = "k8s.io/cluster-autoscaler/enabled";

    public const string AutoscalerPrefix = "k8s.io/cluster-autoscaler/";

    /// <summary>The Auto Scaling process that would move instances back into the impaired zone.</summary>
    public const string AzRebalance = "AZRebalance";

    /// <summary>Whether a group tag is one the snapshot keeps.</summary>
    public static bool IsRead(string key) =>
        key.StartsWith(Prefix, StringComparison.Ordinal) || key.StartsWith(AutoscalerPrefix, StringComparison.Ordinal);
}
