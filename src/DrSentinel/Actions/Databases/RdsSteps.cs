using DrSentinel.Clients.Aws.Rds;
using DrSentinel.Planning;
using DrSentinel.Playbooks.RdsFailover;
using static DrSentinel.Actions.StepResult;

namespace DrSentinel.Actions.Databases;

/// <summary>
/// The RDS steps (a Multi-AZ instance's forced failover, a DB cluster's failover, a read replica's promotion): read the
/// resource again right before the call (the page may be minutes old), write the ledger tag, make the one call, and leave
/// the following to FailoverFollower so the engine is free for the next alert.
/// </summary>
public sealed class RdsSteps(IRdsReader rdsReader, IRdsActions rds, FailoverFollower follower, TimeProvider time) : IStepHandler
{
    public bool Takes(PlanStep planStep) => planStep is FailoverDbInstance or FailoverDbCluster or PromoteReadReplica;

    public Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel) => planStep switch
    {
        FailoverDbInstance f => RdsFailoverAsync(f, calling, cancel),
        FailoverDbCluster f => ClusterFailoverAsync(f, calling, cancel),
        PromoteReadReplica p => ReplicaPromotionAsync(p, calling, cancel),
        _ => throw new InvalidOperationException($"{nameof(RdsSteps)} does not take {planStep.GetType().Name}"),
    };

    private async Task<StepResult> RdsFailoverAsync(FailoverDbInstance step, Action calling, CancellationToken cancel)
    {
        var found = await rdsReader.DescribeDbInstancesAsync(step.DbInstance, cancel).ConfigureAwait(false);
        if (found.Count == 0) return Stale($"{step.DbInstance} no longer exists");
        var db = found[0];
        if (db.AvailabilityZone != step.FromZone) return Done($"the primary is already in {db.AvailabilityZone}");
        if (db.Status != "available") return Stale($"{step.DbInstance} is {db.Status}, not available");
        if (db.SecondaryAvailabilityZone != step.ToZone) return Stale($"its standby is in {db.SecondaryAvailabilityZone ?? "no zone"} now, not {step.ToZone}");
        if (await FailoverBeganAsync(db.Tags, step.Episode, step.DbInstance, "db-instance", cancel).ConfigureAwait(false) is { } began)
            return Done($"a failover began at {began:HH:mm:ss} for this incident");
        var arn = db.Arn ?? step.Arn;
        calling();
        await rds.AddTagsToResourceAsync(arn, [new(LedgerKeys.FailedOver, new FailoverLedger(step.FromZone, step.Episode, time.GetUtcNow()).Format())], cancel)
            .ConfigureAwait(false);
        await rds.RebootDbInstanceAsync(step.DbInstance, forceFailover: true, cancel).ConfigureAwait(false);
        follower.FollowRds(step);
        return Changed("RDS took the forced failover");
    }

    private async Task<StepResult> ClusterFailoverAsync(FailoverDbCluster step, Action calling, CancellationToken cancel)
    {
        var found = await rdsReader.DescribeDbClustersAsync(step.Cluster, cancel).ConfigureAwait(false);
        if (found.Count == 0) return Stale($"DB cluster {step.Cluster} no longer exists");
        var cluster = found[0];
        var writer = cluster.Members.FirstOrDefault(m => m.IsWriter)?.InstanceId;
        if (writer != step.Writer) return Done($"the writer is {writer ?? "none"} now");
        // A cluster failing over (AWS's own, or ours before a restart) is not failed over again.
        if (cluster.Status == "failing-over") return Done("a failover is under way");
        if (cluster.Status != "available") return Stale($"{step.Cluster} is {cluster.Status}, not available");
        var target = cluster.Members.FirstOrDefault(m => m.InstanceId == step.Target);
        if (target is null || target.IsWriter) return Stale($"{step.Target} is no longer a reader of {step.Cluster}");
        var instances = await rdsReader.DescribeDbInstancesAsync(step.Writer, cancel).ConfigureAwait(false);
        if (instances.Count > 0 && await FailoverBeganAsync(instances[0].Tags, step.Episode, step.Cluster, "db-cluster", cancel).ConfigureAwait(false) is { } began)
            return Done($"a failover began at {began:HH:mm:ss} for this incident");
        calling();
        await rds.AddTagsToResourceAsync(step.WriterArn, [new(LedgerKeys.FailedOver, new FailoverLedger(step.FromZone, step.Episode, time.GetUtcNow()).Format())], cancel)
            .ConfigureAwait(false);
        await rds.FailoverDbClusterAsync(step.Cluster, step.Target, cancel).ConfigureAwait(false);
        follower.FollowCluster(step);
        return Changed("RDS took the cluster failover");
    }

    /// <summary>
    /// PromoteReadReplica, after reading both ends again: the replica still replicates from the source, the source's
    /// primary is still in the lost zone. Both ledger tags (the source, the incident) go on the replica first.
    /// </summary>
    private async Task<StepResult> ReplicaPromotionAsync(PromoteReadReplica step, Action calling, CancellationToken cancel)
    {
        var found = await rdsReader.DescribeDbInstancesAsync(step.Replica, cancel).ConfigureAwait(false);
        if (found.Count == 0) return Stale($"{step.Replica} no longer exists");
        var replica = found[0];
        if (FailoverLedger.From(replica.Tags) is { } ledger && ledger.Episode == step.Episode
            && replica.Tags.GetValueOrDefault(LedgerKeys.PromotedFrom) == step.Source)
            return Done($"DrSentinel began promoting {step.Replica} at {ledger.At:HH:mm:ss} for this incident");
        if (replica.ReplicaSourceId is null) return Stale($"{step.Replica} is no longer a read replica (someone promoted it)");
        if (replica.ReplicaSourceId != step.Source) return Stale($"{step.Replica} replicates from {replica.ReplicaSourceId} now, not {step.Source}");
        if (replica.Status != "available") return Stale($"{step.Replica} is {replica.Status}, not available");
        var sources = await rdsReader.DescribeDbInstancesAsync(step.Source, cancel).ConfigureAwait(false);
        if (sources.Count > 0 && sources[0].AvailabilityZone != step.FromZone)
            return Stale($"the primary of {step.Source} is in {sources[0].AvailabilityZone} now, out of {step.FromZone}: nothing to promote for");
        calling();
        await rds.AddTagsToResourceAsync(replica.Arn ?? step.Arn,
            [new(LedgerKeys.PromotedFrom, step.Source), new(LedgerKeys.FailedOver, new FailoverLedger(step.FromZone, step.Episode, time.GetUtcNow()).Format())], cancel)
            .ConfigureAwait(false);
        await rds.PromoteReadReplicaAsync(step.Replica, cancel).ConfigureAwait(false);
        follower.FollowPromotion(step);
        return Changed($"RDS took the promotion of {step.Replica}; replication from {step.Source} ends");
    }

    /// <summary>
    /// When the ledger tag names this incident (written before a restart or a lost answer), whether the call went out:
    /// RDS's events show a failover since the tag. Its time if so; null when there is no such tag or no such event.
    /// </summary>
    private async Task<DateTimeOffset?> FailoverBeganAsync(IReadOnlyDictionary<string, string> tags, string episode, string source, string sourceType, CancellationToken cancel)
    {
        if (FailoverLedger.From(tags) is not { } ledger || ledger.Episode != episode) return null;
        var events = await rdsReader.DescribeEventsAsync(source, sourceType, time.GetUtcNow() - ledger.At + TimeSpan.FromMinutes(1), cancel).ConfigureAwait(false);
        return events.Any(e => e.Date >= ledger.At.AddSeconds(-1) && e.Message.Contains("failover", StringComparison.OrdinalIgnoreCase)) ? ledger.At : null;
    }
}
