using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Playbooks;

public sealed class EvacuationPlannerTests
{
    private const string A = "eu-central-1a";
    private const string B = "eu-central-1b";

    private static ScalingGroupState GroupNamed(InventorySnapshot s, string name) => s.ScalingGroups.Single(g => g.Name == name);

    [Fact]
    public void PlanEvacuation_PerZoneLayout_CordonsTheZoneAndRaisesTheSiblings()
    {
        var snapshot = PerZone(desired: 3, downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.Equal(3, plan.LostCapacity);
        Assert.Equal(0, plan.Shortfall);
        var cordon = Assert.IsType<CordonNodes>(plan.Steps[0]);
        Assert.Equal(3, cordon.Nodes.Length);
        Assert.All(cordon.Nodes, n => Assert.Equal(A, snapshot.Nodes.ByName[n].Zone));
        var after = Apply(snapshot, plan);
        Assert.Equal(3, GroupNamed(after, "ng-a").DesiredCapacity);
        Assert.Equal(9 + 3, after.ScalingGroups.Sum(g => g.DesiredCapacity));
        Assert.InRange(GroupNamed(after, "ng-b").DesiredCapacity - GroupNamed(after, "ng-c").DesiredCapacity, -1, 1);
        Assert.DoesNotContain(plan.Steps, s => s.Resource == "ng-a");
        Assert.Equal([Subnet(A)], GroupNamed(after, "ng-a").Subnets.Select(s => s.SubnetId));
    }

    [Fact]
    public void PlanEvacuation_SpanningGroup_DropsTheZonesSubnetsHoldsRebalanceAndRaisesDesired()
    {
        var snapshot = Spanning(perZone: 3, downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Equal(["cordon", "record-ledger", "suspend-processes", "update-group"], plan.Steps.Select(s => s.Action));
        var update = plan.Steps.OfType<UpdateGroup>().Single();
        Assert.Equal(12, update.To.DesiredCapacity);
        Assert.Equal(0, update.To.MinSize);
        Assert.Equal([Subnet(B), "subnet-c"], update.To.Subnets.ToArray());
        Assert.Equal([LedgerKeys.AzRebalance], plan.Steps.OfType<SuspendProcesses>().Single().Processes.ToArray());
        var ledger = plan.Steps.OfType<RecordGroupLedger>().Single();
        Assert.Equal(9, ledger.Original.DesiredCapacity);
        Assert.Empty(ledger.Original.Suspended);
        Assert.Equal(3, ledger.Original.Subnets.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PlanEvacuation_AutoscalerGroups_RaiseMinSizeWithDesired(bool spanning)
    {
        var snapshot = spanning ? Spanning(downZone: A, autoscaler: true) : PerZone(downZone: A, autoscaler: true);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        var updates = plan.Steps.OfType<UpdateGroup>().ToList();
        Assert.NotEmpty(updates);
        Assert.All(updates, u => Assert.Equal(u.To.DesiredCapacity, u.To.MinSize));
    }

    [Fact]
    public void PlanEvacuation_WithoutAutoscaler_LeavesMinSize()
    {
        var snapshot = PerZone(downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.All(plan.Steps.OfType<UpdateGroup>(), u => Assert.Equal(u.From.MinSize, u.To.MinSize));
    }

    [Fact]
    public void PlanEvacuation_SiblingsNearMaxSize_StopsAtMaxAndReportsTheShortfall()
    {
        var snapshot = PerZone(desired: 3, max: 4, downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Equal(1, plan.Shortfall);
        Assert.All(plan.Steps.OfType<UpdateGroup>(), u => Assert.Equal(4, u.To.DesiredCapacity));
        Assert.Contains(plan.Findings, f => f.Contains("short", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanEvacuation_SpanningGroupAtMaxSize_ReportsTheShortfall()
    {
        var snapshot = Spanning(perZone: 3, max: 10, downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Equal(10, plan.Steps.OfType<UpdateGroup>().Single().To.DesiredCapacity);
        Assert.Equal(2, plan.Shortfall);
    }

    [Fact]
    public void PlanEvacuation_EmptyAllowList_IsRefusedAndTargetsNothing()
    {
        var snapshot = PerZone(downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, new ActionPolicy());

        Assert.Equal(PlanVerdict.Refused, plan.Verdict);
        Assert.Empty(plan.Steps);
        Assert.Contains("AllowedNodeGroups", plan.Reason, StringComparison.Ordinal);
        Assert.False(plan.WaitsForZone); // no wait makes it act: a human changes the configuration
    }

    [Fact]
    public void PlanEvacuation_GroupOutsideTheAllowList_IsLeftAloneWithItsNodes()
    {
        var snapshot = PerZone(downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, Allow("ng-b", "ng-c"));

        Assert.Empty(plan.Steps.OfType<CordonNodes>());
        Assert.Equal(PlanVerdict.NoOp, plan.Verdict);
        Assert.Contains(plan.Findings, f => f.StartsWith("ng-a: not in the allow-list", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanEvacuation_AllowListByEksNodeGroupName_Matches()
    {
        var snapshot = MapGroups(PerZone(downZone: A), g => g with { Name = "eks-" + g.Name + "-1234" });

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, Allow("ng-a", "ng-b", "ng-c"));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.Single(plan.Steps.OfType<CordonNodes>());
    }

    [Fact]
    public void PlanEvacuation_UnknownZone_IsRefused()
    {
        var snapshot = PerZone(downZone: A);

        var plan = EvacuationPlanner.PlanEvacuation("us-east-1a", snapshot, AllowAll(snapshot));

        Assert.Equal(PlanVerdict.Refused, plan.Verdict);
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void PlanEvacuation_ZoneLooksHealthy_IsRefusedAsStale()
    {
        var snapshot = PerZone();

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Equal(PlanVerdict.Refused, plan.Verdict);
        Assert.Contains("stale", plan.Reason, StringComparison.Ordinal);
        Assert.True(plan.WaitsForZone); // may act once the zone looks impaired
    }

    [Fact]
    public void PlanEvacuation_ZoneUnreachableByProbesWithReadyNodes_Acts()
    {
        var snapshot = PerZone() with
        {
            PostgresProbes = [Probe("db-1", A, up: false), Probe("db-2", B, up: true)],
            RedisProbes = [new RedisProbeResult("rg", "rg-001", A, false, null, null, null, null, TimeSpan.Zero, ProbeFailure.Timeout)],
        };

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.Contains("2/2 probes failing", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanEvacuation_OneFailingProbeInTheZone_IsNotImpaired()
    {
        var snapshot = PerZone() with { PostgresProbes = [Probe("db-1", A, up: false), Probe("db-2", B, up: true)] };

        Assert.Equal(PlanVerdict.Refused, EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot)).Verdict);
    }

    /// <summary>
    /// A replica that takes over leadership mid-incident sees one member left failing in the zone (its primaries moved
    /// out) and no verdict of its own; the cordon its predecessor made is the memory: the evacuation goes on.
    /// </summary>
    [Fact]
    public void PlanEvacuation_OneFailingProbeLeft_InAZoneDrSentinelCordonedFor_StillHolds()
    {
        var cordoned = MapNodes(PerZone(), n => n.Zone == A ? n with { CordonedFor = A } : n);
        var snapshot = cordoned with { PostgresProbes = [Probe("db-1", A, up: false), Probe("db-2", B, up: true)] };

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.NotEqual(RefusalCodes.ZoneHealthy, plan.ReasonCode);
    }

    [Fact]
    public void PlanEvacuation_MostOfTheClusterNotReady_Halts()
    {
        var snapshot = MapNodes(PerZone(downZone: A), n => n.Zone == B ? n with { ReadyStatus = "False" } : n);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Equal(PlanVerdict.Refused, plan.Verdict);
        Assert.Contains("not Ready", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanEvacuation_SecondZone_IsRefusedUnlessAllowed()
    {
        var snapshot = PerZone(desired: 6, max: 20, downZone: A);
        var evacuated = Recover(Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot))));
        var bDown = MapNodes(evacuated, n => n.Zone == B ? n with { ReadyStatus = "Unknown" } : n);

        var refused = EvacuationPlanner.PlanEvacuation(B, bDown, AllowAll(bDown));
        var allowed = EvacuationPlanner.PlanEvacuation(B, bDown, AllowAll(bDown) with { AllowSecondZone = true });

        Assert.Equal(PlanVerdict.Refused, refused.Verdict);
        Assert.Contains(A, refused.Reason, StringComparison.Ordinal);
        Assert.Equal(PlanVerdict.Act, allowed.Verdict);
        Assert.Contains(allowed.Findings, f => f.Contains("already changed for " + A, StringComparison.Ordinal));
    }

    [Fact]
    public void PlanEvacuation_AfterItWasApplied_IsANoOp()
    {
        var snapshot = Spanning(downZone: A);
        var policy = AllowAll(snapshot);

        var again = EvacuationPlanner.PlanEvacuation(A, Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)), policy);

        Assert.Empty(again.Steps.Select(s => s.Describe()));
        Assert.Equal(PlanVerdict.NoOp, again.Verdict);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PlanEvacuation_HalfApplied_PlansOnlyWhatIsLeftWithTheSameTargets(int applied)
    {
        foreach (var snapshot in new[] { Spanning(downZone: A, autoscaler: true), PerZone(downZone: A, autoscaler: true) })
        {
            var policy = AllowAll(snapshot);
            var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, policy);
            var partial = plan with { Steps = plan.Steps.Take(applied).ToImmutableArray() };

            var rest = EvacuationPlanner.PlanEvacuation(A, Apply(snapshot, partial), policy);

            Assert.Equal(plan.Steps.Skip(applied).Select(s => s.Describe()).Where(d => !d.StartsWith("tag", StringComparison.Ordinal)),
                rest.Steps.Select(s => s.Describe()).Where(d => !d.StartsWith("tag", StringComparison.Ordinal)));
            Assert.Equal(Apply(snapshot, plan).ScalingGroups.Select(EvacuationPlanner.Current).Select(c => c.Format()),
                Apply(Apply(snapshot, partial), rest).ScalingGroups.Select(EvacuationPlanner.Current).Select(c => c.Format()));
        }
    }

    [Fact]
    public void PlanEvacuation_NodeCordonedBySomeoneElse_IsNotTouched()
    {
        var snapshot = MapNodes(PerZone(downZone: A), n => n.Name == "node-i-ng-a-a0" ? n with { Unschedulable = true } : n);

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.DoesNotContain("node-i-ng-a-a0", plan.Steps.OfType<CordonNodes>().Single().Nodes);
        var restored = EvacuationPlanner.PlanRestore(A, Recover(Apply(snapshot, plan)), AllowAll(snapshot));
        Assert.DoesNotContain("node-i-ng-a-a0", restored.Steps.OfType<UncordonNodes>().Single().Uncordon);
    }

    [Fact]
    public void PlanEvacuation_UnreadableLedger_LeavesTheGroupForAHuman()
    {
        var snapshot = MapGroups(Spanning(downZone: A), g => g with { Tags = g.Tags.SetItem(LedgerKeys.EvacuatedZone, A).SetItem(LedgerKeys.Original, "garbage") });

        var plan = EvacuationPlanner.PlanEvacuation(A, snapshot, AllowAll(snapshot));

        Assert.Empty(plan.Steps.OfType<UpdateGroup>());
        Assert.Contains(plan.Findings, f => f.Contains("unreadable", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanRestore_AProbeIntoTheZoneStillFails_WaitsEvenThoughTheZoneNoLongerLooksUnreachable()
    {
        var snapshot = PerZone(downZone: A, autoscaler: true);
        var policy = AllowAll(snapshot);
        var evacuated = Recover(Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)));
        // After the primary failed over out of A: one replica there still unreachable, the moved primary answering under A's name.
        var probed = evacuated with
        {
            RedisProbes =
            [
                new RedisProbeResult("cache", "cache-001", A, false, null, null, null, null, TimeSpan.Zero),
                new RedisProbeResult("cache", "cache-002", "eu-central-1b", true, "primary", 1, null, 1, TimeSpan.Zero),
            ],
            PostgresProbes = [new PostgresProbeResult("db", A, true, false, 1, null, null, [], TimeSpan.Zero)],
        };

        var waiting = EvacuationPlanner.PlanRestore(A, probed, policy);
        var recovered = EvacuationPlanner.PlanRestore(A, probed with { RedisProbes = [.. probed.RedisProbes.Select(p => p with { Up = true })] }, policy);

        Assert.Equal(PlanVerdict.Refused, waiting.Verdict);
        Assert.True(waiting.WaitsForZone);
        Assert.Contains("1/2 probes failing", waiting.Reason, StringComparison.Ordinal);
        Assert.Equal(PlanVerdict.Act, recovered.Verdict);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PlanRestore_AfterRecovery_PutsEveryGroupAndNodeBackAsItWas(bool spanning)
    {
        var snapshot = spanning ? Spanning(downZone: A, autoscaler: true) : PerZone(downZone: A, autoscaler: true);
        var policy = AllowAll(snapshot);
        var evacuated = Recover(Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)));

        var plan = EvacuationPlanner.PlanRestore(A, evacuated, policy);
        var restored = Apply(evacuated, plan);

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.Empty(plan.Findings);
        Assert.Equal(snapshot.ScalingGroups.Select(g => EvacuationPlanner.Current(g).Format()), restored.ScalingGroups.Select(g => EvacuationPlanner.Current(g).Format()));
        Assert.All(restored.ScalingGroups, g => Assert.DoesNotContain(g.Tags.Keys, k => k.StartsWith(LedgerKeys.Prefix, StringComparison.Ordinal)));
        Assert.All(restored.Nodes.ByName.Values, n => Assert.False(n.Unschedulable || n.CordonedFor is not null));
        Assert.Equal(PlanVerdict.NoOp, EvacuationPlanner.PlanRestore(A, restored, policy).Verdict);
    }

    [Fact]
    public void PlanRestore_SomeoneChangedDesired_KeepsTheirValueAndSaysSo()
    {
        var snapshot = Spanning(downZone: A);
        var policy = AllowAll(snapshot);
        var evacuated = Recover(Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)));
        var changed = MapGroups(evacuated, g => g with { DesiredCapacity = 15 });

        var plan = EvacuationPlanner.PlanRestore(A, changed, policy);

        var update = plan.Steps.OfType<UpdateGroup>().Single();
        Assert.Equal(15, update.To.DesiredCapacity);
        Assert.Equal(3, update.To.Subnets.Length);
        Assert.Contains(plan.Findings, f => f.Contains("DesiredCapacity is 15", StringComparison.Ordinal));
        Assert.Single(plan.Steps.OfType<ResumeProcesses>());
    }

    [Fact]
    public void PlanRestore_RebalanceSuspendedBeforeTheEvacuation_StaysSuspended()
    {
        var snapshot = MapGroups(Spanning(downZone: A), g => g with { SuspendedProcesses = [LedgerKeys.AzRebalance] });
        var policy = AllowAll(snapshot);
        var evacuation = EvacuationPlanner.PlanEvacuation(A, snapshot, policy);
        Assert.Empty(evacuation.Steps.OfType<SuspendProcesses>());

        var plan = EvacuationPlanner.PlanRestore(A, Recover(Apply(snapshot, evacuation)), policy);

        Assert.Empty(plan.Steps.OfType<ResumeProcesses>());
    }

    [Fact]
    public void PlanRestore_ZoneStillImpaired_IsRefusedUntilItHeals()
    {
        var snapshot = PerZone(downZone: A);
        var policy = AllowAll(snapshot);
        var evacuated = Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy));

        var plan = EvacuationPlanner.PlanRestore(A, evacuated, policy);

        Assert.Equal(PlanVerdict.Refused, plan.Verdict);
        Assert.Empty(plan.Steps);
        Assert.True(plan.WaitsForZone);
    }

    [Fact]
    public void PlanRestore_NothingChangedForTheZone_IsANoOp()
    {
        var snapshot = PerZone();

        Assert.Equal(PlanVerdict.NoOp, EvacuationPlanner.PlanRestore(A, snapshot, AllowAll(snapshot)).Verdict);
    }

    [Fact]
    public void PlanRestore_NodeUncordonedBySomeone_OnlyForgetsIt()
    {
        var snapshot = PerZone(downZone: A);
        var policy = AllowAll(snapshot);
        var evacuated = Recover(Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)));
        var touched = MapNodes(evacuated, n => n.Name == "node-i-ng-a-a1" ? n with { Unschedulable = false } : n);

        var step = EvacuationPlanner.PlanRestore(A, touched, policy).Steps.OfType<UncordonNodes>().Single();

        Assert.Equal(["node-i-ng-a-a1"], step.ForgetOnly.ToArray());
        Assert.Equal(2, step.Uncordon.Length);
    }

    [Fact]
    public void PlanRestore_UncordonsBeforeTheOtherZonesShrink()
    {
        var snapshot = PerZone(downZone: A);
        var policy = AllowAll(snapshot);
        var evacuated = Recover(Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)));

        var plan = EvacuationPlanner.PlanRestore(A, evacuated, policy);

        Assert.IsType<UncordonNodes>(plan.Steps[0]);
        Assert.Contains(plan.Steps.Skip(1), s => s is UpdateGroup);
    }

    [Fact]
    public void PlanRestore_HalfRestored_FinishesWithoutReportingItsOwnChanges()
    {
        var snapshot = Spanning(downZone: A);
        var policy = AllowAll(snapshot);
        var evacuated = Recover(Apply(snapshot, EvacuationPlanner.PlanEvacuation(A, snapshot, policy)));
        var plan = EvacuationPlanner.PlanRestore(A, evacuated, policy);

        var upToTheUpdate = plan.Steps.IndexOf(plan.Steps.OfType<UpdateGroup>().First()) + 1;
        var rest = EvacuationPlanner.PlanRestore(A, Apply(evacuated, plan with { Steps = plan.Steps[..upToTheUpdate] }), policy);

        Assert.Empty(rest.Findings);
        Assert.DoesNotContain(rest.Steps, s => s is UpdateGroup);
        Assert.Contains(rest.Steps, s => s is ClearGroupLedger);
    }

    [Fact]
    public void GroupSettings_FormatThenParse_RoundTrips()
    {
        var settings = new GroupSettings(2, 7, ["subnet-a", "subnet-b"], [LedgerKeys.AzRebalance]);

        Assert.True(GroupSettings.Parse(settings.Format())!.SameAs(settings));
    }

    [Theory]
    [InlineData("")]
    [InlineData("min=1;desired=3")]
    [InlineData("min=-1;desired=3;subnets=;suspended=")]
    [InlineData("min=1;desired=3;subnets=;suspended=;min=2")]
    [InlineData("min=1;desired=x;subnets=;suspended=")]
    public void GroupSettings_ParseOfAnythingElse_IsNull(string value) => Assert.Null(GroupSettings.Parse(value));

    private static PostgresProbeResult Probe(string id, string zone, bool up) =>
        new(id, zone, up, up ? false : null, null, null, null, [], TimeSpan.Zero, up ? null : ProbeFailure.Timeout);
}
