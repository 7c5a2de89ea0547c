using DrSentinel.Planning;

namespace DrSentinel.Playbooks.CacheFailover;

/// <summary>
/// Moves a replication group's primary out of <see cref="FromZone"/>: TestFailover on <see cref="NodeGroupId"/>, or, when
/// AWS refuses it (blocked, quota spent) and the group is cluster-mode disabled, ModifyReplicationGroup with
/// PrimaryClusterId = <see cref="FallbackPrimary"/>. <see cref="QuotaSpent"/>: go straight to the fallback.
/// </summary>
public sealed record FailoverCacheGroup(
    string ReplicationGroup, string Arn, string NodeGroupId, string FromZone, string? FallbackPrimary, bool QuotaSpent, string Episode) : PlanStep(ReplicationGroup)
{
    public override string Action => QuotaSpent ? "elasticache-promote-replica" : ActionBudget.TestFailoverAction;
    public override string Kind => "ReplicationGroup";
    public override string Describe() => QuotaSpent
        ? $"promote {FallbackPrimary} to primary of {ReplicationGroup} (ModifyReplicationGroup PrimaryClusterId; the TestFailover quota is spent)"
        : $"fail node group {NodeGroupId} of {ReplicationGroup} over out of {FromZone} (TestFailover{(FallbackPrimary is null ? "" : $", else promote {FallbackPrimary}")})";
}
