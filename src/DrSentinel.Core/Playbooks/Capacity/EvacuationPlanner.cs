using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;

namespace DrSentinel.Playbooks.Capacity;

/// <summary>
/// The node-capacity playbook as a pure function of (zone, snapshot, policy). Evacuate: cordon the zone's nodes, keep
/// new instances out of it, and make its capacity up in the healthy zones within MaxSize. Restore: undo exactly what the
/// ledger on each resource says DrSentinel did, where nobody has changed it since. Planning from the recorded original
/// values makes a plan converge: planned again halfway through (a restart, a duplicate), it lists only what is left.
/// </summary>
public static class EvacuationPlanner
{
    /// <summary><paramref name="incidentStart"/>: when the zone's alert started, to name the incident on a zonal shift.</summary>
    public static Plan PlanEvacuation(string zone, InventorySnapshot snapshot, ActionPolicy policy, DateTimeOffset? incidentStart = null)
    {
        const PlanIntent intent = PlanIntent.Evacuate;
        if (!KnownZones(snapshot).Contains(zone)) return Refuse(intent, zone, RefusalCodes.UnknownZone, $"zone {zone} is unknown to this cluster: nothing is targeted");
        if (policy.AllowedNodeGroups.IsEmpty)
            return Refuse(intent, zone, RefusalCodes.AllowList, "no node group is allowed (Actions:AllowedNodeGroups is empty): nothing is targeted");
        var impairment = ZoneImpairment.Assess(snapshot, zone);
        if (!impairment.HoldsAlert(EvacuatedZones(snapshot).Contains(zone) || snapshot.Nodes.CordonedFor.Contains(zone))) return Refuse(intent, zone, RefusalCodes.ZoneHealthy, $"the zone does not look impaired now ({impairment.Explanation}); the alert may be stale") with { WaitsForZone = true };
        var unready = ZoneImpairment.UnreadyShare(snapshot);
        if (unready > policy.HaltAboveUnreadyShare)
            return Refuse(intent, zone, RefusalCodes.Halt, $"{unready:P0} of the cluster's nodes are not Ready (halt above {policy.HaltAboveUnreadyShare:P0}): more than one zone is in trouble, a human decides");
        var others = EvacuatedZones(snapshot).Where(z => z != zone).ToList();
        if (others.Count > 0 && !policy.AllowSecondZone)
            return Refuse(intent, zone, RefusalCodes.SecondZone, $"{string.Join(", ", others)} is already evacuated and a second zone is not allowed (Actions:AllowSecondZone)");

        var findings = ImmutableArray.CreateBuilder<string>();
        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        // Allowed: may be cordoned and counted. Changeable: may also have its settings changed (not already changed for another zone).
        var allowed = new List<ScalingGroupState>();
        var changeable = new List<ScalingGroupState>();
        foreach (var group in snapshot.ScalingGroups.OrderBy(g => g.Name, StringComparer.Ordinal))
        {
            if (!policy.Allows(Ref(group)))
            {
                findings.Add($"{group.Name}: not in the allow-list, left alone");
                continue;
            }
            allowed.Add(group);
            if (Ledger(group) is { Zone: var other } && other != zone) findings.Add($"{group.Name}: already changed for {other}, not changed twice");
            else if (Ledger(group) is { Original: null } or { Applied: null }) findings.Add($"{group.Name}: its ledger tags are unreadable, left for a human");
            else changeable.Add(group);
        }

        // Traffic first: each watched zonal-shift resource moves away from the zone, unless a shift already does that.
        if (policy.ShiftTrafficAway)
        {
            foreach (var resource in snapshot.ZonalShiftResources.Where(r => r.AppliedWeights.ContainsKey(zone)).OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                // AWS's own shifts (a practice run, an FIS experiment, an autoshift) give way to a customer's: DrSentinel's own keeps
                // traffic away until its restore, not until AWS ends its shift (or moves traffic away from a healthy zone).
                if (resource.AwayFrom(zone) is { GivesWay: false } existing)
                    findings.Add($"{resource.Name}: traffic already shifted away from {zone} ({(existing.Ours ? "DrSentinel's" : "not DrSentinel's")} shift {existing.Id})");
                else if (resource.Shifts.FirstOrDefault(s => s is { Applied: true, GivesWay: false }) is { } elsewhere)
                    findings.Add($"{resource.Name}: already shifted away from {elsewhere.AwayFrom} (shift {elsewhere.Id}); ARC allows one shift per resource, left alone");
                else
                {
                    if (resource.Shifts.FirstOrDefault(s => s is { Applied: true, GivesWay: true }) is { } aws)
                        findings.Add($"{resource.Name}: AWS's {aws.ShiftType} away from {aws.AwayFrom} gives way to DrSentinel's shift (ARC applies a customer's shift first)");
                    steps.Add(new StartZonalShift(resource.Name, resource.Arn, zone, ZonalShifts.ExpiresIn(policy.ZonalShiftLasts), ZonalShifts.Comment(zone, incidentStart)));
                }
            }
        }

        // A shift of the EKS cluster away from the zone (DrSentinel's, an operator's, zonal autoshift's) already keeps pods
        // and managed nodes out of it: no cordon, no subnet or AZRebalance change; only the capacity it does not add.
        // Only a customer's shift counts: AWS's own (a practice run, an autoshift) ends when AWS decides.
        var clusterShift = snapshot.ZonalShiftResources.Where(r => r.IsCluster).Select(r => r.AwayFrom(zone)).FirstOrDefault(s => s is { GivesWay: false });
        if (clusterShift is not null)
            findings.Add($"the cluster is shifted away from {zone} (shift {clusterShift.Id}): its nodes are not cordoned and its groups keep their subnets; capacity is made up in the healthy zones");

        var cordon = snapshot.Nodes.ByName.Values
            .Where(n => n.Zone == zone && !n.Unschedulable && n.CordonedFor is null && InAllowedGroup(n, allowed))
            .Select(n => n.Name).Order(StringComparer.Ordinal).ToImmutableArray();
        if (!cordon.IsEmpty && clusterShift is null) steps.Add(new CordonNodes(zone, cordon));

        var lost = 0;
        var shortfall = 0;
        var targets = new Dictionary<string, (ScalingGroupState Group, GroupSettings Base, GroupSettings Target)>(StringComparer.Ordinal);
        var impaired = snapshot.Zones.Where(z => z.Status == ZoneStatus.Unavailable).Select(z => z.Zone).Append(zone).ToHashSet(StringComparer.Ordinal);

        // A group spanning the zone absorbs its own loss: drop the zone's subnets, hold AZRebalance, raise desired.
        foreach (var group in changeable.Where(g => g.Zones.Length > 1 && g.Zones.Contains(zone)))
        {
            var basis = BaseSettings(group, zone);
            var inZone = group.Instances.Count(i => i.Zone == zone);
            lost += inZone;
            var desired = Math.Min(group.MaxSize, basis.DesiredCapacity + inZone);
            shortfall += basis.DesiredCapacity + inZone - desired;
            if (desired < basis.DesiredCapacity + inZone)
                findings.Add($"{group.Name}: {basis.DesiredCapacity + inZone - desired} instance(s) short, MaxSize {group.MaxSize}");
            var unknown = group.Subnets.Where(s => s.Zone is null).Select(s => s.SubnetId).ToList();
            if (unknown.Count > 0) findings.Add($"{group.Name}: zone of {string.Join(", ", unknown)} unknown, kept");
            // A subnet of the original settings missing from the group now was removed for this zone by DrSentinel.
            var subnets = clusterShift is not null ? basis.Subnets
                : basis.Subnets.Where(s => (group.Subnets.FirstOrDefault(p => p.SubnetId == s) is { } placed ? placed.Zone : zone) != zone).ToImmutableArray();
            targets[group.Name] = (group, basis, basis with
            {
                DesiredCapacity = desired,
                MinSize = ManagedByAutoscaler(group) ? Math.Max(basis.MinSize, desired) : basis.MinSize,
                Subnets = subnets,
                Suspended = clusterShift is not null || basis.Suspended.Contains(LedgerKeys.AzRebalance) ? basis.Suspended : basis.Suspended.Add(LedgerKeys.AzRebalance),
            });
        }

        // Groups confined to the zone are left as they are; their capacity goes to single-zone siblings in healthy zones.
        var confined = allowed.Where(g => g.Zones is [var only] && only == zone).ToList();
        var fromConfined = confined.Sum(g => BaseSettings(g, zone).DesiredCapacity);
        lost += fromConfined;
        var siblings = changeable.Where(g => g.Zones is [var only] && !impaired.Contains(only))
            .Select(g => (Group: g, Base: BaseSettings(g, zone))).ToList();
        var added = siblings.ToDictionary(s => s.Group.Name, _ => 0, StringComparer.Ordinal);
        for (var unit = 0; unit < fromConfined; unit++)
        {
            var pick = siblings.Where(s => s.Base.DesiredCapacity + added[s.Group.Name] < s.Group.MaxSize)
                .OrderBy(s => added[s.Group.Name]).ThenByDescending(s => s.Group.MaxSize - s.Base.DesiredCapacity - added[s.Group.Name])
                .ThenBy(s => s.Group.Name, StringComparer.Ordinal).FirstOrDefault();
            if (pick.Group is null)
            {
                shortfall += fromConfined - unit;
                findings.Add(siblings.Count == 0
                    ? $"no allowed single-zone group outside {zone} to take {fromConfined} instance(s)"
                    : $"{fromConfined - unit} instance(s) short: every sibling group is at MaxSize");
                break;
            }
            added[pick.Group.Name]++;
        }
        foreach (var (group, basis) in siblings.Where(s => added[s.Group.Name] > 0))
        {
            var desired = basis.DesiredCapacity + added[group.Name];
            targets[group.Name] = (group, basis, basis with
            {
                DesiredCapacity = desired,
                MinSize = ManagedByAutoscaler(group) ? Math.Max(basis.MinSize, desired) : basis.MinSize,
            });
        }

        foreach (var (group, basis, target) in targets.Values.OrderBy(t => t.Group.Name, StringComparer.Ordinal))
        {
            var current = Current(group);
            if (Ledger(group) is null) steps.Add(new RecordGroupLedger(group.Name, zone, basis, target));
            var suspend = target.Suspended.Except(current.Suspended).ToImmutableArray();
            if (!suspend.IsEmpty) steps.Add(new SuspendProcesses(group.Name, suspend));
            var from = current with { Suspended = target.Suspended };
            if (!from.SameAs(target)) steps.Add(new UpdateGroup(group.Name, from, target));
        }

        var verdict = steps.Count > 0 ? PlanVerdict.Act : PlanVerdict.NoOp;
        var reason = verdict == PlanVerdict.Act
            ? $"{impairment.Explanation}; make up {lost - shortfall} of {lost} instance(s) in the healthy zones"
            : $"{impairment.Explanation}; nothing left to change";
        return new Plan(CapacityPlaybook.PlaybookName, intent, zone, verdict, reason, steps.ToImmutable(), findings.ToImmutable(), lost, shortfall);
    }

    public static Plan PlanRestore(string zone, InventorySnapshot snapshot, ActionPolicy policy)
    {
        const PlanIntent intent = PlanIntent.Restore;
        var impairment = ZoneImpairment.Assess(snapshot, zone);
        var groups = snapshot.ScalingGroups.Where(g => Ledger(g)?.Zone == zone).OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        var nodes = snapshot.Nodes.ByName.Values.Where(n => n.CordonedFor == zone).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        var shifts = snapshot.ZonalShiftResources.Select(r => (Resource: r, Shift: r.AwayFrom(zone))).Where(x => x.Shift is { Ours: true })
            .OrderBy(x => x.Resource.Name, StringComparer.Ordinal).ToList();
        if (groups.Count == 0 && nodes.Count == 0 && shifts.Count == 0)
            return new Plan(CapacityPlaybook.PlaybookName, intent, zone, PlanVerdict.NoOp, $"DrSentinel changed nothing for {zone}", [], [], 0, 0);
        if (impairment.Impaired || impairment.FailingProbes > 0)
            return Refuse(intent, zone, RefusalCodes.ZoneImpaired, $"the zone still looks impaired ({impairment.Explanation}); nothing is restored until every probe into it answers") with { WaitsForZone = true };

        var findings = ImmutableArray.CreateBuilder<string>();
        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        // The zone's nodes take pods again before the other zones shrink, so the restore never dips below the capacity it had.
        if (nodes.Count > 0)
        {
            var cordoned = nodes.Where(n => n.Unschedulable).Select(n => n.Name).ToImmutableArray();
            var uncordonedBySomeone = nodes.Where(n => !n.Unschedulable).Select(n => n.Name).ToImmutableArray();
            steps.Add(new UncordonNodes(zone, cordoned, uncordonedBySomeone));
        }
        // Traffic comes back once the zone's nodes take pods again, before the healthy zones shrink.
        foreach (var (resource, shift) in shifts) steps.Add(new CancelZonalShift(resource.Name, resource.Arn, shift!.Id, zone));
        foreach (var group in groups)
        {
            if (!policy.Allows(Ref(group)))
            {
                findings.Add($"{group.Name}: no longer in the allow-list, its ledger is left for a human");
                continue;
            }
            var ledger = Ledger(group)!.Value;
            var current = Current(group);
            if (ledger.Original is not { } original || ledger.Applied is not { } applied)
            {
                findings.Add($"{group.Name}: the ledger tags are unreadable, left for a human");
                continue;
            }
            var target = current with
            {
                MinSize = Restore(group.Name, "MinSize", current.MinSize, applied.MinSize, original.MinSize, findings),
                DesiredCapacity = Restore(group.Name, "DesiredCapacity", current.DesiredCapacity, applied.DesiredCapacity, original.DesiredCapacity, findings),
                Subnets = GroupSettings.SameSet(current.Subnets, applied.Subnets) ? original.Subnets
                    : GroupSettings.SameSet(current.Subnets, original.Subnets) ? current.Subnets
                    : Keep(group.Name, "subnets", current.Subnets, findings),
            };
            if (!target.SameAs(current)) steps.Add(new UpdateGroup(group.Name, current, target));
            var resume = applied.Suspended.Except(original.Suspended).Intersect(current.Suspended).ToImmutableArray();
            if (!resume.IsEmpty) steps.Add(new ResumeProcesses(group.Name, resume));
            steps.Add(new ClearGroupLedger(group.Name));
        }
        var verdict = steps.Count > 0 ? PlanVerdict.Act : PlanVerdict.NoOp;
        return new Plan(CapacityPlaybook.PlaybookName, intent, zone, verdict, $"{impairment.Explanation}; undo what DrSentinel changed for {zone}",
            steps.ToImmutable(), findings.ToImmutable(), 0, 0);
    }

    /// <summary>The zones DrSentinel has evacuated, by the ledger on groups and nodes and its own zonal shifts.</summary>
    private static Plan Refuse(PlanIntent intent, string zone, string code, string reason, ImmutableArray<string> findings = default) =>
        Plan.Refuse(CapacityPlaybook.PlaybookName, intent, zone, code, reason, findings);

    public static ImmutableSortedSet<string> EvacuatedZones(InventorySnapshot snapshot) =>
        snapshot.Nodes.CordonedFor.Union(snapshot.ScalingGroups.Select(g => Ledger(g)?.Zone).OfType<string>())
            .Union(snapshot.ZonalShiftResources.SelectMany(r => r.Shifts.Where(s => s is { Ours: true, Applied: true }).Select(s => s.AwayFrom)));

    public readonly record struct GroupLedger(string Zone, GroupSettings? Original, GroupSettings? Applied);

    public static GroupLedger? Ledger(ScalingGroupState group) =>
        group.Tags.TryGetValue(LedgerKeys.EvacuatedZone, out var zone)
            ? new GroupLedger(zone, GroupSettings.Parse(group.Tags.GetValueOrDefault(LedgerKeys.Original)), GroupSettings.Parse(group.Tags.GetValueOrDefault(LedgerKeys.Applied)))
            : null;

    public static GroupSettings Current(ScalingGroupState group) =>
        new(group.MinSize, group.DesiredCapacity, group.Subnets.Select(s => s.SubnetId).ToImmutableArray(), group.SuspendedProcesses);

    public static ScalingGroupRef Ref(ScalingGroupState group) => new(group.Name, group.NodeGroup);

    public static bool ManagedByAutoscaler(ScalingGroupState group) => group.Tags.ContainsKey(LedgerKeys.AutoscalerEnabled);

    /// <summary>The settings a plan starts from: the recorded original when this zone's evacuation began, else today's.</summary>
    private static GroupSettings BaseSettings(ScalingGroupState group, string zone) =>
        Ledger(group) is { Zone: var z, Original: { } original } && z == zone ? original : Current(group);

    private static int Restore(string group, string field, int current, int applied, int original, ImmutableArray<string>.Builder findings)
    {
        if (current == applied || current == original) return original;
        findings.Add($"{group}: {field} is {current}, not the {applied} DrSentinel set: someone changed it, left as it is (was {original})");
        return current;
    }

    private static ImmutableArray<string> Keep(string group, string field, ImmutableArray<string> current, ImmutableArray<string>.Builder findings)
    {
        findings.Add($"{group}: {field} changed since DrSentinel set them, left as they are");
        return current;
    }

    private static HashSet<string> KnownZones(InventorySnapshot snapshot) =>
        snapshot.Zones.Select(z => z.Zone).Concat(snapshot.ScalingGroups.SelectMany(g => g.Zones)).ToHashSet(StringComparer.Ordinal);

    private static bool InAllowedGroup(NodeState node, List<ScalingGroupState> allowed) =>
        node.NodeGroup is { } name && allowed.Any(g => g.Name == name || g.NodeGroup == name);
}
