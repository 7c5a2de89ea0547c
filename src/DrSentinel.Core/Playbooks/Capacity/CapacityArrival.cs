using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;

namespace DrSentinel.Playbooks.Capacity;

/// <summary>
/// Capacity an evacuation asked for that has not arrived: a group DrSentinel changed for <see cref="Zone"/> (its ledger)
/// whose in-service instances are fewer than its desired capacity. <see cref="Missing"/> of them.
/// </summary>
public sealed record CapacityShortfall(string Group, string? NodeGroup, string Zone, ImmutableArray<string> GroupZones, int Desired, int InService)
{
    public int Missing => Desired - InService;
}

/// <summary>
/// Follows an evacuation's capacity to the end. Raising desired capacity is only a request: in a real zone loss the healthy
/// zones run short as every tenant moves at once, launches fail (EC2's InsufficientInstanceCapacity) and desired stays
/// above what is in service. <see cref="Shortfalls"/> finds those groups; <see cref="Tracker"/> says when one has been
/// short for longer than the bound; <see cref="PlanMove"/> moves the missing capacity to allowed groups (of the same node
/// group first) whose zones are healthy and have room, under the evacuation's ledger (so the restore puts it back).
/// </summary>
public static class CapacityArrival
{
    /// <summary>Every group DrSentinel changed for a zone whose in-service instances are fewer than its desired capacity.</summary>
    public static ImmutableArray<CapacityShortfall> Shortfalls(InventorySnapshot snapshot) =>
    [
        .. snapshot.ScalingGroups
            .Select(g => (Group: g, Ledger: EvacuationPlanner.Ledger(g), InService: g.Instances.Count(i => i.LifecycleState == "InService")))
            .Where(x => x.Ledger is not null && x.Group.DesiredCapacity > x.InService)
            .OrderBy(x => x.Group.Name, StringComparer.Ordinal)
            .Select(x => new CapacityShortfall(x.Group.Name, x.Group.NodeGroup, x.Ledger!.Value.Zone,
                [.. x.Group.Zones.Where(z => z != x.Ledger.Value.Zone).Order(StringComparer.Ordinal)], x.Group.DesiredCapacity, x.InService)),
    ];

    /// <summary>
    /// When each group was first seen short (since it last was not), so that a shortfall is reported only once it has
    /// lasted <paramref name="bound"/>: instances take a minute or two to boot and join, and that is not a shortfall.
    /// Not thread-safe: one caller, the capacity follower's loop.
    /// </summary>
    public sealed class Tracker(TimeProvider time, TimeSpan bound)
    {
        private readonly Dictionary<string, DateTimeOffset> _shortSince = new(StringComparer.Ordinal);

        /// <summary>The shortfalls that have lasted the bound, with how long each has lasted.</summary>
        public ImmutableArray<(CapacityShortfall Shortfall, TimeSpan For)> Overdue(ImmutableArray<CapacityShortfall> shortfalls)
        {
            var now = time.GetUtcNow();
            foreach (var gone in _shortSince.Keys.Where(g => shortfalls.All(s => s.Group != g)).ToList()) _shortSince.Remove(gone);
            var overdue = ImmutableArray.CreateBuilder<(CapacityShortfall, TimeSpan)>();
            foreach (var shortfall in shortfalls)
            {
                var since = _shortSince.TryGetValue(shortfall.Group, out var at) ? at : _shortSince[shortfall.Group] = now;
                if (now - since >= bound) overdue.Add((shortfall, now - since));
            }
            return overdue.ToImmutable();
        }

        /// <summary>The group's capacity was moved (or its desired changed): its clock starts again.</summary>
        public void Restart(string group) => _shortSince.Remove(group);
    }

    /// <summary>
    /// Moves each short group's missing instances to allowed groups (of the same node group first) whose zones are all healthy (not
    /// the evacuated zone, not a zone of any short group, not impaired) and below MaxSize. The short group's desired comes
    /// down by what moves (never below what is in service or booting, nor below its original MinSize) and the targets' goes
    /// up; each group's ledger records the new applied settings first, so the restore undoes the move with the evacuation.
    /// What cannot move is a finding. <paramref name="noCapacityIn"/>: zones AWS could not launch in earlier in this evacuation.
    /// </summary>
    public static Plan PlanMove(string zone, InventorySnapshot snapshot, ActionPolicy policy, ImmutableArray<CapacityShortfall> overdue,
        IReadOnlySet<string>? noCapacityIn = null)
    {
        const PlanIntent intent = PlanIntent.Evacuate;
        var findings = ImmutableArray.CreateBuilder<string>();
        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        var shortHere = overdue.Where(s => s.Zone == zone).ToList();
        var groups = snapshot.ScalingGroups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        var unusable = shortHere.SelectMany(s => s.GroupZones).Append(zone).Concat(noCapacityIn ?? ImmutableHashSet<string>.Empty)
            .Concat(snapshot.Zones.Where(z => z.Status == ZoneStatus.Unavailable || ZoneImpairment.Assess(snapshot, z.Zone).Impaired).Select(z => z.Zone)).ToHashSet(StringComparer.Ordinal);
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var moved = 0;
        foreach (var shortfall in shortHere)
        {
            if (!groups.TryGetValue(shortfall.Group, out var group) || EvacuationPlanner.Ledger(group) is not { Original: { } original, Applied: { } applied })
            {
                findings.Add($"{shortfall.Group}: its ledger is unreadable, its {shortfall.Missing} missing instance(s) are left for a human");
                continue;
            }
            var live = group.Instances.Count(i => i.LifecycleState is "InService" or "Pending");
            var movable = Math.Max(0, group.DesiredCapacity - Math.Max(live, original.MinSize));
            // Any allowed group may take it, as in the evacuation itself; one of the same node group first (same labels and taints).
            var targets = snapshot.ScalingGroups
                .Where(g => g.Name != group.Name && policy.Allows(EvacuationPlanner.Ref(g)))
                .Where(g => g.Zones.Length > 0 && g.Zones.All(z => !unusable.Contains(z)))
                .Where(g => EvacuationPlanner.Ledger(g) is null || EvacuationPlanner.Ledger(g) is { Zone: var z, Original: not null, Applied: not null } && z == zone)
                .OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
            var take = 0;
            for (; take < movable; take++)
            {
                var pick = targets.Where(g => g.DesiredCapacity + added.GetValueOrDefault(g.Name) < g.MaxSize)
                    .OrderBy(g => g.NodeGroup is not null && g.NodeGroup == group.NodeGroup ? 0 : 1).ThenBy(g => added.GetValueOrDefault(g.Name)).ThenByDescending(g => g.MaxSize - g.DesiredCapacity - added.GetValueOrDefault(g.Name))
                    .ThenBy(g => g.Name, StringComparer.Ordinal).FirstOrDefault();
                if (pick is null) break;
                added[pick.Name] = added.GetValueOrDefault(pick.Name) + 1;
            }
            var why = targets.Count == 0
                ? $"no allowed group in a healthy zone outside {string.Join(", ", shortfall.GroupZones)} to take them"
                : "every such group is at MaxSize";
            if (take < shortfall.Missing)
                findings.Add($"{group.Name}: {shortfall.Missing - take} instance(s) short in {string.Join(", ", shortfall.GroupZones)}" + (take < movable ? $": {why}" : ""));
            if (take == 0) continue;
            moved += take;
            var current = EvacuationPlanner.Current(group);
            var target = current with { DesiredCapacity = current.DesiredCapacity - take, MinSize = Math.Min(current.MinSize, current.DesiredCapacity - take) };
            steps.Add(new UpdateGroupLedger(group.Name, zone, applied, applied with { DesiredCapacity = target.DesiredCapacity, MinSize = target.MinSize }));
            steps.Add(new UpdateGroup(group.Name, current, target));
        }
        foreach (var name in added.Keys.Order(StringComparer.Ordinal))
        {
            var group = groups[name];
            var current = EvacuationPlanner.Current(group);
            var desired = current.DesiredCapacity + added[name];
            var target = current with { DesiredCapacity = desired, MinSize = EvacuationPlanner.ManagedByAutoscaler(group) ? Math.Max(current.MinSize, desired) : current.MinSize };
            if (EvacuationPlanner.Ledger(group) is { Applied: { } applied }) steps.Add(new UpdateGroupLedger(name, zone, applied, target));
            else steps.Add(new RecordGroupLedger(name, zone, current, target));
            steps.Add(new UpdateGroup(name, current, target));
        }
        var missing = shortHere.Sum(s => s.Missing);
        if (steps.Count == 0)
            return new Plan(CapacityPlaybook.PlaybookName, intent, zone, PlanVerdict.NoOp, $"{missing} instance(s) did not arrive and there is nowhere to move them",
                [], findings.ToImmutable(), missing, missing) { FollowsUp = true };
        return new Plan(CapacityPlaybook.PlaybookName, intent, zone, PlanVerdict.Act,
            $"{missing} instance(s) did not arrive in {string.Join(", ", shortHere.SelectMany(s => s.GroupZones).Distinct().Order(StringComparer.Ordinal))}; move {moved} to {string.Join(", ", added.Keys.Order(StringComparer.Ordinal))}",
            steps.ToImmutable(), findings.ToImmutable(), missing, missing - moved) { FollowsUp = true };
    }
}
