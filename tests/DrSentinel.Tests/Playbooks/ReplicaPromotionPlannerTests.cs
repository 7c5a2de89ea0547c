using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.RdsFailover;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Playbooks;

/// <summary>The seed's scenario 3: the primary and its standby lost; a read replica in a healthy zone may be promoted.</summary>
public sealed class ReplicaPromotionPlannerTests
{
    private const string Db = "pyairtable-primary";
    private const string Replica = "pyairtable-read-replica";
    private const string Episode = "c3d4@2026-11-25T03:00:00.0000000Z";
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset AfterGrace = Start.AddSeconds(91);
    private static readonly ActionPolicy Policy = new() { AllowedDatabases = [Db], PromotableReplicas = [Replica] };

    private static DbInstanceState Primary(bool multiAz = true) =>
        new(Db, "postgres", "available", "eu-central-1a", multiAz ? "eu-central-1b" : null, multiAz, null, null, null, "db.example", 5432)
        { Arn = $"arn:aws:rds:eu-central-1:123456789012:db:{Db}" };

    private static DbInstanceState ReplicaIn(string zone = "eu-central-1c", string status = "available", string? source = Db,
        ImmutableDictionary<string, string>? tags = null) =>
        new(Replica, "postgres", status, zone, null, false, source, null, null, "replica.example", 5432)
        {
            Arn = $"arn:aws:rds:eu-central-1:123456789012:db:{Replica}",
            Tags = tags ?? ImmutableDictionary<string, string>.Empty,
        };

    /// <summary>
    /// The cluster with <paramref name="impaired"/> zones unreachable (two failing probes each, the others answer), and the
    /// replica probed: up, its newest write <paramref name="replayAge"/> seconds old, streaming or not.
    /// </summary>
    private static InventorySnapshot Snapshot(DbInstanceState? primary = null, DbInstanceState? replica = null, double? replayAge = 120,
        bool streaming = false, bool replicaUp = true, params string[] impaired)
    {
        var theReplica = replica ?? ReplicaIn();
        return PerZone() with
        {
            DbInstances = [primary ?? Primary(), theReplica],
            PostgresProbes =
            [
                .. Zones.SelectMany(z => Enumerable.Range(0, 2).Select(i =>
                    new PostgresProbeResult($"db-{z}-{i}", z, !impaired.Contains(z), false, 1, null, null, [], TimeSpan.Zero))),
                new PostgresProbeResult(Replica, theReplica.Zone, replicaUp, replicaUp ? true : null, 1, replicaUp ? replayAge : null,
                    replicaUp ? streaming : null, [], TimeSpan.Zero),
            ],
        };
    }

    private static InventorySnapshot BothZonesLost(DbInstanceState? replica = null, double? replayAge = 120, bool streaming = false, bool replicaUp = true) =>
        Snapshot(null, replica, replayAge, streaming, replicaUp, "eu-central-1a", "eu-central-1b");

    private static Plan PlanAt(InventorySnapshot snapshot, DateTimeOffset now, ActionPolicy? policy = null, bool firing = true) =>
        RdsFailoverPlanner.PlanRdsFailover(new PlanRequest(
            new AlertRoute(firing ? PlanIntent.Failover : PlanIntent.Restore, "eu-central-1a", RdsFailoverPlaybook.PlaybookName, null) { Resource = Db },
            Episode, Start, snapshot, policy ?? Policy, now));

    [Fact]
    public void PrimaryAndStandbyZonesLost_PromotesTheEnabledReplicaInAHealthyZone_AndSaysWhatIsLost()
    {
        var plan = PlanAt(BothZonesLost(replayAge: 150), AfterGrace);

        Assert.Equal((PlanVerdict.Act, ReplicaPromotionPlanner.PlaybookName), (plan.Verdict, plan.Playbook));
        var step = Assert.IsType<PromoteReadReplica>(Assert.Single(plan.Steps));
        Assert.Equal((Replica, Db, "eu-central-1a", "eu-central-1c", Episode), (step.Replica, step.Source, step.FromZone, step.ReplicaZone, step.Episode));
        Assert.Equal(TimeSpan.FromSeconds(150), step.LossBound);
        Assert.Contains(plan.Findings, f => f.Contains("up to 150 s", StringComparison.Ordinal) && f.Contains("02:59:01", StringComparison.Ordinal));
        Assert.Contains(plan.Findings, f => f.Contains("replica.example:5432", StringComparison.Ordinal));
    }

    [Fact]
    public void NotMultiAzAndItsZoneLost_PromotesTheReplica()
    {
        var plan = PlanAt(Snapshot(Primary(multiAz: false), impaired: "eu-central-1a"), AfterGrace);

        Assert.IsType<PromoteReadReplica>(Assert.Single(plan.Steps));
    }

    [Fact]
    public void ReplicaNotEnabledForPromotion_TheFailoverRefusalStands_NamingTheReplica()
    {
        var plan = PlanAt(BothZonesLost(), AfterGrace, Policy with { PromotableReplicas = [] });

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.BothZonesImpaired, RdsFailoverPlaybook.PlaybookName), (plan.Verdict, plan.ReasonCode, plan.Playbook));
        Assert.Contains("Actions:PromotableReplicas", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void StandbysZoneHealthy_FailsOverToTheStandby_NeverPromotes()
    {
        var plan = PlanAt(Snapshot(impaired: "eu-central-1a"), AfterGrace);

        Assert.IsType<FailoverDbInstance>(Assert.Single(plan.Steps));
    }

    [Fact]
    public void ReplicaInTheStandbysLostZone_HaltsForAHuman()
    {
        var plan = PlanAt(BothZonesLost(ReplicaIn("eu-central-1b"), replicaUp: false), AfterGrace);

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.BothZonesImpaired, ReplicaPromotionPlanner.PlaybookName), (plan.Verdict, plan.ReasonCode, plan.Playbook));
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void LagBeyondTheRpo_Refused_SayingHowToAcceptTheLoss()
    {
        var plan = PlanAt(BothZonesLost(replayAge: 901), AfterGrace);

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.BeyondRpo, false), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
        Assert.Contains("Actions:ReplicaPromotionRpo", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LagBeyondTheDefaultRpo_PromotedWhenTheOperatorRaisedIt()
    {
        var plan = PlanAt(BothZonesLost(replayAge: 901), AfterGrace, Policy with { ReplicaPromotionRpo = TimeSpan.FromMinutes(30) });

        Assert.Equal(PlanVerdict.Act, plan.Verdict);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    public void LagUnknown_ProbeDownOrNoReplayedWrite_Refused(bool replicaUp, double? replayAge)
    {
        var plan = PlanAt(BothZonesLost(replayAge: replayAge, replicaUp: replicaUp), AfterGrace);

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.LagUnknown), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void ReplicaStillStreamsFromItsSource_TheSourceIsAlive_WaitsRatherThanSplitTheDatabase()
    {
        var plan = PlanAt(BothZonesLost(streaming: true), AfterGrace);

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.ReplicaStreaming, true), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
    }

    [Fact]
    public void WithinTheGracePeriod_WaitsUntilItEnds()
    {
        var plan = PlanAt(BothZonesLost(), Start.AddSeconds(30));

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.GracePeriod, true), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
        Assert.Equal(TimeSpan.FromSeconds(60), plan.RecheckAfter);
    }

    [Fact]
    public void ZoneHealed_NothingIsPromoted()
    {
        var plan = PlanAt(Snapshot(), AfterGrace);

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.ZoneHealthy), (plan.Verdict, plan.ReasonCode));
    }

    [Fact]
    public void SourceNotInAllowedDatabases_Refused_EvenWithTheReplicaEnabled()
    {
        var plan = PlanAt(BothZonesLost(), AfterGrace, Policy with { AllowedDatabases = [] });

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.AllowList), (plan.Verdict, plan.ReasonCode));
    }

    [Theory]
    [InlineData("modifying", Db)]
    [InlineData("available", null)]
    public void PromotedForThisIncident_UnderWayOrDone_NeverAgain(string status, string? source)
    {
        var tags = ImmutableDictionary<string, string>.Empty
            .Add(LedgerKeys.PromotedFrom, Db)
            .Add(LedgerKeys.FailedOver, new FailoverLedger("eu-central-1a", Episode, Start.AddSeconds(95)).Format());

        var plan = PlanAt(BothZonesLost(ReplicaIn(status: status, source: source, tags: tags)), AfterGrace.AddMinutes(2));

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.AlreadyFailedOver, ReplicaPromotionPlanner.PlaybookName), (plan.Verdict, plan.ReasonCode, plan.Playbook));
    }

    [Fact]
    public void ReplicaBusy_Waits()
    {
        var plan = PlanAt(BothZonesLost(ReplicaIn(status: "modifying")), AfterGrace);

        Assert.Equal((PlanVerdict.Refused, RefusalCodes.ResourceBusy, true), (plan.Verdict, plan.ReasonCode, plan.WaitsForZone));
    }

    [Fact]
    public void AlertResolved_NeverPromotesNorFailsBack()
    {
        var plan = PlanAt(BothZonesLost(), AfterGrace, firing: false);

        Assert.Equal((PlanVerdict.NoOp, RefusalCodes.NoFailBack), (plan.Verdict, plan.ReasonCode));
    }
}
