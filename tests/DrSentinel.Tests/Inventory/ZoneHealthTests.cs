using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Inventory.Kubernetes;

namespace DrSentinel.Tests.Inventory;

public sealed class ZoneHealthTests
{
    private static InventorySnapshot Snapshot(IEnumerable<NodeState> nodes, params ScalingGroupState[] groups) => InventorySnapshot.Empty with
    {
        Nodes = new NodeInventory(nodes.ToImmutableDictionary(n => n.Name)),
        ScalingGroups = [.. groups],
    };

    private static IEnumerable<NodeState> Nodes(string zone, int ready, int notReady) =>
        Enumerable.Range(0, ready + notReady).Select(i => new NodeState($"{zone}-{i}", zone, "primary", i < ready ? "True" : "Unknown", false, "1"));

    private static ScalingGroupState Group(int desired, params string[] zones) =>
        new("eks-primary", "primary", 0, 20, desired, [.. zones], [], []);

    [Fact]
    public void Assess_ByShareOfReadyNodes_HealthyDegradedUnavailable()
    {
        var snapshot = Snapshot(Nodes("a", 10, 0).Concat(Nodes("b", 8, 2)).Concat(Nodes("c", 4, 6)));

        var zones = ZoneHealth.Assess(snapshot, degradedBelow: 0.9, unavailableBelow: 0.5);

        Assert.Equal([("a", ZoneStatus.Healthy), ("b", ZoneStatus.Degraded), ("c", ZoneStatus.Unavailable)], zones.Select(z => (z.Zone, z.Status)));
        Assert.Equal(0.8, zones[1].ReadyRatio, precision: 6);
    }

    [Fact]
    public void Assess_ZoneWhereAGroupWantsInstancesButNoNodeIsLeft_IsUnavailable()
    {
        var zones = ZoneHealth.Assess(Snapshot(Nodes("a", 3, 0).Concat(Nodes("b", 3, 0)), Group(9, "a", "b", "c")), 0.9, 0.5);

        Assert.Equal(ZoneStatus.Unavailable, Assert.Single(zones, z => z.Zone == "c").Status);
    }

    [Fact]
    public void Assess_ZoneAGroupSpansButWantsNothingIn_IsNotJudged()
    {
        var zones = ZoneHealth.Assess(Snapshot(Nodes("a", 1, 0).Concat(Nodes("b", 1, 0)), Group(2, "a", "b", "c")), 0.9, 0.5);

        Assert.DoesNotContain(zones, z => z.Zone == "c");
    }

    [Theory]
    [InlineData(7, "a", 3)]
    [InlineData(7, "b", 2)]
    [InlineData(7, "c", 2)]
    [InlineData(2, "c", 0)]
    [InlineData(7, "z", 0)]
    public void DesiredIn_SpreadsCapacityEvenlyWithTheRemainderOnTheFirstZones(int desired, string zone, int expected) =>
        Assert.Equal(expected, Group(desired, "a", "b", "c").DesiredIn(zone));
}
