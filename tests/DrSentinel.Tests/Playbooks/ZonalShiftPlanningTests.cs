using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Playbooks;

/// <summary>The evacuation moving traffic with ARC zonal shift: started first, never twice, only ours undone, extended while impaired.</summary>
public sealed class ZonalShiftPlanningTests
{
    private const string A = "eu-central-1a";
    private const string B = "eu-central-1b";
    private static readonly DateTimeOffset AlertStart = new(2026, 12, 3, 14, 0, 5, TimeSpan.Zero);

    private static ActionPolicy Shifting(InventorySnapshot s) => AllowAll(s) with { ShiftTrafficAway = true, ZonalShiftLasts = TimeSpan.FromHours(2) };

    private static ActiveZonalShift Shift(string zone, string comment, DateTimeOffset? expiry = null) =>
        new("shift-" + comment.Length, zone, comment, expiry ?? AlertStart + TimeSpan.FromHours(1), Applied: true);

    [Fact]
    public void PlanEvacuation_WatchedResources_ShiftsEachAwayFirst_NamingTheIncident()
    {
        var snapshot = WithZonalShiftResources(PerZone(downZone: A));

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, Shifting(snapshot), AlertStart);

        var shifts = plan.Steps.TakeWhile(s => s is StartZonalShift).Cast<StartZonalShift>().ToList();
        Assert.Equal([ClusterArn, LoadBalancerArn], shifts.Select(s => s.Arn));
        Assert.All(shifts, s =>
        {
            Assert.Equal(A, s.Zone);
            Assert.Equal("120m", s.ExpiresIn);
            Assert.Equal("DrSentinel incident eu-central-1a-20261203T140005Z: eu-central-1a impaired", s.Comment);
        });
        Assert.Contains(plan.Steps, s => s is CordonNodes); // the shift is not in place yet when this plan is made
        Assert.Equal(PlanVerdict.Act, plan.Verdict);
    }

    [Fact]
    public void PlanEvacuation_ShiftTrafficAwayOff_StartsNoShift()
    {
        var snapshot = WithZonalShiftResources(PerZone(downZone: A));

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot), AlertStart);

        Assert.DoesNotContain(plan.Steps, s => s is StartZonalShift);
    }

    [Fact]
    public void PlanEvacuation_ClusterAlreadyShiftedBySomeoneElse_AddsOnlyCapacity()
    {
        var snapshot = MapShifts(WithZonalShiftResources(Spanning(downZone: A, autoscaler: true)), ClusterArn,
            r => r with { Shifts = [Shift(A, "on-call: shifted by hand")], AppliedWeights = r.AppliedWeights.SetItem(A, 0) });

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, Shifting(snapshot), AlertStart);

        // The load balancer still gets its shift; the cluster's is left as it is, and with it the cordon, subnets and AZRebalance.
        Assert.Equal([LoadBalancerArn], plan.Steps.OfType<StartZonalShift>().Select(s => s.Arn));
        Assert.DoesNotContain(plan.Steps, s => s is CordonNodes or SuspendProcesses);
        var update = plan.Steps.OfType<UpdateGroup>().Single();
        Assert.Equal(update.From.Subnets.ToArray(), update.To.Subnets.ToArray());
        Assert.Equal(12, update.To.DesiredCapacity);
        Assert.Equal(12, update.To.MinSize); // cluster-autoscaler would scale the added capacity away without it
        Assert.Contains(plan.Findings, f => f.Contains("not DrSentinel's", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ZONAL_AUTOSHIFT")]
    [InlineData("PRACTICE_RUN")]
    public void PlanEvacuation_ClusterShiftedAwayByAwsItself_DrSentinelsOwnShiftTakesPrecedence_AndTheZoneIsCordoned(string shiftType)
    {
        // ARC applies a customer's shift over an autoshift and cancels a practice run for it; AWS ends its own when it decides.
        var snapshot = MapShifts(WithZonalShiftResources(Spanning(downZone: A)), ClusterArn,
            r => r with { Shifts = [Shift(A, "") with { ShiftType = shiftType }], AppliedWeights = r.AppliedWeights.SetItem(A, 0) });

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, Shifting(snapshot), AlertStart);

        Assert.Equal([ClusterArn, LoadBalancerArn], plan.Steps.OfType<StartZonalShift>().Select(s => s.Arn).Order());
        Assert.Contains(plan.Steps, s => s is CordonNodes);
        Assert.Contains(plan.Findings, f => f.Contains($"AWS's {shiftType}", StringComparison.Ordinal));
    }

    [Fact]
    public void Comment_ForTheLongestZoneName_IsWithinArcs128Characters()
    {
        // botocore: ZonalShiftComment, max 128. AWS's longest zone names are Local Zones such as us-west-2-lax-1a.
        var comment = ZonalShifts.Comment("ap-southeast-4-akl-1a", AlertStart);

        Assert.InRange(comment.Length, 1, 128);
        Assert.StartsWith(ActiveZonalShift.Mark, comment, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanEvacuation_PracticeRunAwayFromAHealthyZone_IsInterruptedByDrSentinelsShift()
    {
        var snapshot = MapShifts(WithZonalShiftResources(PerZone(downZone: A)), LoadBalancerArn,
            r => r with { Shifts = [Shift(B, "Zonal autoshift practice run") with { ShiftType = "PRACTICE_RUN" }], AppliedWeights = r.AppliedWeights.SetItem(B, 0) });

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, Shifting(snapshot), AlertStart);

        Assert.Contains(plan.Steps.OfType<StartZonalShift>(), s => s.Arn == LoadBalancerArn && s.Zone == A);
        Assert.False(snapshot.ZonalShiftResources.Single(r => r.Arn == LoadBalancerArn).Shifts[0].Ours);
    }

    [Fact]
    public void PlanEvacuation_ResourceShiftedAwayFromAnotherZone_IsLeftAlone()
    {
        var snapshot = MapShifts(WithZonalShiftResources(PerZone(downZone: A)), LoadBalancerArn, r => r with { Shifts = [Shift(B, "an operator's")] });

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, Shifting(snapshot), AlertStart);

        Assert.Equal([ClusterArn], plan.Steps.OfType<StartZonalShift>().Select(s => s.Arn));
        Assert.Contains(plan.Findings, f => f.Contains("one shift per resource", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanEvacuation_PlannedAgainAfterItsShifts_DoesNotStartThemTwice()
    {
        var snapshot = WithZonalShiftResources(PerZone(downZone: A));
        var policy = Shifting(snapshot);

        var after = Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy, AlertStart));
        var again = EvacuationPlanner.PlanEvacuation(A, after, policy, AlertStart);

        Assert.Equal(PlanVerdict.NoOp, again.Verdict);
        Assert.Contains(A, EvacuationPlanner.EvacuatedZones(after));
    }

    [Fact]
    public void PlanRestore_CancelsOnlyDrSentinelsShifts_AfterTheUncordon()
    {
        var snapshot = WithZonalShiftResources(PerZone(downZone: A));
        var policy = Shifting(snapshot);
        var evacuated = Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy, AlertStart));
        // Someone else's shift of the load balancer replaced ours meanwhile: not DrSentinel's to cancel.
        evacuated = MapShifts(evacuated, LoadBalancerArn, r => r with { Shifts = [Shift(A, "an operator's")] });

        var plan = EvacuationPlanner.PlanRestore(A, Recover(evacuated), policy);

        Assert.Equal(["uncordon", "zonal-shift-cancel"], plan.Steps.Take(2).Select(s => s.Action));
        Assert.Equal([ClusterArn], plan.Steps.OfType<CancelZonalShift>().Select(s => s.Arn));
        var restored = Apply(Recover(evacuated), plan);
        Assert.Equal(1.0, restored.ZonalShiftResources.Single(r => r.Arn == ClusterArn).AppliedWeights[A]);
        Assert.Equal(PlanVerdict.NoOp, EvacuationPlanner.PlanRestore(A, restored, policy).Verdict);
    }

    [Fact]
    public void PlanRestore_ZoneStillImpaired_KeepsTheShift()
    {
        var snapshot = WithZonalShiftResources(PerZone(downZone: A));
        var policy = Shifting(snapshot);
        var evacuated = Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy, AlertStart));

        var plan = EvacuationPlanner.PlanRestore(A, evacuated, policy);

        Assert.Equal(PlanVerdict.Refused, plan.Verdict);
        Assert.True(plan.WaitsForZone);
    }

    [Fact]
    public void DueForExtension_OursInAnImpairedZoneNearItsEnd_IsExtendedByAFullTerm()
    {
        var now = AlertStart + TimeSpan.FromMinutes(40);
        var ours = Shift(A, ZonalShifts.Comment(A, AlertStart), expiry: now + TimeSpan.FromMinutes(20));
        var snapshot = MapShifts(WithZonalShiftResources(PerZone(downZone: A)), ClusterArn, r => r with { Shifts = [ours] });
        snapshot = MapShifts(snapshot, LoadBalancerArn, r => r with { Shifts = [Shift(A, "an operator's", expiry: now + TimeSpan.FromMinutes(1))] });
        var policy = Shifting(snapshot) with { ZonalShiftLasts = TimeSpan.FromHours(1) };

        var due = ZonalShifts.DueForExtension(snapshot, policy, now);

        var extend = Assert.Single(due); // never someone else's
        Assert.Equal((ClusterArn, ours.Id, "60m", ours.Comment), (extend.Arn, extend.ShiftId, extend.ExpiresIn, extend.Comment));
        Assert.Empty(ZonalShifts.DueForExtension(snapshot, policy, now - TimeSpan.FromMinutes(15))); // 35 min left of 60: not yet
        Assert.Empty(ZonalShifts.DueForExtension(Recover(snapshot), policy, now)); // the zone is back: the restore cancels it instead
    }

    [Theory]
    [InlineData(30, "30m")]
    [InlineData(0.5, "1m")]
    [InlineData(1440, "1440m")]
    [InlineData(1441, "25h")]
    [InlineData(100000, "72h")]
    public void ExpiresIn_IsWithinArcsLimits_RoundedUp(double minutes, string expected) =>
        Assert.Equal(expected, ZonalShifts.ExpiresIn(TimeSpan.FromMinutes(minutes)));
}
