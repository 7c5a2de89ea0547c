using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Inventory.Kubernetes;
using Microsoft.Extensions.Options;

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

    private static ScalingGroupState Group(int desired, string[] zones, params string[] instanceZones) =>
        new("eks-primary", "primary", 0, 20, desired, [.. zones],
            [.. instanceZones.Select((z, i) => new ScalingInstanceState($"i-{i}", z, "InService", true))], []);

    [Fact]
    public void Assess_ByShareOfReadyNodes_HealthyDegradedUnavailable()
    {
        var snapshot = Snapshot(Nodes("a", 10, 0).Concat(Nodes("b", 8, 2)).Concat(Nodes("c", 4, 6)));

        var zones = ZoneHealth.Assess(snapshot, degradedBelow: 0.9, unavailableBelow: 0.5);

        Assert.Equal([("a", ZoneStatus.Healthy), ("b", ZoneStatus.Degraded), ("c", ZoneStatus.Unavailable)], zones.Select(z => (z.Zone, z.Status)));
        Assert.Equal(0.8, zones[1].ReadyRatio, precision: 6);
    }

    [Fact]
    public void Assess_ZoneWhereTheGroupStillHasInstancesButNoNodeIsLeft_IsUnavailable()
    {
        var zones = ZoneHealth.Assess(Snapshot(Nodes("a", 3, 0).Concat(Nodes("b", 3, 0)), Group(9, ["a", "b", "c"], "a", "b", "c")), 0.9, 0.5);

        Assert.Equal(ZoneStatus.Unavailable, Assert.Single(zones, z => z.Zone == "c").Status);
    }

    [Fact]
    public void Assess_ZoneOfASingleZoneGroupThatWantsCapacityButHasNoNode_IsUnavailable()
    {
        var zones = ZoneHealth.Assess(Snapshot(Nodes("a", 3, 0), Group(2, ["c"])), 0.9, 0.5);

        Assert.Equal(ZoneStatus.Unavailable, Assert.Single(zones, z => z.Zone == "c").Status);
    }

    [Fact]
    public void Assess_MultiZoneGroupPlacedUnevenly_JudgesNoZoneByArithmetic()
    {
        // Desired 4 over three zones, placed 1/2/1 by AWS: every zone holds what it holds, and all are healthy.
        var nodes = Nodes("a", 1, 0).Concat(Nodes("b", 2, 0)).Concat(Nodes("c", 1, 0));

        var zones = ZoneHealth.Assess(Snapshot(nodes, Group(4, ["a", "b", "c"], "a", "b", "b", "c")), 0.9, 0.5);

        Assert.All(zones, z => Assert.Equal(ZoneStatus.Healthy, z.Status));
    }

    [Fact]
    public void Assess_ZoneAMultiZoneGroupSpansWithoutInstances_IsNotJudged()
    {
        var zones = ZoneHealth.Assess(Snapshot(Nodes("a", 1, 0).Concat(Nodes("b", 1, 0)), Group(2, ["a", "b", "c"], "a", "b")), 0.9, 0.5);

        Assert.DoesNotContain(zones, z => z.Zone == "c");
    }

    [Fact]
    public void Update_ComputesTheZoneVerdictWithTheSnapshot()
    {
        var store = new InventoryStore(Options.Create(new InventoryOptions { ZoneDegradedBelowReadyRatio = 0.9, ZoneUnavailableBelowReadyRatio = 0.5 }));

        var snapshot = store.Update(s => s with { Nodes = new NodeInventory(Nodes("a", 1, 3).ToImmutableDictionary(n => n.Name)) });

        Assert.Equal(("a", ZoneStatus.Unavailable), (Assert.Single(snapshot.Zones).Zone, snapshot.Zones[0].Status));
        Assert.Same(snapshot, store.Current);
    }

    private static RedisProbeResult Redis(string member, string zone, bool up) =>
        new("pyairtable-redis", member, zone, up, null, null, null, null, TimeSpan.Zero);

    /// <summary>Zone a cut off with two members, b answering; then a's primary moved to b, one member left failing in a; then it answers.</summary>
    private static readonly RedisProbeResult[][] CutOffThenPrimaryMoved =
    [
        [Redis("001", "a", false), Redis("002", "a", false), Redis("003", "b", true)],
        [Redis("001", "a", false), Redis("002", "b", true), Redis("003", "b", true)],
        [Redis("001", "a", true), Redis("002", "b", true), Redis("003", "b", true)],
    ];

    [Fact]
    public void Store_AZoneCutOff_StaysUnreachableWithOneMemberLeftFailing_UntilItAnswers()
    {
        var store = new InventoryStore(Options.Create(new DrSentinel.Inventory.InventoryOptions()));

        var verdicts = CutOffThenPrimaryMoved.Select(probes => ZoneImpairment.Assess(store.Update(s => s with { RedisProbes = [.. probes] }), "a").Unreachable).ToList();

        Assert.Equal([true, true, false], verdicts);
    }

    [Fact]
    public void Assess_OneMemberFailingWithoutAVerdictBefore_IsCutOffButNotUnreachable_AndHoldsAnAlertOnlyWhereDrSentinelActedForTheZone()
    {
        var impairment = ZoneImpairment.Assess(InventorySnapshot.Empty with { RedisProbes = [.. CutOffThenPrimaryMoved[1]] }, "a");

        Assert.Equal((false, true), (impairment.Unreachable, impairment.CutOff));
        Assert.Equal((false, true), (impairment.HoldsAlert(actedFor: false), impairment.HoldsAlert(actedFor: true)));
    }
}
