using System.Collections.Immutable;
using DrSentinel.Planning;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Planning;

public sealed class GuardrailTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly ActionBudget Budget = new(TimeSpan.FromMinutes(15), MaxPerHour: 3);
    private static readonly PlanStep Step = new UpdateGroup("ng-b", new GroupSettings(0, 3, [], []), new GroupSettings(0, 5, [], []));

    [Fact]
    public void Refusal_UnderTheCap_None() => Assert.Null(Budget.Refusal(Step, PlanIntent.Evacuate, "e1", [], Now));

    [Fact]
    public void Refusal_CapReachedWithinTheHour_Refuses()
    {
        var history = Enumerable.Range(0, 3).Select(i => new ActionRecord(Now.AddMinutes(-50 + i), PlanIntent.Restore, $"r{i}", "x", "e0")).ToList();

        Assert.Contains("cap", Budget.Refusal(Step, PlanIntent.Restore, "e1", history, Now), StringComparison.Ordinal);
        Assert.Null(Budget.Refusal(Step, PlanIntent.Restore, "e1", history, Now.AddMinutes(11)));
    }

    [Fact]
    public void Refusal_SameResourceEvacuatedForAnotherAlertWithinCooldown_Refuses()
    {
        ActionRecord[] history = [new(Now.AddMinutes(-5), PlanIntent.Evacuate, "ng-b", "update-group", "earlier")];

        Assert.Contains("cooldown", Budget.Refusal(Step, PlanIntent.Evacuate, "now", history, Now), StringComparison.Ordinal);
        Assert.Null(Budget.Refusal(Step, PlanIntent.Evacuate, "earlier", history, Now)); // the same evacuation, replayed
        Assert.Null(Budget.Refusal(Step, PlanIntent.Restore, "now", history, Now)); // undoing is not held
        Assert.Null(Budget.Refusal(Step, PlanIntent.Evacuate, "now", history, Now.AddMinutes(11)));
    }

    [Theory]
    [InlineData("DrSentinelAzUnavailable", true, "pyairtable", "eu-central-1a", PlanIntent.Evacuate, null)]
    [InlineData("DrSentinelAzUnreachable", false, "pyairtable", "eu-central-1a", PlanIntent.Restore, null)]
    [InlineData("DrSentinelAzUnavailable", true, "", "eu-central-1a", PlanIntent.Evacuate, null)]
    [InlineData("DrSentinelAzUnavailable", true, "other", "eu-central-1a", null, "other-cluster")]
    [InlineData("DrSentinelAzUnavailable", true, "pyairtable", "", null, "no-az-label")]
    [InlineData("DrSentinelAzDegraded", true, "pyairtable", "eu-central-1a", null, "not-actionable")]
    public void AlertRoute_ByNameStatusClusterAndZone(string name, bool firing, string cluster, string az, PlanIntent? intent, string? ignored)
    {
        var labels = new Dictionary<string, string> { ["alertname"] = name, ["cluster"] = cluster, ["az"] = az };

        var route = AlertRoute.For(name, firing, labels, "pyairtable");

        Assert.Equal(intent, route.Intent);
        Assert.Equal(ignored, route.IgnoredBecause);
    }

    [Fact]
    public void ZoneLossHeadroom_PerZoneLayout_SiblingsRoomWithinMaxSize()
    {
        var headroom = ZoneLossHeadroom.Assess(PerZone(desired: 3, max: 4));

        Assert.All(headroom, h => Assert.Equal((3, 2, 1), (h.Lost, h.Absorbable, h.Shortfall)));
    }

    [Fact]
    public void ZoneLossHeadroom_SpanningGroup_RoomUpToMaxSize()
    {
        var headroom = ZoneLossHeadroom.Assess(Spanning(perZone: 3, max: 20));

        Assert.All(headroom, h => Assert.Equal((3, 3, 0), (h.Lost, h.Absorbable, h.Shortfall)));
    }

    [Fact]
    public void Preview_SimulatedFailureOfAHealthyZone_PlansTheEvacuationWithoutTouchingTheSnapshot()
    {
        var snapshot = PerZone();

        var plan = EvacuationPlanner.PlanEvacuation("eu-central-1a", ZoneFailure.Simulate(snapshot, "eu-central-1a"), AllowAll(snapshot));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.All(snapshot.Nodes.ByName.Values, n => Assert.True(n.Ready));
    }
}
