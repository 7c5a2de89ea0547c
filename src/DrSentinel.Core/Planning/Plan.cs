using System.Collections.Immutable;

namespace DrSentinel.Planning;

/// <summary>Evacuate a zone and restore it; move a database primary out of an impaired zone (never back by itself).</summary>
public enum PlanIntent { Evacuate, Restore, Failover }

/// <summary>The words for an intent, the same everywhere: a bounded label (metrics, JSON, logs) and a verb for prose.</summary>
public static class PlanIntentWords
{
    public static string Label(this PlanIntent intent) => intent switch
    {
        PlanIntent.Evacuate => "evacuate",
        PlanIntent.Failover => "failover",
        _ => "restore",
    };

    public static string Verb(this PlanIntent intent) => intent == PlanIntent.Failover ? "fail over" : intent.Label();
}

/// <summary>Act: run the steps. NoOp: nothing to change (already done, or nothing in scope). Refused: a guardrail said no.</summary>
public enum PlanVerdict { Act, NoOp, Refused }

/// <summary>
/// What to do about one zone, and why: the steps in order, the findings a human should read (groups left alone, values
/// someone changed, capacity that does not fit), and the capacity that could not be made up within MaxSize.
/// </summary>
public sealed record Plan(
    string Playbook, PlanIntent Intent, string Zone, PlanVerdict Verdict, string Reason,
    ImmutableArray<PlanStep> Steps, ImmutableArray<string> Findings, int LostCapacity, int Shortfall)
{
    public const string CapacityPlaybook = "az-capacity";
    public const string RdsFailoverPlaybook = "rds-failover";
    public const string CacheFailoverPlaybook = "elasticache-failover";
    public const string ReplicaPromotionPlaybook = "rds-replica-promotion";

    public static Plan Refuse(PlanIntent intent, string zone, string code, string reason, ImmutableArray<string> findings = default) =>
        Refuse(CapacityPlaybook, intent, zone, code, reason, findings);

    public static Plan Refuse(string playbook, PlanIntent intent, string zone, string code, string reason, ImmutableArray<string> findings = default) =>
        new(playbook, intent, zone, PlanVerdict.Refused, reason, [], findings.IsDefault ? [] : findings, 0, 0) { ReasonCode = code };

    public static Plan Nothing(string playbook, PlanIntent intent, string zone, string code, string reason) =>
        new(playbook, intent, zone, PlanVerdict.NoOp, reason, [], [], 0, 0) { ReasonCode = code };

    /// <summary>The resource a database playbook acts on (null for the zone's node capacity).</summary>
    public string? Resource { get; init; }

    /// <summary>For a waiting plan, when it is worth making again (the end of a grace period); null: the usual recheck.</summary>
    public TimeSpan? RecheckAfter { get; init; }

    /// <summary>
    /// Why, as a bounded label value (drsentinel_plans_total's <c>reason</c>): <see cref="RefusalCodes"/> for a refusal,
    /// "none" for a plan that acts or has nothing to do.
    /// </summary>
    public string ReasonCode { get; init; } = RefusalCodes.None;

    /// <summary>This plan, refused by a guardrail before its first step: nothing of it is carried out.</summary>
    public Plan RefusedBy(PlanRefusal refusal) => this with { Verdict = PlanVerdict.Refused, ReasonCode = refusal.Code, Reason = refusal.Reason, WaitsForZone = false };

    /// <summary>
    /// Follows up an evacuation already in effect (capacity moved because it did not arrive), not a new one: the cooldown
    /// between evacuations of a zone does not hold it; the hourly cap does.
    /// </summary>
    public bool FollowsUp { get; init; }

    /// <summary>Refused only because of how the zone looks now (not impaired yet, or still impaired): worth planning again later.</summary>
    public bool WaitsForZone { get; init; }
}

/// <summary>One change to one resource. <see cref="Action"/> is the bounded label value of drsentinel_actions_total.</summary>
public abstract record PlanStep(string Resource)
{
    public abstract string Action { get; }

    /// <summary>The kind of resource, as the Kubernetes Event about the step names it.</summary>
    public virtual string Kind => "AutoScalingGroup";

    public abstract string Describe();
}

/// <summary>Write the ledger tags (zone, original and applied settings) before anything about the group changes.</summary>
public sealed record RecordGroupLedger(string Group, string Zone, GroupSettings Original, GroupSettings Applied) : PlanStep(Group)
{
    public override string Action => "record-ledger";
    public override string Describe() => $"tag {Group} as evacuated for {Zone}: original {Original.Format()}, applied {Applied.Format()}";
}

/// <summary>
/// Rewrite the applied settings in the ledger of a group already changed for <see cref="Zone"/> (from <see cref="From"/>,
/// re-verified), before the group itself changes again: the restore compares the group with what DrSentinel applied.
/// </summary>
public sealed record UpdateGroupLedger(string Group, string Zone, GroupSettings From, GroupSettings Applied) : PlanStep(Group)
{
    public override string Action => "update-ledger";
    public override string Describe() => $"record on {Group} that DrSentinel now applies {Applied.Format()} for {Zone}";
}

public sealed record SuspendProcesses(string Group, ImmutableArray<string> Processes) : PlanStep(Group)
{
    public override string Action => "suspend-processes";
    public override string Describe() => $"suspend {string.Join(", ", Processes)} on {Group}";
}

/// <summary>UpdateAutoScalingGroup from <see cref="From"/> (re-verified right before the call) to <see cref="To"/>.</summary>
public sealed record UpdateGroup(string Group, GroupSettings From, GroupSettings To) : PlanStep(Group)
{
    public override string Action => "update-group";
    public override string Describe() =>
        $"{Group}: min {From.MinSize} to {To.MinSize}, desired {From.DesiredCapacity} to {To.DesiredCapacity}, subnets [{string.Join(",", From.Subnets)}] to [{string.Join(",", To.Subnets)}]";
}

public sealed record ResumeProcesses(string Group, ImmutableArray<string> Processes) : PlanStep(Group)
{
    public override string Action => "resume-processes";
    public override string Describe() => $"resume {string.Join(", ", Processes)} on {Group}";
}

public sealed record ClearGroupLedger(string Group) : PlanStep(Group)
{
    public override string Action => "clear-ledger";
    public override string Describe() => $"remove DrSentinel's ledger tags from {Group}";
}

/// <summary>Cordon (never evict) each node and annotate it with the zone; one action however many nodes.</summary>
public sealed record CordonNodes(string Zone, ImmutableArray<string> Nodes) : PlanStep($"nodes/{Zone}")
{
    public override string Action => "cordon";
    public override string Describe() => $"cordon {Nodes.Length} node(s) in {Zone}";
}

/// <summary>Uncordon the nodes DrSentinel cordoned that are still cordoned, and drop its annotation from all of them.</summary>
public sealed record UncordonNodes(string Zone, ImmutableArray<string> Uncordon, ImmutableArray<string> ForgetOnly) : PlanStep($"nodes/{Zone}")
{
    public override string Action => "uncordon";
    public override string Describe() => $"uncordon {Uncordon.Length} node(s) in {Zone}" + (ForgetOnly.IsEmpty ? "" : $", {ForgetOnly.Length} already uncordoned by someone");
}

/// <summary>
/// StartZonalShift: ARC moves <see cref="Name"/>'s traffic away from <see cref="Zone"/> until the shift expires after
/// <see cref="ExpiresIn"/> (so a DrSentinel that dies never leaves it shifted for good) or is cancelled on restore. The
/// step passes once ARC reports the shift applied. <see cref="Comment"/> names the incident.
/// </summary>
public sealed record StartZonalShift(string Name, string Arn, string Zone, string ExpiresIn, string Comment) : PlanStep(Name)
{
    public override string Action => "zonal-shift-start";
    public override string Kind => "ZonalShiftResource";
    public override string Describe() => $"shift {Name}'s traffic away from {Zone} (ARC StartZonalShift, expires in {ExpiresIn})";
}

/// <summary>UpdateZonalShift: DrSentinel's shift away from a zone still impaired lasts another <see cref="ExpiresIn"/>.</summary>
public sealed record ExtendZonalShift(string Name, string Arn, string ShiftId, string Zone, string ExpiresIn, string Comment) : PlanStep(Name)
{
    public override string Action => "zonal-shift-extend";
    public override string Kind => "ZonalShiftResource";
    public override string Describe() => $"extend the shift of {Name}'s traffic away from {Zone} by {ExpiresIn} (ARC UpdateZonalShift {ShiftId})";
}

/// <summary>CancelZonalShift: traffic goes back into the zone. Only ever DrSentinel's own shift, by its id.</summary>
public sealed record CancelZonalShift(string Name, string Arn, string ShiftId, string Zone) : PlanStep(Name)
{
    public override string Action => "zonal-shift-cancel";
    public override string Kind => "ZonalShiftResource";
    public override string Describe() => $"let {Name}'s traffic back into {Zone} (ARC CancelZonalShift {ShiftId})";
}

/// <summary>A guardrail's "no", with its bounded code.</summary>
public sealed record PlanRefusal(string Code, string Reason);

/// <summary>The values of drsentinel_plans_total's <c>reason</c> label.</summary>
public static class RefusalCodes
{
    public const string None = "none";
    public const string UnknownZone = "unknown-zone";
    public const string AllowList = "allow-list";
    public const string ZoneHealthy = "zone-healthy";
    public const string ZoneImpaired = "zone-impaired";
    public const string Halt = "halt";
    public const string SecondZone = "second-zone";
    public const string Cooldown = "cooldown";
    public const string HourlyCap = "hourly-cap";
    public const string UnknownResource = "unknown-resource";
    public const string NotMultiAz = "not-multi-az";
    public const string BothZonesImpaired = "both-zones-impaired";
    public const string GracePeriod = "grace-period";
    public const string ResourceBusy = "resource-busy";
    public const string QuotaSpent = "quota-spent";
    public const string LagUnknown = "lag-unknown";
    public const string BeyondRpo = "beyond-rpo";
    public const string ReplicaStreaming = "replica-streaming";
    /// <summary>Not a refusal: AWS already moved the primary out of the zone (a NoOp's reason).</summary>
    public const string DoneByAws = "done-by-aws";
    /// <summary>Not a refusal: DrSentinel already failed it over for this incident (a NoOp's reason).</summary>
    public const string AlreadyFailedOver = "already-failed-over";
    /// <summary>Not a refusal: a resolved database alert; DrSentinel never fails back by itself (a NoOp's reason).</summary>
    public const string NoFailBack = "no-fail-back";
}

/// <summary>
/// RebootDBInstance with ForceFailover: the Multi-AZ standby in <see cref="ToZone"/> becomes the primary. The ledger tag
/// (<see cref="FailoverLedger"/>) is written first, so a restart finds the failover and never sends a second one.
/// </summary>
public sealed record FailoverDbInstance(string DbInstance, string Arn, string FromZone, string ToZone, string Episode) : PlanStep(DbInstance)
{
    public override string Action => "rds-force-failover";
    public override string Kind => "DBInstance";
    public override string Describe() => $"fail {DbInstance} over from {FromZone} to its standby in {ToZone} (RebootDBInstance, ForceFailover)";
}

/// <summary>
/// Moves a replication group's primary out of <see cref="FromZone"/>: TestFailover on <see cref="NodeGroupId"/>, or, when
/// AWS refuses it (blocked, quota spent) and the group is cluster-mode disabled, ModifyReplicationGroup with
/// PrimaryClusterId = <see cref="FallbackPrimary"/>. <see cref="QuotaSpent"/>: go straight to the fallback.
/// </summary>
public sealed record FailoverCacheGroup(
    string ReplicationGroup, string Arn, string NodeGroupId, string FromZone, string? FallbackPrimary, bool QuotaSpent, string Episode) : PlanStep(ReplicationGroup)
{
    public const string TestFailoverAction = "elasticache-test-failover";

    public override string Action => QuotaSpent ? "elasticache-promote-replica" : TestFailoverAction;
    public override string Kind => "ReplicationGroup";
    public override string Describe() => QuotaSpent
        ? $"promote {FallbackPrimary} to primary of {ReplicationGroup} (ModifyReplicationGroup PrimaryClusterId; the TestFailover quota is spent)"
        : $"fail node group {NodeGroupId} of {ReplicationGroup} over out of {FromZone} (TestFailover{(FallbackPrimary is null ? "" : $", else promote {FallbackPrimary}")})";
}

/// <summary>
/// FailoverDBCluster: the Multi-AZ DB cluster's writer moves to <see cref="Target"/>, a reader in a healthy zone. The ledger
/// tag goes on the writer instance <see cref="Writer"/> (the one the alert names).
/// </summary>
public sealed record FailoverDbCluster(string Cluster, string Writer, string WriterArn, string FromZone, string Target, string Episode) : PlanStep(Cluster)
{
    public override string Action => "rds-cluster-failover";
    public override string Kind => "DBCluster";
    public override string Describe() => $"fail DB cluster {Cluster} over from {Writer} in {FromZone} to {Target} (FailoverDBCluster)";
}

/// <summary>
/// PromoteReadReplica: <see cref="Replica"/>, in a healthy zone, becomes a standalone primary because its source
/// <see cref="Source"/> and the source's Multi-AZ partner are lost. Ends replication for good; the application must be
/// pointed at the replica's own endpoint. <see cref="LossBound"/>: the age of its newest replayed write when planned.
/// </summary>
public sealed record PromoteReadReplica(string Replica, string Arn, string Source, string FromZone, string ReplicaZone, TimeSpan LossBound, string Episode)
    : PlanStep(Replica)
{
    public override string Action => "rds-promote-read-replica";
    public override string Kind => "DBInstance";
    public override string Describe() =>
        $"promote read replica {Replica} in {ReplicaZone} to a standalone primary (PromoteReadReplica): {Source} in {FromZone} is lost with its standby; up to {LossBound.TotalSeconds:F0} s of writes are lost";
}
