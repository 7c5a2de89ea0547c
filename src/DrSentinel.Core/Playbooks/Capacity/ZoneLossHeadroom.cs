using System.Collections.Immutable;
using DrSentinel.Inventory;

using DrSentinel.Planning;

namespace DrSentinel.Playbooks.Capacity;

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
