using System.Collections.Immutable;

namespace DrSentinel.Planning;

public enum PlanIntent { Evacuate, Restore }

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

    public static Plan Refuse(PlanIntent intent, string zone, string code, string reason, ImmutableArray<string> findings = default) =>
        new(CapacityPlaybook, intent, zone, PlanVerdict.Refused, reason, [], findings.IsDefault ? [] : findings, 0, 0) { ReasonCode = code };

    /// <summary>
    /// Why, as a bounded label value (drsentinel_plans_total's <c>reason</c>): <see cref="RefusalCodes"/> for a refusal,
    /// "none" for a plan that acts or has nothing to do.
    /// </summary>
    public string ReasonCode { get; init; } = RefusalCodes.None;

    /// <summary>This plan, refused by a guardrail before its first step: nothing of it is carried out.</summary>
    public Plan RefusedBy(PlanRefusal refusal) => this with { Verdict = PlanVerdict.Refused, ReasonCode = refusal.Code, Reason = refusal.Reason, WaitsForZone = false };

    /// <summary>Refused only because of how the zone looks now (not impaired yet, or still impaired): worth planning again later.</summary>
    public bool WaitsForZone { get; init; }
}

/// <summary>One change to one resource. <see cref="Action"/> is the bounded label value of drsentinel_actions_total.</summary>
public abstract record PlanStep(string Resource)
{
    public abstract string Action { get; }

    public abstract string Describe();
}

/// <summary>Write the ledger tags (zone, original and applied settings) before anything about the group changes.</summary>
public sealed record RecordGroupLedger(string Group, string Zone, GroupSettings Original, GroupSettings Applied) : PlanStep(Group)
{
    public override string Action => "record-ledger";
    public override string Describe() => $"tag {Group} as evacuated for {Zone}: original {Original.Format()}, applied {Applied.Format()}";
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
}
