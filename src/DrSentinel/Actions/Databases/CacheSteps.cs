using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.Planning;
using DrSentinel.Playbooks.CacheFailover;
using static DrSentinel.Actions.StepResult;

namespace DrSentinel.Actions.Databases;

/// <summary>
/// The ElastiCache step: TestFailover out of the lost zone, or, refused, a replica promoted by PrimaryClusterId; the
/// group read again and the ledger tag written first, the following left to FailoverFollower.
/// </summary>
public sealed partial class CacheSteps(IElastiCacheReader elastiCacheReader, IElastiCacheActions elastiCache, FailoverFollower follower, TimeProvider time,
    ILogger<CacheSteps> logger) : IStepHandler
{
    /// <summary>A TestFailover refusal that the PrimaryClusterId fallback answers.</summary>
    private static readonly HashSet<string> TestFailoverRefusals = new(StringComparer.Ordinal)
    {
        "TestFailoverNotAvailableFault", "APICallRateForCustomerExceeded",
    };

    public bool Takes(PlanStep planStep) => planStep is FailoverCacheGroup;

    public Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel) => CacheFailoverAsync((FailoverCacheGroup)planStep, calling, cancel);

    private async Task<StepResult> CacheFailoverAsync(FailoverCacheGroup step, Action calling, CancellationToken cancel)
    {
        var found = await elastiCacheReader.DescribeReplicationGroupsAsync(step.ReplicationGroup, cancel).ConfigureAwait(false);
        if (found.Count == 0) return Stale($"{step.ReplicationGroup} no longer exists");
        var group = found[0];
        var nodeGroup = group.NodeGroups.FirstOrDefault(n => n.NodeGroupId == step.NodeGroupId);
        var primary = nodeGroup?.Members.FirstOrDefault(m => m.CurrentRole == "primary");
        if (primary is null) return Stale($"node group {step.NodeGroupId} has no primary now");
        if (primary.AvailabilityZone != step.FromZone) return Done($"the primary {primary.CacheClusterId} is already in {primary.AvailabilityZone}");
        if (group.Status != "available") return Stale($"{step.ReplicationGroup} is {group.Status}, not available");
        var arn = group.Arn ?? step.Arn;
        var tags = await elastiCacheReader.ListTagsForResourceAsync(arn, cancel).ConfigureAwait(false);
        if (FailoverLedger.From(tags) is { } ledger && ledger.Episode == step.Episode && time.GetUtcNow() - ledger.At < FailoverFollower.CacheDeadline)
            return Done($"a failover began at {ledger.At:HH:mm:ss} for this incident and may still be under way");
        calling();
        await elastiCache.AddTagsToResourceAsync(arn, [new(LedgerKeys.FailedOver, new FailoverLedger(step.FromZone, step.Episode, time.GetUtcNow()).Format())], cancel)
            .ConfigureAwait(false);
        if (!step.QuotaSpent)
        {
            try
            {
                await elastiCache.TestFailoverAsync(step.ReplicationGroup, step.NodeGroupId, cancel).ConfigureAwait(false);
                follower.FollowCache(step);
                return Changed("ElastiCache took TestFailover") with { ActionTaken = ActionBudget.TestFailoverAction };
            }
            catch (AwsServiceException e) when (TestFailoverRefusals.Contains(e.Code) && step.FallbackPrimary is not null)
            {
                LogTestFailoverRefused(logger, step.ReplicationGroup, e.Code, step.FallbackPrimary);
            }
        }
        if (step.FallbackPrimary is null) return new StepResult(StepOutcome.Failed, "TestFailover refused and no PrimaryClusterId fallback (cluster mode enabled)");
        var detail = await PromoteReplicaAsync(step.ReplicationGroup, step.FallbackPrimary, cancel).ConfigureAwait(false);
        follower.FollowCache(step);
        return Changed(detail) with { ActionTaken = "elasticache-promote-replica" };
    }

    /// <summary>
    /// ModifyReplicationGroup with PrimaryClusterId. AWS's guide (Replication.PromoteReplica) refuses it while Multi-AZ is
    /// enabled: where the answer says so, Multi-AZ is turned off around the promotion and on again after it (automatic
    /// failover stays on).
    /// </summary>
    private async Task<string> PromoteReplicaAsync(string group, string replica, CancellationToken cancel)
    {
        try
        {
            await elastiCache.ModifyReplicationGroupAsync(group, new ReplicationGroupChange(PrimaryClusterId: replica), cancel).ConfigureAwait(false);
            return $"ElastiCache took PrimaryClusterId={replica}";
        }
        catch (AwsServiceException e) when (e.HttpStatus is 400 && e.Message.Contains("Multi-AZ", StringComparison.OrdinalIgnoreCase))
        {
            LogMultiAzInTheWay(logger, group, e.Code);
        }
        await elastiCache.ModifyReplicationGroupAsync(group, new ReplicationGroupChange(MultiAzEnabled: false), cancel).ConfigureAwait(false);
        await follower.CacheAvailableAsync(group, cancel).ConfigureAwait(false);
        await elastiCache.ModifyReplicationGroupAsync(group, new ReplicationGroupChange(PrimaryClusterId: replica), cancel).ConfigureAwait(false);
        await follower.CacheAvailableAsync(group, cancel).ConfigureAwait(false);
        await elastiCache.ModifyReplicationGroupAsync(group, new ReplicationGroupChange(MultiAzEnabled: true), cancel).ConfigureAwait(false);
        return $"ElastiCache took PrimaryClusterId={replica} with Multi-AZ off around it, then on again";
    }

    [LoggerMessage(EventId = EventIds.TestFailoverRefused, Level = LogLevel.Warning,
        Message = "ElastiCache refused TestFailover on {ReplicationGroup} ({Code}); promoting {Replica} with ModifyReplicationGroup instead")]
    private static partial void LogTestFailoverRefused(ILogger logger, string replicationGroup, string code, string replica);

    [LoggerMessage(EventId = EventIds.MultiAzInTheWay, Level = LogLevel.Warning,
        Message = "ElastiCache refused PrimaryClusterId on {ReplicationGroup} while Multi-AZ is on ({Code}); turning Multi-AZ off around the promotion")]
    private static partial void LogMultiAzInTheWay(ILogger logger, string replicationGroup, string code);
}
