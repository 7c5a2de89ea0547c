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

    /// <summary>
    /// The kind of resource, as the Kubernetes Event about the step names it; null when the step's handler records its own
    /// Events (on each node it cordons).
    /// </summary>
    public abstract string? Kind { get; }

    public abstract string Describe();
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
