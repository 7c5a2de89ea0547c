using System.Collections.Immutable;
using DrSentinel.Inventory;

namespace DrSentinel.Planning;

/// <summary>
/// Static stability, per zone: if the zone were lost now, how many instances would have to be made up elsewhere, and how
/// many of them the other zones' groups could take within their MaxSize, by the evacuation playbook's own rules (a
/// spanning group refills itself; a group confined to the zone is refilled by single-zone groups in the other zones).
/// Judged over every group, not only those DrSentinel may change: the question is whether the region could absorb it.
/// </summary>
public sealed record ZoneLossHeadroom(string Zone, int Lost, int Absorbable)
{
    public int Shortfall => Lost - Absorbable;

    public static ImmutableArray<ZoneLossHeadroom> Assess(InventorySnapshot snapshot)
    {
        var groups = snapshot.ScalingGroups;
        return [.. groups.SelectMany(g => g.Zones).Distinct().Order(StringComparer.Ordinal).Select(zone =>
        {
            var lost = 0;
            var absorbable = 0;
            foreach (var spanning in groups.Where(g => g.Zones.Length > 1 && g.Zones.Contains(zone)))
            {
                var inZone = spanning.Instances.Count(i => i.Zone == zone);
                lost += inZone;
                absorbable += Math.Min(inZone, Math.Max(0, spanning.MaxSize - spanning.DesiredCapacity));
            }
            var confined = groups.Where(g => g.Zones is [var only] && only == zone).Sum(g => g.DesiredCapacity);
            var room = groups.Where(g => g.Zones is [var only] && only != zone).Sum(g => Math.Max(0, g.MaxSize - g.DesiredCapacity));
            lost += confined;
            absorbable += Math.Min(confined, room);
            return new ZoneLossHeadroom(zone, lost, absorbable);
        })];
    }
}

/// <summary>A zone failure that has not happened: its nodes not Ready, its verdict unavailable. For the plan preview.</summary>
public static class ZoneFailure
{
    public static InventorySnapshot Simulate(InventorySnapshot snapshot, string zone)
    {
        var nodes = snapshot.Nodes.ByName.Values.Select(n => n.Zone == zone ? n with { ReadyStatus = "Unknown" } : n)
            .ToImmutableDictionary(n => n.Name, StringComparer.Ordinal);
        var zones = snapshot.Zones.Any(z => z.Zone == zone)
            ? snapshot.Zones.Select(z => z.Zone == zone ? z with { ReadyNodes = 0, ReadyRatio = 0, Status = ZoneStatus.Unavailable } : z)
            : snapshot.Zones.Append(new ZoneHealth(zone, 0, 0, 0, ZoneStatus.Unavailable));
        return snapshot with { Nodes = new NodeInventory(nodes), Zones = [.. zones] };
    }
}
