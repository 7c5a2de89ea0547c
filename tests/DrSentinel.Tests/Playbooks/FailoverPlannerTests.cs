using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks;
using DrSentinel.Playbooks.CacheFailover;
using DrSentinel.Playbooks.RdsFailover;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Playbooks;

public sealed class FailoverPlannerTests
{
    private const string Db = "pyairtable-primary";
    private const string Cache = "pyairtable-redis";
    private const string Episode = "a1b2@2026-11-25T03:00:00.0000000Z";
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset AfterGrace = Start.AddSeconds(91);
    private static readonly ActionPolicy Policy = new() { AllowedDatabases = [Db, Cache] };

    private static DbInstanceState Instance(string zone = "eu-central-1a", string standby = "eu-central-1b", string status = "available",
        ImmutableDictionary<string, string>? tags = null) =>
        new(Db, "postgres", status, zone, standby, true, null, null, null, "127.0.0.1", 5432)
        {
            Arn = $"arn:aws:rds:eu-central-1:123456789012:db:{Db}",
            Tags = tags ?? ImmutableDictionary<string, string>.Empty,
        };

    private static ReplicationGroupState Group(string primaryZone = "eu-central-1a", string status = "available", bool clusterEnabled = false,
        ImmutableDictionary<string, string>? tags = null) =>
        new(Cache, status, true, true, clusterEnabled,
        [
            .. Zones.Select((z, i) => new CacheMemberState($"{Cache}-00{i + 1}", "0001", z, z == primaryZone ? "primary" : "replica", null, null)),
        ])
        { Arn = $"arn:aws:elasticache:eu-central-1:123456789012:replicationgroup:{Cache}", Tags = tags ?? ImmutableDictionary<string, string>.Empty };

    /// <summary>
    /// The cluster with <paramref name="impaired"/> zones unreachable: every probe there fails, the others answer; every
    /// zone's kubelets heartbeat (the gray failure AWS does not see).
    /// </summary>
    private static InventorySnapshot Snapshot(DbInstanceState? db = null, ReplicationGroupState? cache = null, params string[] impaired)
    {
        var snapshot = PerZone();
        return snapshot with
        {
            DbInstances = [db ?? Instance()],
            ReplicationGroups = [cache ?? Group()],
            PostgresProbes = [.. Zones.SelectMany(z => Enumerable.Range(0, 2).Select(i =>
                new PostgresProbeResult($"db-{z}-{i}", z, !impaired.Contains(z), false, 1, null, null, [], TimeSpan.Zero)))],
            Kubelets = [.. Zones.Select(z => new ZoneKubelets(z, 3, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15)))],
            Sources = snapshot.Sources.SetItem(ZoneKubelets.SourceName, new SourceStatus(true, Start, TimeSpan.Zero, null)),
        };
    }

    /// <summary>Every kubelet in the zone silent for 25 s while the others heartbeat: its hosts are down, nodes still Ready.</summary>
    private static InventorySnapshot KubeletsSilent(InventorySnapshot snapshot, string zone) => snapshot with
    {
        Kubelets = [.. snapshot.Kubelets.Select(k => k.Zone == zone ? k with { Behind = TimeSpan.FromSeconds(25) } : k)],
    };

    private static PlanRequest Rds(InventorySnapshot snapshot, DateTimeOffset now, bool firing = true, string zone = "eu-central-1a", ActionPolicy? policy = null) =>
        new(new AlertRoute(firing ? PlanIntent.Failover : PlanIntent.Restore, zone, RdsFailoverPlaybook.PlaybookName, null) { Resource = Db },
            Episode, Start, snapshot, policy ?? Policy, now);

    private static PlanRequest Redis(InventorySnapshot snapshot, DateTimeOffset now, int testFailovers = 0, string zone = "eu-central-1a") =>
        new(new AlertRoute(PlanIntent.Failover, zone, CacheFailoverPlaybook.PlaybookName, null) { Resource = Cache }, Episode, Start, snapshot, Policy, now, testFailovers);

    [Fact]
    public void PlanRdsFailover_GrayFailureAfterTheGracePeriod_ForcesTheFailoverToTheStandby()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        var step = Assert.IsType<FailoverDbInstance>(Assert.Single(plan.Steps));
        Assert.Equal(("eu-central-1a", "eu-central-1b", Episode), (step.FromZone, step.ToZone, step.Episode));
    }

    /// <summary>The zone's nodes not Ready as well: the failure AWS's control plane sees too (a hard loss).</summary>
    private static InventorySnapshot NodesDown(InventorySnapshot snapshot, string zone) =>
        MapNodes(snapshot, n => n.Zone == zone ? n with { ReadyStatus = "Unknown" } : n);

    [Fact]
    public void PlanRdsFailover_ZoneDownAsAwsSeesIt_WithinTheGracePeriod_WaitsUntilItEnds()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(NodesDown(Snapshot(impaired: "eu-central-1a"), "eu-central-1a"), Start.AddSeconds(30)));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.GracePeriod, true), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
        Assert.Equal(TimeSpan.FromSeconds(60), plan.RecheckAfter);
        Assert.Contains("eu-central-1a's nodes are not Ready, which AWS sees too", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanRdsFailover_KubeletsSilentBeforeTheNodesTurnNotReady_WaitsForAws()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(KubeletsSilent(Snapshot(impaired: "eu-central-1a"), "eu-central-1a"), Start.AddSeconds(5)));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.GracePeriod, true), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
        Assert.Contains("every kubelet in eu-central-1a has missed its heartbeats (25 s behind the other zones'): its hosts are down, which AWS sees too",
            plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanRdsFailover_HeartbeatsNotRead_GivesAwsItsGrace_RacingItIsWorseThanWaiting()
    {
        var unread = Snapshot(impaired: "eu-central-1a");
        var down = unread with
        {
            Sources = unread.Sources.SetItem(ZoneKubelets.SourceName, new SourceStatus(false, Start, TimeSpan.Zero, "HttpOperationException")),
        };

        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(down, Start.AddSeconds(5)));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.GracePeriod), (plan.Verdict, plan.ReasonCode));
        Assert.Contains("whether AWS sees eu-central-1a down is not known", plan.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(85), plan.RecheckAfter); // a failing read may last: at the grace's end
        Assert.Equal(PlanVerdict.Act, RdsFailoverPlanner.PlanRdsFailover(Rds(down, AfterGrace)).Verdict);
    }

    [Fact]
    public void PlanRdsFailover_AlertBeforeTheHeartbeatsAreFirstRead_WaitsOnlyUntilTheyAre_ThenActsOnAGrayZone()
    {
        var notYet = Snapshot(impaired: "eu-central-1a") with { Kubelets = [] };

        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(notYet, Start.AddSeconds(5)));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.GracePeriod), (plan.Verdict, plan.ReasonCode));
        Assert.Equal(ZoneKubelets.ReadEvery, plan.RecheckAfter);
        Assert.Equal(PlanVerdict.Act, RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(impaired: "eu-central-1a"), Start.AddSeconds(10))).Verdict);
    }

    [Fact]
    public void PlanRdsFailover_GrayFailureWithinTheGracePeriod_ActsAtOnce_AwsSeesNothingWrong()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(impaired: "eu-central-1a"), Start.AddSeconds(1)));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.IsType<FailoverDbInstance>(Assert.Single(plan.Steps));
        Assert.Contains("AWS's control plane sees eu-central-1a healthy (its kubelets heartbeat, its nodes are Ready): AWS will not fail it over, so no grace is given",
            plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanRdsFailover_AwsAlreadyMovedThePrimary_NothingToDoAndSaysItWasAws()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(Instance(zone: "eu-central-1b", standby: "eu-central-1a"), impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.DoneByAws), (plan.Verdict, plan.ReasonCode));
        Assert.Contains("AWS", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanRdsFailover_AwsFailingItOverNow_WaitsAsBusy()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(Instance(status: "rebooting"), impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.ResourceBusy, true), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
    }

    [Fact]
    public void PlanRdsFailover_ZoneHealedDuringTheGracePeriod_NothingIsFailedOver()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(), AfterGrace));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.ZoneHealthy), (plan.Verdict, plan.ReasonCode));
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void PlanRdsFailover_StandbysZoneImpairedToo_HaltsForAHuman()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(impaired: ["eu-central-1a", "eu-central-1b"]), AfterGrace));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.BothZonesImpaired, false), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
    }

    [Fact]
    public void PlanRdsFailover_NotMultiAz_Refused()
    {
        var single = Instance() with { MultiAz = false, SecondaryZone = null };

        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(single, impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal(RefusalCodes.NotMultiAz, plan.ReasonCode);
    }

    [Fact]
    public void PlanRdsFailover_NotInTheAllowList_Refused()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(impaired: "eu-central-1a"), AfterGrace, policy: new ActionPolicy()));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.AllowList), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void PlanRdsFailover_UnknownInstance_Refused()
    {
        var snapshot = Snapshot(impaired: "eu-central-1a") with { DbInstances = [] };

        Assert.Equal(RefusalCodes.UnknownResource, RdsFailoverPlanner.PlanRdsFailover(Rds(snapshot, AfterGrace)).ReasonCode);
    }

    [Fact]
    public void PlanRdsFailover_AlreadyFailedOverForThisIncident_NotAgain()
    {
        var ledger = new FailoverLedger("eu-central-1a", Episode, AfterGrace).Format();
        var moved = Instance(zone: "eu-central-1b", standby: "eu-central-1a", tags: ImmutableDictionary<string, string>.Empty.Add(LedgerKeys.FailedOver, ledger));

        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(moved, impaired: "eu-central-1a"), AfterGrace.AddMinutes(3)));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.AlreadyFailedOver), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void PlanRdsFailover_TaggedButNotYetMoved_PlansTheStepAgainForTheExecutorToVerify()
    {
        // A restart between the ledger tag and the call: the executor asks RDS's events whether the call went out.
        var ledger = new FailoverLedger("eu-central-1a", Episode, AfterGrace).Format();
        var tagged = Instance(tags: ImmutableDictionary<string, string>.Empty.Add(LedgerKeys.FailedOver, ledger));

        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(tagged, impaired: "eu-central-1a"), AfterGrace.AddSeconds(5)));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
    }

    [Fact]
    public void PlanRdsFailover_FailedOverForAnotherAlertWithinTheCooldown_Refused()
    {
        var ledger = new FailoverLedger("eu-central-1b", "other@2026-11-25T02:50:00.0000000Z", Start.AddMinutes(-5)).Format();
        var back = Instance(tags: ImmutableDictionary<string, string>.Empty.Add(LedgerKeys.FailedOver, ledger));

        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(back, impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.Cooldown), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void PlanRdsFailover_Resolved_NeverFailsBack()
    {
        var moved = Instance(zone: "eu-central-1b", standby: "eu-central-1a");

        var plan = RdsFailoverPlanner.PlanRdsFailover(Rds(Snapshot(moved), AfterGrace, firing: false));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.NoFailBack), (plan.Verdict, plan.ReasonCode));
        Assert.Contains("human", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanCacheFailover_GrayFailureAfterTheGracePeriod_TestFailoverWithAFallbackInAHealthyZone()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        var step = Assert.IsType<FailoverCacheGroup>(Assert.Single(plan.Steps));
        Assert.Equal(("0001", "pyairtable-redis-002", false, ActionBudget.TestFailoverAction), (step.NodeGroupId, step.FallbackPrimary, step.QuotaSpent, step.Action));
    }

    [Fact]
    public void PlanCacheFailover_QuotaSpent_PromotesTheReplicaInstead()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(impaired: "eu-central-1a"), AfterGrace, testFailovers: 15));

        var step = Assert.IsType<FailoverCacheGroup>(Assert.Single(plan.Steps));
        Assert.True(step.QuotaSpent);
        Assert.Equal("elasticache-promote-replica", step.Action);
        Assert.Contains(plan.Findings, f => f.Contains("quota is spent", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanCacheFailover_QuotaSpentOnAClusterModeGroup_RefusedForAHuman()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(cache: Group(clusterEnabled: true), impaired: "eu-central-1a"), AfterGrace, testFailovers: 15));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.QuotaSpent), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void PlanCacheFailover_AutomaticFailoverAlreadyMovedIt_NothingToDo()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(cache: Group(primaryZone: "eu-central-1b"), impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.DoneByAws), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void PlanCacheFailover_MovedByDrSentinelForThisIncident_SaysSoRatherThanAws()
    {
        // A new leader after the old one's TestFailover: the ledger tag, not the zone, tells whose move it was.
        var ledger = ImmutableDictionary<string, string>.Empty.Add(LedgerKeys.FailedOver, new FailoverLedger("eu-central-1a", Episode, AfterGrace).Format());

        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(cache: Group(primaryZone: "eu-central-1b", tags: ledger), impaired: "eu-central-1a"), AfterGrace.AddMinutes(1)));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.AlreadyFailedOver), (plan.Verdict, plan.ReasonCode));
        Assert.Contains("DrSentinel failed pyairtable-redis over out of eu-central-1a", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanCacheFailover_ZoneDownAsAwsSeesIt_WithinTheGracePeriod_Waits()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(NodesDown(Snapshot(impaired: "eu-central-1a"), "eu-central-1a"), Start.AddSeconds(10)));

        Assert.Equal((RefusalCodes.GracePeriod, true), (plan.ReasonCode, plan.WaitsForZone));
    }

    [Fact]
    public void PlanCacheFailover_KubeletsSilentBeforeTheNodesTurnNotReady_Waits()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(KubeletsSilent(Snapshot(impaired: "eu-central-1a"), "eu-central-1a"), Start.AddSeconds(10)));

        Assert.Equal((RefusalCodes.GracePeriod, true), (plan.ReasonCode, plan.WaitsForZone));
        Assert.Contains("every kubelet in eu-central-1a has missed its heartbeats", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanCacheFailover_GrayFailureWithinTheGracePeriod_ActsAtOnce()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(impaired: "eu-central-1a"), Start.AddSeconds(10)));

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
        Assert.IsType<FailoverCacheGroup>(Assert.Single(plan.Steps));
    }

    [Fact]
    public void PlanCacheFailover_EveryReplicaInAnImpairedZone_HaltsForAHuman()
    {
        var twoZones = Group() with { Members = [.. Group().Members.Where(m => m.Zone != "eu-central-1c")] };

        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(cache: twoZones, impaired: ["eu-central-1a", "eu-central-1b"]), AfterGrace));

        Assert.Equal(RefusalCodes.BothZonesImpaired, plan.ReasonCode);
    }

    [Fact]
    public void PlanCacheFailover_GroupBusy_Waits()
    {
        var plan = CacheFailoverPlanner.PlanCacheFailover(Redis(Snapshot(cache: Group(status: "modifying"), impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal((RefusalCodes.ResourceBusy, true), (plan.ReasonCode, plan.WaitsForZone));
    }

    [Theory]
    [InlineData("DrSentinelRdsPrimaryInImpairedAz", "db_instance", RdsFailoverPlaybook.PlaybookName)]
    [InlineData("DrSentinelRedisPrimaryInImpairedAz", "replication_group", CacheFailoverPlaybook.PlaybookName)]
    public void AlertRoute_DatabaseAlerts_RouteToTheirPlaybookWithTheResource(string alert, string label, string playbook)
    {
        var labels = new Dictionary<string, string> { ["alertname"] = alert, ["az"] = "eu-central-1a", [label] = "x" };

        var route = BuiltInPlaybooks.Table.Route(alert, true, labels, "pyairtable");

        Assert.Equal((playbook, PlanIntent.Failover, "x"), (route.Playbook, route.Intent!.Value, route.Resource));
        Assert.Equal("no-resource-label", BuiltInPlaybooks.Table.Route(alert, true, new Dictionary<string, string> { ["az"] = "eu-central-1a" }, "pyairtable").IgnoredBecause);
    }

    [Fact]
    public void FailoverLedger_RoundTrips_AndRejectsAnythingElse()
    {
        var ledger = new FailoverLedger("eu-central-1a", Episode, Start);

        Assert.Equal(ledger, FailoverLedger.Parse(ledger.Format()));
        Assert.Null(FailoverLedger.Parse("edited by hand"));
    }

    [Fact]
    public void TestFailoversLast24Hours_CountsOnlyTestFailoverCallsOfTheRollingDay()
    {
        ActionRecord[] history =
        [
            new(Start.AddHours(-25), PlanIntent.Failover, Cache, ActionBudget.TestFailoverAction, "e0"),
            new(Start.AddHours(-23), PlanIntent.Failover, Cache, ActionBudget.TestFailoverAction, "e1"),
            new(Start.AddMinutes(-30), PlanIntent.Failover, Cache, "elasticache-promote-replica", "e2"),
        ];

        Assert.Equal(1, ActionBudget.TestFailoversLast24Hours(history, Start));
        Assert.Equal(2, new ActionBudget(TimeSpan.FromMinutes(15), 30).Trim(history, Start).Length); // kept for the day, the rest by the hour
    }

    private static InventorySnapshot ClusterSnapshot(string writerZone = "eu-central-1a", ImmutableDictionary<string, string>? tags = null, params string[] impaired)
    {
        DbInstanceState Member(string id, string zone) =>
            new(id, "postgres", "available", zone, null, false, null, "orders", zone == writerZone, "127.0.0.1", 5432)
            {
                Arn = $"arn:aws:rds:eu-central-1:123456789012:db:{id}",
                Tags = id == "orders-1" ? tags ?? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty,
            };
        return Snapshot(impaired: impaired) with { DbInstances = [Member("orders-1", "eu-central-1a"), Member("orders-2", "eu-central-1b"), Member("orders-3", "eu-central-1c")] };
    }

    private static PlanRequest ClusterRequest(InventorySnapshot snapshot, DateTimeOffset now) =>
        new(new AlertRoute(PlanIntent.Failover, "eu-central-1a", RdsFailoverPlaybook.PlaybookName, null) { Resource = "orders-1" }, Episode, Start, snapshot,
            new ActionPolicy { AllowedDatabases = ["orders"] }, now);

    [Fact]
    public void PlanRdsFailover_ClusterWriterInAnImpairedZone_FailsOverToAReaderInAHealthyZone()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(ClusterRequest(ClusterSnapshot(impaired: "eu-central-1a"), AfterGrace));

        var step = Assert.IsType<FailoverDbCluster>(Assert.Single(plan.Steps));
        Assert.Equal(("orders", "orders-1", "orders-2"), (step.Cluster, step.Writer, step.Target));
    }

    [Fact]
    public void PlanRdsFailover_ClusterReadersOnlyInImpairedZones_HaltsForAHuman()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(ClusterRequest(ClusterSnapshot(impaired: ["eu-central-1a", "eu-central-1b", "eu-central-1c"]), AfterGrace));

        Assert.Equal(PlanVerdict.Refused, plan.Verdict);
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void PlanRdsFailover_ClusterWriterAlreadyMovedByDrSentinel_NotAgain()
    {
        var ledger = ImmutableDictionary<string, string>.Empty.Add(LedgerKeys.FailedOver, new FailoverLedger("eu-central-1a", Episode, AfterGrace).Format());

        var plan = RdsFailoverPlanner.PlanRdsFailover(ClusterRequest(ClusterSnapshot(writerZone: "eu-central-1b", tags: ledger, impaired: "eu-central-1a"), AfterGrace.AddMinutes(1)));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.AlreadyFailedOver), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void PlanRdsFailover_ClusterWriterMovedByAws_NothingToDo()
    {
        var plan = RdsFailoverPlanner.PlanRdsFailover(ClusterRequest(ClusterSnapshot(writerZone: "eu-central-1c", impaired: "eu-central-1a"), AfterGrace));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.DoneByAws), (plan.Verdict, plan.ReasonCode));
    }
}
