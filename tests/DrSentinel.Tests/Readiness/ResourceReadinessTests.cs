using System.Collections.Immutable;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks;
using DrSentinel.Playbooks.CacheFailover;
using DrSentinel.Playbooks.Capacity;
using DrSentinel.Playbooks.RdsFailover;
using DrSentinel.Readiness;
using static DrSentinel.Tests.Planning.Region;

namespace DrSentinel.Tests.Readiness;

/// <summary>The resources as the playbooks need them: each check breaks on exactly its own fault, and applies only where something is allowed.</summary>
public sealed class ResourceReadinessTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);

    private static InventorySnapshot Read(InventorySnapshot snapshot, params string[] sources) =>
        snapshot with { Sources = sources.ToImmutableDictionary(s => s, _ => new SourceStatus(true, Now, TimeSpan.Zero, null)) };

    private static DbInstanceState Primary(string id, bool multiAz = true, string zone = "eu-central-1a", string? standby = "eu-central-1b") =>
        new(id, "postgres", "available", zone, multiAz ? standby : null, multiAz, null, null, null, null, null);

    private static ReplicationGroupState Redis(string id, bool automatic = true, bool multiAz = true, params string[] zones) =>
        new(id, "available", automatic, multiAz, false, [.. zones.Select((z, i) => new CacheMemberState($"{id}-00{i + 1}", "0001", z, i == 0 ? "primary" : "replica", null, null))]);

    private static readonly ImmutableDictionary<string, string> OptedIn = ImmutableDictionary<string, string>.Empty.Add(LedgerKeys.Allowed, "true");

    /// <summary>Every resource tagged drsentinel.io/allowed=true, as the IAM policy needs of what DrSentinel may change.</summary>
    private static InventorySnapshot Region()
    {
        var region = PerZone(desired: 3, max: 6);
        return Read(region with
        {
            ScalingGroups = [.. region.ScalingGroups.Select(g => g with { Tags = g.Tags.SetItems(OptedIn) })],
            DbInstances = [Primary("orders") with { Tags = OptedIn }, Primary("billing") with { Tags = OptedIn }],
            ReplicationGroups = [Redis("cache", zones: ["eu-central-1a", "eu-central-1b"]) with { Tags = OptedIn }],
        }, "aws_rds", "aws_elasticache", "aws_autoscaling");
    }

    private static ActionPolicy Allowing(InventorySnapshot s) => AllowAll(s) with { AllowedDatabases = ["orders", "cache"] };

    private static ReadinessCheck Check(ImmutableArray<ReadinessCheck> checks, string name) => Assert.Single(checks, c => c.Check == name);

    [Fact]
    public void AWellSetUpRegion_EveryApplicableCheckReady()
    {
        var snapshot = Region();

        var checks = BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, Allowing(snapshot), 0, []));

        Assert.Equal([CapacityPlaybook.HeadroomCheck, CapacityPlaybook.AllowTagCheck, RdsFailoverPlaybook.MultiAzCheck, RdsFailoverPlaybook.AllowTagCheck,
                CacheFailoverPlaybook.FailoverCheck, CacheFailoverPlaybook.AllowTagCheck, CacheFailoverPlaybook.TestFailoverQuotaCheck],
            checks.Select(c => c.Check));
        Assert.All(checks, c => Assert.Equal(ReadinessVerdict.Ready, c.Verdict));
    }

    [Fact]
    public void NothingAllowed_NoCheckApplies()
    {
        Assert.Empty(BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(Region(), new ActionPolicy(), 0, [])));
    }

    [Fact]
    public void AnAllowedInstanceThatIsNotMultiAz_TurnsOnlyItsCheckNotReady_NamingIt()
    {
        var snapshot = Region() with { DbInstances = [Primary("orders", multiAz: false) with { Tags = OptedIn }, Primary("billing") with { Tags = OptedIn }] };

        var checks = BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, Allowing(snapshot), 0, []));

        var rds = Check(checks, RdsFailoverPlaybook.MultiAzCheck);
        Assert.Equal(ReadinessVerdict.NotReady, rds.Verdict);
        Assert.Contains("orders is not Multi-AZ", rds.Reason, StringComparison.Ordinal);
        Assert.All(checks.Where(c => c != rds), c => Assert.Equal(ReadinessVerdict.Ready, c.Verdict));
    }

    [Fact]
    public void AReplicationGroupInOneZoneWithAutomaticFailoverOff_NotReady()
    {
        var snapshot = Region() with { ReplicationGroups = [Redis("cache", automatic: false, multiAz: false, zones: ["eu-central-1a"])] };

        var cache = Check(BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, Allowing(snapshot), 0, [])), CacheFailoverPlaybook.FailoverCheck);

        Assert.Equal(ReadinessVerdict.NotReady, cache.Verdict);
        Assert.Contains("automatic failover off", cache.Reason, StringComparison.Ordinal);
        Assert.Contains("no replica in another zone", cache.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTestFailoverQuotaSpent_NotReady()
    {
        var snapshot = Region();

        Assert.Equal(ReadinessVerdict.NotReady, Check(BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, Allowing(snapshot), 15, [])), CacheFailoverPlaybook.TestFailoverQuotaCheck).Verdict);
        Assert.Equal(ReadinessVerdict.Ready, Check(BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, Allowing(snapshot), 14, [])), CacheFailoverPlaybook.TestFailoverQuotaCheck).Verdict);
    }

    [Fact]
    public void GroupsWithoutRoomUnderMaxSize_NodeGroupHeadroomNotReady_PerZone()
    {
        var snapshot = Read(PerZone(desired: 3, max: 3), "aws_autoscaling");

        var headroom = Check(BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, AllowAll(snapshot), 0, [])), CapacityPlaybook.HeadroomCheck);

        Assert.Equal(ReadinessVerdict.NotReady, headroom.Verdict);
        Assert.Contains("losing eu-central-1a would leave 3 of 3 instance(s) without room", headroom.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ASourceThatHasNotAnswered_CouldNotCheck_NeverReady()
    {
        var snapshot = Region() with { Sources = ImmutableDictionary<string, SourceStatus>.Empty.Add("aws_rds", new SourceStatus(false, null, TimeSpan.Zero, "HttpRequestException")) };

        var rds = Check(BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, Allowing(snapshot), 0, [])), RdsFailoverPlaybook.MultiAzCheck);

        Assert.Equal(ReadinessVerdict.CouldNotCheck, rds.Verdict);
        Assert.Contains("HttpRequestException", rds.Reason, StringComparison.Ordinal);
    }

    /// <summary>orders (primary 1a, standby 1b) with a read replica in <paramref name="zone"/>, <paramref name="behind"/> behind; both probed.</summary>
    private static InventorySnapshot WithReplica(string zone, double behind) => Region() with
    {
        DbInstances = [Primary("orders"), new("orders-replica", "postgres", "available", zone, null, false, "orders", null, null, null, null)],
        PostgresProbes =
        [
            new PostgresProbeResult("orders", "eu-central-1a", true, false, 2000, null, null, [], TimeSpan.Zero),
            new PostgresProbeResult("orders-replica", zone, true, true, 1000, behind, true, [], TimeSpan.Zero),
        ],
    };

    private static ReadinessCheck Promotable(InventorySnapshot snapshot) =>
        Check(BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, new ActionPolicy
        {
            PromotableReplicas = ["orders-replica"], ReplicaPromotionRpo = TimeSpan.FromMinutes(15),
        }, 0, [])), RdsFailoverPlaybook.PromotableReplicasCheck);

    [Fact]
    public void PromotableReplica_InAZoneOfItsOwnWithinTheRpo_IsReady_BeyondItOrBesideItsSource_IsNot()
    {
        Assert.Equal(ReadinessVerdict.Ready, Promotable(WithReplica("eu-central-1c", behind: 30)).Verdict);

        var late = Promotable(WithReplica("eu-central-1c", behind: 1800));
        var beside = Promotable(WithReplica("eu-central-1b", behind: 30));

        Assert.Equal((ReadinessVerdict.NotReady, ReadinessVerdict.NotReady), (late.Verdict, beside.Verdict));
        Assert.Contains("1800 s behind orders, beyond the RPO of 900 s", late.Reason, StringComparison.Ordinal);
        Assert.Contains("orders-replica is in eu-central-1b, a zone its source orders is in", beside.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAllowedGroupWithoutTheIamTag_OnlyItsAllowTagCheck_IsNotReady_NamingIt()
    {
        var tagged = Region();
        var snapshot = tagged with { ScalingGroups = [.. tagged.ScalingGroups.Select((g, i) => i == 0 ? g with { Tags = g.Tags.Remove(LedgerKeys.Allowed) } : g)] };

        var checks = BuiltInPlaybooks.Table.Readiness(new ReadinessRequest(snapshot, Allowing(snapshot), 0, []));

        var untagged = Assert.Single(checks, c => c.Verdict != ReadinessVerdict.Ready);
        Assert.Equal(CapacityPlaybook.AllowTagCheck, untagged.Check);
        Assert.Contains($"{snapshot.ScalingGroups[0].Name} (node group {snapshot.ScalingGroups[0].NodeGroup}) lacks the tag drsentinel.io/allowed=true", untagged.Reason,
            StringComparison.Ordinal);
    }
}
