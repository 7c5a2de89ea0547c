using System.Collections.Immutable;
using DrSentinel.Inventory;

namespace DrSentinel.Planning;

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
