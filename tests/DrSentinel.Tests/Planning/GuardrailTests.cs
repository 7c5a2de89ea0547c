using System.Collections.Immutable;
using DrSentinel.Planning;
using DrSentinel.Playbooks;
using DrSentinel.Playbooks.Capacity;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Planning;

public sealed class GuardrailTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly ActionBudget Budget = new(TimeSpan.FromMinutes(15), MaxPerHour: 3);
    private static readonly PlanStep Step = new UpdateGroup("ng-b", new GroupSettings(0, 3, [], []), new GroupSettings(0, 5, [], []));

    private static Plan Evacuation(string zone, params PlanStep[] steps) =>
        new(CapacityPlaybook.PlaybookName, PlanIntent.Evacuate, zone, PlanVerdict.Act, "r", [.. steps], [], 3, 0);

    private static Plan Restore(string zone, params PlanStep[] steps) => Evacuation(zone, steps) with { Intent = PlanIntent.Restore };

    [Fact]
    public void Refusal_UnderTheCap_None() => Assert.Null(Budget.Refusal(Evacuation("eu-central-1a", Step), "e1", [], Now));

    [Fact]
    public void Refusal_CapReachedWithinTheHour_Refuses()
    {
        var history = Enumerable.Range(0, 3).Select(i => new ActionRecord(Now.AddMinutes(-50 + i), PlanIntent.Restore, $"r{i}", "x", "e0")).ToList();

        Assert.Equal(RefusalCodes.HourlyCap, Budget.Refusal(Restore("eu-central-1a", Step), "e1", history, Now)?.Code);
        Assert.Null(Budget.Refusal(Restore("eu-central-1a", Step), "e1", history, Now.AddMinutes(11)));
    }

    [Fact]
    public void Refusal_PlanThatWouldPassTheCapPartWay_RefusedWhole()
    {
        ActionRecord[] history = [new(Now.AddMinutes(-5), PlanIntent.Restore, "r", "x", "e0")];

        var refusal = Budget.Refusal(Evacuation("eu-central-1a", Step, Step, Step), "e1", history, Now);

        Assert.Equal(RefusalCodes.HourlyCap, refusal?.Code);
        Assert.Contains("nothing of it is done", refusal!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Refusal_StepsAnotherLaneIsCarryingOut_CountAgainstTheCap()
    {
        Assert.Null(Budget.Refusal(Evacuation("eu-central-1a", Step), "e1", [], Now, stepsInFlight: 2));
        Assert.Equal(RefusalCodes.HourlyCap, Budget.Refusal(Evacuation("eu-central-1a", Step, Step), "e1", [], Now, stepsInFlight: 2)?.Code);
    }

    [Fact]
    public void Refusal_SameZoneEvacuatedForAnotherAlertWithinCooldown_Refuses()
    {
        ActionRecord[] history = [new(Now.AddMinutes(-5), PlanIntent.Evacuate, "ng-b", "update-group", "earlier") { Subject = "eu-central-1a" }];

        Assert.Equal(RefusalCodes.Cooldown, Budget.Refusal(Evacuation("eu-central-1a", Step), "now", history, Now)?.Code);
        Assert.Null(Budget.Refusal(Evacuation("eu-central-1a", Step), "earlier", history, Now)); // the same evacuation, replayed
        Assert.Null(Budget.Refusal(Restore("eu-central-1a", Step), "now", history, Now)); // undoing is not held
        Assert.Null(Budget.Refusal(Evacuation("eu-central-1a", Step), "now", history, Now.AddMinutes(11)));
    }

    [Fact]
    public void Refusal_GroupChangedForAnotherZonesIncident_NotHeldByTheCooldown()
    {
        // Zone a was evacuated and restored minutes ago through ng-b; now zone b fails and needs ng-b too.
        ActionRecord[] history =
        [
            new(Now.AddMinutes(-8), PlanIntent.Evacuate, "ng-b", "update-group", "a-episode") { Subject = "eu-central-1a" },
            new(Now.AddMinutes(-4), PlanIntent.Restore, "ng-b", "update-group", "a-episode") { Subject = "eu-central-1a" },
        ];

        Assert.Null(Budget.Refusal(Evacuation("eu-central-1b", Step), "b-episode", history, Now));
    }

    [Fact]
    public void Refusal_RecordWithoutASubject_HeldByTheResourceItChanged()
    {
        ActionRecord[] history = [new(Now.AddMinutes(-5), PlanIntent.Evacuate, "ng-b", "update-group", "earlier")];

        Assert.Equal(RefusalCodes.Cooldown, Budget.Refusal(Evacuation("eu-central-1b", Step), "now", history, Now)?.Code);
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

        var route = BuiltInPlaybooks.Table.Route(name, firing, labels, "pyairtable");

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
