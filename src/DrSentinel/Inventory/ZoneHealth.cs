using System.Collections.Immutable;

namespace DrSentinel.Inventory;

public enum ZoneStatus { Healthy, Degraded, Unavailable }

public sealed record ZoneHealth(string Zone, int Nodes, int ReadyNodes, double ReadyRatio, ZoneStatus Status)
{
    /// <summary>
    /// Every zone the cluster has nodes in or should have nodes in, judged by its share of Ready nodes: below
    /// <paramref name="unavailableBelow"/> it is unavailable, below <paramref name="degradedBelow"/> degraded.
    /// A zone where some Auto Scaling group wants instances but no node is left counts as unavailable; a zone a group
    /// merely spans without wanting any (capacity 2 over 3 zones) is not judged.
    /// </summary>
    public static ImmutableArray<ZoneHealth> Assess(InventorySnapshot snapshot, double degradedBelow, double unavailableBelow)
    {
        var counts = snapshot.Nodes.ZoneCounts;
        var expected = snapshot.ScalingGroups.SelectMany(g => g.Zones.Where(z => g.DesiredIn(z) > 0));
        return counts.Select(c => c.Zone).Concat(expected).Distinct()
            .Order(StringComparer.Ordinal)
            .Select(zone =>
            {
                var nodes = counts.Where(c => c.Zone == zone).Sum(c => c.Count);
                var ready = counts.Where(c => c.Zone == zone && c.ReadyStatus == "True").Sum(c => c.Count);
                var ratio = nodes == 0 ? 0 : (double)ready / nodes;
                var status = ratio < unavailableBelow || nodes == 0 ? ZoneStatus.Unavailable
                    : ratio < degradedBelow ? ZoneStatus.Degraded : ZoneStatus.Healthy;
                return new ZoneHealth(zone, nodes, ready, ratio, status);
            }).ToImmutableArray();
    }
}
