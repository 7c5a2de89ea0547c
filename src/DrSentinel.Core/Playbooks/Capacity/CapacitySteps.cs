using System.Collections.Immutable;
using DrSentinel.Planning;

namespace DrSentinel.Playbooks.Capacity;

/// <summary>Write the ledger tags (zone, original and applied settings) before anything about the group changes.</summary>
public sealed record RecordGroupLedger(string Group, string Zone, GroupSettings Original, GroupSettings Applied) : PlanStep(Group)
{
    public override string Action => "record-ledger";
    public override string Kind => "AutoScalingGroup";
    public override string Describe() => $"tag {Group} as evacuated for {Zone}: original {Original.Format()}, applied {Applied.Format()}";
}

/// <summary>
/// Rewrite the applied settings in the ledger of a group already changed for <see cref="Zone"/> (from <see cref="From"/>,
/// re-verified), before the group itself changes again: the restore compares the group with what DrSentinel applied.
/// </summary>
public sealed record UpdateGroupLedger(string Group, string Zone, GroupSettings From, GroupSettings Applied) : PlanStep(Group)
{
    public override string Action => "update-ledger";
    public override string Kind => "AutoScalingGroup";
    public override string Describe() => $"record on {Group} that DrSentinel now applies {Applied.Format()} for {Zone}";
}

public sealed record SuspendProcesses(string Group, ImmutableArray<string> Processes) : PlanStep(Group)
{
    public override string Action => "suspend-processes";
    public override string Kind => "AutoScalingGroup";
    public override string Describe() => $"suspend {string.Join(", ", Processes)} on {Group}";
}

/// <summary>UpdateAutoScalingGroup from <see cref="From"/> (re-verified right before the call) to <see cref="To"/>.</summary>
public sealed record UpdateGroup(string Group, GroupSettings From, GroupSettings To) : PlanStep(Group)
{
    public override string Action => "update-group";
    public override string Kind => "AutoScalingGroup";
    public override string Describe() =>
        $"{Group}: min {From.MinSize} to {To.MinSize}, desired {From.DesiredCapacity} to {To.DesiredCapacity}, subnets [{string.Join(",", From.Subnets)}] to [{string.Join(",", To.Subnets)}]";
}

public sealed record ResumeProcesses(string Group, ImmutableArray<string> Processes) : PlanStep(Group)
{
    public override string Action => "resume-processes";
    public override string Kind => "AutoScalingGroup";
    public override string Describe() => $"resume {string.Join(", ", Processes)} on {Group}";
}

public sealed record ClearGroupLedger(string Group) : PlanStep(Group)
{
    public override string Action => "clear-ledger";
    public override string Kind => "AutoScalingGroup";
    public override string Describe() => $"remove DrSentinel's ledger tags from {Group}";
}

/// <summary>Cordon (never evict) each node and annotate it with the zone; one action however many nodes.</summary>
public sealed record CordonNodes(string Zone, ImmutableArray<string> Nodes) : PlanStep($"nodes/{Zone}")
{
    public override string Action => "cordon";
    public override string? Kind => null;
    public override string Describe() => $"cordon {Nodes.Length} node(s) in {Zone}";
}

/// <summary>Uncordon the nodes DrSentinel cordoned that are still cordoned, and drop its annotation from all of them.</summary>
public sealed record UncordonNodes(string Zone, ImmutableArray<string> Uncordon, ImmutableArray<string> ForgetOnly) : PlanStep($"nodes/{Zone}")
{
    public override string Action => "uncordon";
    public override string? Kind => null;
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
