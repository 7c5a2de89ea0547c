using DrSentinel.Sandbox.Region;
using Microsoft.Extensions.Time.Testing;

namespace DrSentinel.Tests.Sandbox;

/// <summary>The default region's failovers when the zone they would move into is down, on a fake clock.</summary>
public sealed class RegionFailoverTests
{
    private const string Database = "pyairtable-primary"; // primary in eu-central-1a, standby in eu-central-1b
    private const string Cache = "pyairtable-redis";

    private readonly FakeTimeProvider _wall = new(new DateTimeOffset(2026, 12, 1, 3, 0, 0, TimeSpan.Zero));
    private readonly SandboxRegion _region;

    public RegionFailoverTests() => _region = new SandboxRegion(Topology.Default(), new SimulatedClock(1, _wall));

    /// <summary>
    /// Long enough for anything the region schedules (detection, a failover, a reboot) to fall due, in steps of a
    /// second as the sandbox's ticker takes them: what one due action schedules counts from the time it ran.
    /// </summary>
    private void LetRegionTimePass(int minutes = 5)
    {
        for (var second = 0; second < minutes * 60; second++)
        {
            _wall.Advance(TimeSpan.FromSeconds(1));
            _region.Tick();
        }
    }

    private (string Status, string Zone, string? Standby) Placement() =>
        _region.Read(r => r.DbInstances[Database] is var db ? (db.Status, db.AvailabilityZone, db.SecondaryAvailabilityZone) : default);

    private List<string> FailoverEvents() =>
        _region.Read(r => r.RdsEvents.Where(e => e.SourceIdentifier == Database && e.Category == "failover").Select(e => e.Message).ToList());

    [Fact]
    public void ForcedFailover_StandbyZoneHardFailed_RebootsButStaysInItsZone()
    {
        _region.Write(r => r.FailZone("eu-central-1b", AzFailure.Hard));

        var rebooting = _region.Read(r => r.RebootDbInstance(Database, forceFailover: true).Status);
        LetRegionTimePass();

        Assert.Equal("rebooting", rebooting);
        Assert.Equal(("available", "eu-central-1a", "eu-central-1b"), Placement());
        Assert.Contains(FailoverEvents(), m => m.StartsWith("Multi-AZ instance failover did not complete", StringComparison.Ordinal));
    }

    [Fact]
    public void ForcedFailover_StandbyZoneGrayFailed_MovesThereAsRdsSeesNothingWrong()
    {
        _region.Write(r => r.FailZone("eu-central-1b", AzFailure.Gray));

        _region.Write(r => r.RebootDbInstance(Database, forceFailover: true));
        LetRegionTimePass();

        Assert.Equal(("available", "eu-central-1b", "eu-central-1a"), Placement());
        Assert.Contains("Multi-AZ instance failover completed.", FailoverEvents());
    }

    [Fact]
    public void ForcedFailover_StandbyZoneFailsWhileItRuns_DoesNotComplete()
    {
        _region.Write(r => r.RebootDbInstance(Database, forceFailover: true));
        _region.Write(r => r.FailZone("eu-central-1b", AzFailure.Hard));
        LetRegionTimePass();

        Assert.Equal(("available", "eu-central-1a", "eu-central-1b"), Placement());
    }

    [Fact]
    public void ForcedFailover_WhileRebooting_IsRefusedWithInvalidDbInstanceState()
    {
        _region.Write(r => r.FailZone("eu-central-1b", AzFailure.Hard));
        _region.Write(r => r.RebootDbInstance(Database, forceFailover: true));

        var refused = Assert.Throws<AwsFaultException>(() => _region.Write(r => r.RebootDbInstance(Database, forceFailover: true)));

        Assert.Equal(("InvalidDBInstanceState", 400), (refused.Code, refused.HttpStatus));
    }

    [Fact]
    public void AutomaticFailover_BothZonesHardFailed_StaysPut()
    {
        _region.Write(r => r.FailZone("eu-central-1b", AzFailure.Hard));
        _region.Write(r => r.FailZone("eu-central-1a", AzFailure.Hard));
        LetRegionTimePass();

        Assert.Equal(("available", "eu-central-1a", "eu-central-1b"), Placement());
        Assert.Empty(FailoverEvents());
    }

    [Fact]
    public void AutomaticFailover_StandbyZoneRecoversFirst_FailsOverThen()
    {
        _region.Write(r => r.FailZone("eu-central-1b", AzFailure.Hard));
        _region.Write(r => r.FailZone("eu-central-1a", AzFailure.Hard));
        LetRegionTimePass();

        _region.Write(r => r.RecoverZone("eu-central-1b"));
        LetRegionTimePass();

        Assert.Equal(("available", "eu-central-1b", "eu-central-1a"), Placement());
    }

    [Fact]
    public void PromoteReplica_WhileMultiAzIsOn_IsRefusedAndChangesNothing()
    {
        var refused = Assert.Throws<AwsFaultException>(() => _region.Write(r => r.ModifyReplicationGroup(Cache, "pyairtable-redis-002", null, null)));

        Assert.Equal(("InvalidParameterCombination", 400), (refused.Code, refused.HttpStatus));
        Assert.StartsWith("You can't promote a read replica to primary while Multi-AZ", refused.Message, StringComparison.Ordinal);
        Assert.Equal(("available", "pyairtable-redis-001"), CachePlacement());
    }

    [Fact]
    public void PromoteReplica_InTheSameRequestThatTurnsMultiAzOff_IsRefused()
    {
        var refused = Assert.Throws<AwsFaultException>(() => _region.Write(r => r.ModifyReplicationGroup(Cache, "pyairtable-redis-002", null, multiAz: false)));

        Assert.Equal("InvalidParameterCombination", refused.Code);
        Assert.True(_region.Read(r => r.ReplicationGroups[Cache].MultiAz));
    }

    [Fact]
    public void PromoteReplica_AfterMultiAzWasTurnedOff_MovesThePrimaryWithAutomaticFailoverStillOn()
    {
        _region.Write(r => r.ModifyReplicationGroup(Cache, null, null, multiAz: false));

        _region.Write(r => r.ModifyReplicationGroup(Cache, "pyairtable-redis-002", null, null));
        LetRegionTimePass();

        Assert.Equal(("available", "pyairtable-redis-002"), CachePlacement());
        Assert.True(_region.Read(r => r.ReplicationGroups[Cache].AutomaticFailover));
    }

    private (string Status, string Primary) CachePlacement() =>
        _region.Read(r => r.ReplicationGroups[Cache] is var g ? (g.Status, g.Members.Single(m => m.Primary).CacheClusterId) : default);
}
