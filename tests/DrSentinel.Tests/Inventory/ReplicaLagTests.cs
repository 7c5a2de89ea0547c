using DrSentinel.Inventory;

namespace DrSentinel.Tests.Inventory;

public sealed class ReplicaLagTests
{
    private static readonly DbInstanceState Primary = new("db", "postgres", "available", "a", "b", true, null, null, null, "db.local", 5432);
    private static readonly DbInstanceState Replica = new("db-replica", "postgres", "available", "b", null, false, "db", null, null, "replica.local", 5432);

    private static PostgresProbeResult PrimaryAt(ulong position) => new("db", "a", true, false, position, null, null, [], TimeSpan.Zero);

    private static PostgresProbeResult ReplicaAt(ulong position, double replayAge, bool streaming = true) =>
        new("db-replica", "b", true, true, position, replayAge, streaming, [], TimeSpan.Zero);

    private static InventorySnapshot Snapshot(params PostgresProbeResult[] probes) =>
        InventorySnapshot.Empty with { DbInstances = [Primary, Replica], PostgresProbes = [.. probes] };

    [Fact]
    public void Assess_StalledReceiverThatReplayedAllItReceived_IsBehindByWhatThePrimaryWroteSince()
    {
        // The stalled standby's own view: receive = replay, so a standby-only formula says 0.
        var lag = Assert.Single(ReplicaLag.Assess(Snapshot(PrimaryAt(5_000_000), ReplicaAt(4_525_000, replayAge: 90))));

        Assert.Equal(("db-replica", "b", 475_000d, 90d), (lag.DbInstance, lag.Zone, lag.Bytes, lag.Seconds));
    }

    [Fact]
    public void Assess_IdlePrimaryAndCaughtUpReplica_IsNotBehind_HoweverOldItsLastReplay()
    {
        var lag = Assert.Single(ReplicaLag.Assess(Snapshot(PrimaryAt(5_000_000), ReplicaAt(5_000_000, replayAge: 600))));

        Assert.Equal((0d, 0d), (lag.Bytes, lag.Seconds));
    }

    [Fact]
    public void Assess_SourceNotProbedOrDown_SaysNothing()
    {
        Assert.Empty(ReplicaLag.Assess(Snapshot(ReplicaAt(1, 1))));
        Assert.Empty(ReplicaLag.Assess(Snapshot(ReplicaAt(1, 1), new PostgresProbeResult("db", "a", false, null, null, null, null, [], TimeSpan.Zero))));
    }

    [Fact]
    public void Assess_ClusterReader_IsMeasuredAgainstItsWriter()
    {
        var writer = new DbInstanceState("w", "postgres", "available", "a", null, false, null, "cluster", true, "w.local", 5432);
        var reader = new DbInstanceState("r", "postgres", "available", "c", null, false, null, "cluster", false, "r.local", 5432);
        var snapshot = InventorySnapshot.Empty with
        {
            DbInstances = [writer, reader],
            PostgresProbes = [new("w", "a", true, false, 300, null, null, [], TimeSpan.Zero), new("r", "c", true, true, 100, 5, true, [], TimeSpan.Zero)],
        };

        Assert.Equal(200d, Assert.Single(ReplicaLag.Assess(snapshot)).Bytes);
    }
}
