using System.Collections.Immutable;

namespace DrSentinel.Inventory;

public enum ZoneStatus { Healthy, Degraded, Unavailable }

public sealed record ZoneHealth(string Zone, int Nodes, int ReadyNodes, double ReadyRatio, ZoneStatus Status)
{
    /// <summary>
    /// Every zone the cluster has nodes in or is known to need nodes in, judged by its share of Ready nodes: below
    /// <paramref name="unavailableBelow"/> it is unavailable, below <paramref name="degradedBelow"/> degraded.
    /// A zone with no node left counts as unavailable only where the facts say nodes belong there: an Auto Scaling
    /// group still has instances in it, or a group confined to that zone wants capacity. How AWS spreads a multi-zone
    /// group's desired capacity is not guessed: it does not follow any fixed arithmetic.
    /// </summary>
    public static ImmutableArray<ZoneHealth> Assess(InventorySnapshot snapshot, double degradedBelow, double unavailableBelow)
    {
        var counts = snapshot.Nodes.ZoneCounts;
        var expected = snapshot.ScalingGroups.SelectMany(g => g.Instances.Select(i => i.Zone)
            .Concat(g.Zones.Length == 1 && g.DesiredCapacity > 0 ? g.Zones : []));
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
