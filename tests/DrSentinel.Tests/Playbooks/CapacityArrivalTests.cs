using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using Microsoft.Extensions.Time.Testing;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Playbooks;

/// <summary>An evacuation's capacity followed to the end: which groups are short, when that is overdue, where it moves.</summary>
public sealed class CapacityArrivalTests
{
    private const string A = "eu-central-1a";
    private const string B = "eu-central-1b";
    private const string C = "eu-central-1c";
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);

    private static ScalingGroupState GroupNamed(InventorySnapshot s, string name) => s.ScalingGroups.Single(g => g.Name == name);

    /// <summary>Zone A lost, the per-zone groups evacuated: B and C raised (3 to 5 and 4), no instance arrived yet.</summary>
    private static (InventorySnapshot Snapshot, ActionPolicy Policy) Evacuated(int max = 10)
    {
        var snapshot = PerZone(desired: 3, max: max, downZone: A);
        var policy = AllowAll(snapshot);
        return (Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)), policy);
    }

    /// <summary>The group's instances all in service: the capacity it asked for arrived.</summary>
    private static InventorySnapshot Arrived(InventorySnapshot snapshot, string group) => MapGroups(snapshot, g => g.Name != group ? g : g with
    {
        Instances = [.. Enumerable.Range(0, g.DesiredCapacity).Select(i => new ScalingInstanceState($"i-{g.Name}-new{i}", g.Zones[0], "InService", true))],
    });

    [Fact]
    public void Shortfalls_RaisedGroupsWithoutTheirInstances_AreShortByWhatIsMissing()
    {
        var (snapshot, _) = Evacuated();

        var shortfalls = CapacityArrival.Shortfalls(snapshot);

        Assert.Equal(["ng-b", "ng-c"], shortfalls.Select(s => s.Group));
        Assert.All(shortfalls, s => Assert.Equal(A, s.Zone));
        Assert.Equal(3, shortfalls.Sum(s => s.Missing));
        Assert.Equal([B], shortfalls.Single(s => s.Group == "ng-b").GroupZones.ToArray());
        Assert.Empty(CapacityArrival.Shortfalls(Arrived(Arrived(snapshot, "ng-b"), "ng-c")));
    }

    [Fact]
    public void Shortfalls_GroupsDrSentinelDidNotChange_AreNotItsToFollow()
    {
        var snapshot = MapGroups(PerZone(desired: 3), g => g with { DesiredCapacity = 5 });

        Assert.Empty(CapacityArrival.Shortfalls(snapshot));
    }

    [Fact]
    public void Tracker_ShortForLessThanTheBound_IsNotOverdue_ThenIs_AndForgetsWhatArrived()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero));
        var tracker = new CapacityArrival.Tracker(time, Bound);
        var (snapshot, _) = Evacuated();

        Assert.Empty(tracker.Overdue(CapacityArrival.Shortfalls(snapshot)));
        time.Advance(Bound - TimeSpan.FromSeconds(1));
        Assert.Empty(tracker.Overdue(CapacityArrival.Shortfalls(snapshot)));
        time.Advance(TimeSpan.FromSeconds(1));
        var overdue = tracker.Overdue(CapacityArrival.Shortfalls(snapshot));
        Assert.Equal(["ng-b", "ng-c"], overdue.Select(o => o.Shortfall.Group));
        Assert.All(overdue, o => Assert.Equal(Bound, o.For));

        // ng-c's capacity arrives; were it short again later, its clock starts from then.
        var partly = Arrived(snapshot, "ng-c");
        Assert.Equal(["ng-b"], tracker.Overdue(CapacityArrival.Shortfalls(partly)).Select(o => o.Shortfall.Group));
        Assert.Equal(["ng-b"], tracker.Overdue(CapacityArrival.Shortfalls(snapshot)).Select(o => o.Shortfall.Group));
        time.Advance(Bound);
        Assert.Equal(["ng-b", "ng-c"], tracker.Overdue(CapacityArrival.Shortfalls(snapshot)).Select(o => o.Shortfall.Group));
    }

    [Fact]
    public void Tracker_Restart_GivesAGroupTheWholeBoundAgain()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero));
        var tracker = new CapacityArrival.Tracker(time, Bound);
        var (snapshot, _) = Evacuated();
        tracker.Overdue(CapacityArrival.Shortfalls(snapshot));
        time.Advance(Bound);

        tracker.Restart("ng-b");

        Assert.Equal(["ng-c"], tracker.Overdue(CapacityArrival.Shortfalls(snapshot)).Select(o => o.Shortfall.Group));
        time.Advance(Bound);
        Assert.Equal(["ng-b", "ng-c"], tracker.Overdue(CapacityArrival.Shortfalls(snapshot)).Select(o => o.Shortfall.Group));
    }

    [Fact]
    public void PlanMove_NoCapacityInB_MovesItsMissingInstancesToC_AndTheRestorePutsEverythingBack()
    {
        var original = PerZone(desired: 3, downZone: A);
        var (snapshot, policy) = Evacuated();
        snapshot = Arrived(snapshot, "ng-c"); // C launched; B launched nothing
        var overdue = CapacityArrival.Shortfalls(snapshot);
        var missing = overdue.Single().Missing;

        var plan = CapacityArrival.PlanMove(A, snapshot, policy, overdue);

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.True(plan.FollowsUp);
        Assert.Equal(0, plan.Shortfall);
        Assert.Equal(["update-ledger", "update-group", "update-ledger", "update-group"], plan.Steps.Select(s => s.Action));
        var after = Apply(snapshot, plan);
        Assert.Equal(3, GroupNamed(after, "ng-b").DesiredCapacity); // back to what is in service there
        Assert.Equal(GroupNamed(snapshot, "ng-c").DesiredCapacity + missing, GroupNamed(after, "ng-c").DesiredCapacity);
        Assert.Equal(snapshot.ScalingGroups.Sum(g => g.DesiredCapacity), after.ScalingGroups.Sum(g => g.DesiredCapacity));
        Assert.All(plan.Steps.OfType<UpdateGroupLedger>(), l => Assert.Equal(A, l.Zone));

        // The ledgers say what DrSentinel applies now, so the zone's restore undoes the move with the evacuation.
        var restore = EvacuationPlanner.PlanRestore(A, Recover(after), policy);
        Assert.Empty(restore.Findings);
        var restored = Apply(Recover(after), restore);
        foreach (var group in original.ScalingGroups)
        {
            Assert.Equal(group.DesiredCapacity, GroupNamed(restored, group.Name).DesiredCapacity);
            Assert.Equal(group.MinSize, GroupNamed(restored, group.Name).MinSize);
        }
    }

    [Fact]
    public void PlanMove_AGroupNotChangedBefore_GetsItsLedgerRecordedFirst()
    {
        // ng-c was not raised by the evacuation (the evacuation put everything on ng-b): its first change records the original.
        var snapshot = PerZone(desired: 3, downZone: A);
        var policy = Allow("ng-a", "ng-b");
        snapshot = Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy));
        policy = AllowAll(snapshot);

        var plan = CapacityArrival.PlanMove(A, snapshot, policy, CapacityArrival.Shortfalls(snapshot));

        Assert.Equal(["update-ledger", "update-group", "record-ledger", "update-group"], plan.Steps.Select(s => s.Action));
        var record = plan.Steps.OfType<RecordGroupLedger>().Single();
        Assert.Equal("ng-c", record.Group);
        Assert.Equal(3, record.Original.DesiredCapacity);
        Assert.Equal(A, record.Zone);
    }

    [Fact]
    public void PlanMove_EveryOtherGroupAtMaxSize_NamesTheShortfallAndChangesNothing()
    {
        var (snapshot, policy) = Evacuated(max: 5);
        snapshot = MapGroups(snapshot, g => g.Name == "ng-c" ? g with { DesiredCapacity = 5 } : g);
        snapshot = Arrived(snapshot, "ng-c");
        var overdue = CapacityArrival.Shortfalls(snapshot);

        var plan = CapacityArrival.PlanMove(A, snapshot, policy, overdue);

        Assert.Equal(PlanVerdict.NoOp, plan.Verdict);
        Assert.Empty(plan.Steps);
        Assert.Equal(overdue.Single().Missing, plan.Shortfall);
        Assert.Contains(plan.Findings, f => f.Contains("ng-b", StringComparison.Ordinal) && f.Contains("MaxSize", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanMove_NeitherTheLostZoneNorAZoneWithoutCapacity_IsATarget()
    {
        var (snapshot, policy) = Evacuated();
        snapshot = Arrived(snapshot, "ng-c");
        var overdue = CapacityArrival.Shortfalls(snapshot);

        var plan = CapacityArrival.PlanMove(A, snapshot, policy, overdue, noCapacityIn: ImmutableHashSet.Create(C));

        Assert.Equal(PlanVerdict.NoOp, plan.Verdict);
        Assert.DoesNotContain(plan.Steps, s => s.Resource == "ng-a");
        Assert.Contains(plan.Findings, f => f.Contains("no allowed group", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanMove_NeverBelowWhatIsBootingNorTheOriginalMinSize()
    {
        var snapshot = Build([Group("ng-a", [A], 3, 10, min: 2), Group("ng-b", [B], 3, 10, min: 2), Group("ng-c", [C], 3, 10, min: 2)], downZone: A);
        var policy = AllowAll(snapshot);
        snapshot = Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy));
        // ng-b launched nothing and lost one instance: 2 in service, 1 booting, desired 5.
        snapshot = MapGroups(snapshot, g => g.Name != "ng-b" ? g : g with
        {
            Instances = [new($"i-b0", B, "InService", true), new($"i-b1", B, "InService", true), new($"i-b2", B, "Pending", true)],
        });
        snapshot = Arrived(snapshot, "ng-c");

        var plan = CapacityArrival.PlanMove(A, snapshot, policy, CapacityArrival.Shortfalls(snapshot));

        var lowered = plan.Steps.OfType<UpdateGroup>().Single(u => u.Group == "ng-b");
        Assert.Equal(3, lowered.To.DesiredCapacity);
        Assert.True(lowered.To.MinSize <= lowered.To.DesiredCapacity);
    }

    [Fact]
    public void Budget_AFollowUpIsNotHeldByTheCooldownOfTheEvacuationItFollows_ButByTheCap()
    {
        var now = new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);
        var budget = new ActionBudget(TimeSpan.FromMinutes(15), MaxPerHour: 4);
        ActionRecord[] history = [new(now.AddMinutes(-5), PlanIntent.Evacuate, "ng-b", "update-group", "the-alert") { Subject = A }];
        var step = new UpdateGroup("ng-c", new GroupSettings(0, 4, [], []), new GroupSettings(0, 6, [], []));
        var plan = new Plan(CapacityPlaybook.PlaybookName, PlanIntent.Evacuate, A, PlanVerdict.Act, "r", [step, step], [], 2, 0);

        Assert.Equal(RefusalCodes.Cooldown, budget.Refusal(plan, "capacity-move", history, now)?.Code);
        Assert.Null(budget.Refusal(plan with { FollowsUp = true }, "capacity-move", history, now));
        Assert.Equal(RefusalCodes.HourlyCap, budget.Refusal(plan with { FollowsUp = true, Steps = [step, step, step, step] }, "capacity-move", history, now)?.Code);
    }

    [Fact]
    public void Budget_AFollowUpsOwnSteps_DoNotHoldTheNextEvacuationOfTheZone()
    {
        // A shift extended or capacity moved a minute ago is upkeep of the evacuation in effect, not an evacuation.
        var now = new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);
        var budget = new ActionBudget(TimeSpan.FromMinutes(15), MaxPerHour: 30);
        ActionRecord[] history = [new(now.AddMinutes(-1), PlanIntent.Evacuate, "pyairtable", "zonal-shift-extend", "zonal-shift-upkeep") { Subject = A, FollowUp = true }];
        var step = new UpdateGroup("ng-c", new GroupSettings(0, 4, [], []), new GroupSettings(0, 6, [], []));
        var evacuation = new Plan(CapacityPlaybook.PlaybookName, PlanIntent.Evacuate, A, PlanVerdict.Act, "r", [step], [], 2, 0);

        Assert.Null(budget.Refusal(evacuation, "a-new-alert", history, now));
    }
}
