namespace DrSentinel.Sandbox.Region;

// ElastiCache Redis replication groups (cluster mode disabled: one node group, "0001").
public sealed partial class SandboxRegion
{
    /// <summary>AWS allows TestFailover on at most 15 node groups in any rolling 24 hours.</summary>
    public const int TestFailoverLimitPerDay = 15;

    private void SeedReplicationGroups()
    {
        foreach (var spec in Topology.ReplicationGroups)
        {
            var group = new CacheReplicationGroup
            {
                Id = spec.Id, NodeType = spec.NodeType, Port = spec.Port,
                AutomaticFailover = spec.AutomaticFailover, MultiAz = spec.MultiAz,
            };
            group.Members.AddRange(spec.Members.Select(m => new CacheMember(m.CacheClusterId, m.AvailabilityZone, m.Primary)));
            foreach (var (key, value) in spec.Tags) group.Tags[key] = value;
            ReplicationGroups[spec.Id] = group;
        }
    }

    internal CacheReplicationGroup RequireReplicationGroup(string id) => ReplicationGroups.GetValueOrDefault(id) ?? throw ReplicationGroupNotFound(id);

    private static AwsFaultException ReplicationGroupNotFound(string id) => new("ReplicationGroupNotFoundFault", $"Replication group {id} not found.", 404);

    public CacheReplicationGroup TestFailover(string groupId, string nodeGroupId)
    {
        var group = RequireReplicationGroup(groupId);
        if (nodeGroupId != "0001")
            throw new AwsFaultException("NodeGroupNotFoundFault", $"Node group {nodeGroupId} not found in replication group {groupId}.", 404);
        if (group.Status != "available")
            throw new AwsFaultException("InvalidReplicationGroupState", $"Replication group {groupId} is not in available state (it is {group.Status}).");
        if (!group.AutomaticFailover)
            throw new AwsFaultException("TestFailoverNotAvailableFault", $"Automatic failover is not enabled for replication group {groupId}.");
        group.TestFailoverCalls.RemoveAll(t => t <= Now - TimeSpan.FromDays(1));
        if (group.TestFailoverCalls.Count >= TestFailoverLimitPerDay)
            throw new AwsFaultException("APICallRateForCustomerExceeded", $"TestFailover is limited to {TestFailoverLimitPerDay} node groups in a rolling 24 hour period.");
        var target = PickNewPrimary(group)
            ?? throw new AwsFaultException("InvalidReplicationGroupState", $"Replication group {groupId} has no replica to promote.");
        group.TestFailoverCalls.Add(Now);
        AddCacheEvent(groupId, "replication-group", $"Test Failover API called for node group {nodeGroupId}");
        StartCachePromotion(group, target);
        return group;
    }

    private void AddCacheEvent(string source, string sourceType, string message) =>
        CacheEvents.Add(new RdsEvent(source, sourceType, message, "", Now));

    /// <summary>
    /// botocore, ModifyReplicationGroup's ApplyImmediately: "If false, changes to the nodes in the replication group are
    /// applied on the next maintenance reboot, or the next failure reboot, whichever occurs first" (default false). Read
    /// strictly: without it the change only waits (PendingModifiedValues), as the sandbox has no maintenance window.
    /// </summary>
    public CacheReplicationGroup ModifyReplicationGroup(string groupId, string? primaryClusterId, bool? automaticFailover, bool? multiAz, bool applyImmediately = true)
    {
        var group = RequireReplicationGroup(groupId);
        if (!applyImmediately)
        {
            if (primaryClusterId is not null && group.Members.All(m => m.CacheClusterId != primaryClusterId))
                throw new AwsFaultException("CacheClusterNotFound", $"Cache cluster {primaryClusterId} not found in {groupId}.", 404);
            group.PendingPrimaryClusterId = primaryClusterId ?? group.PendingPrimaryClusterId;
            group.PendingAutomaticFailover = automaticFailover ?? group.PendingAutomaticFailover;
            return group;
        }
        (group.PendingPrimaryClusterId, group.PendingAutomaticFailover) = (null, null);
        if (group.Status != "available")
            throw new AwsFaultException("InvalidReplicationGroupState", $"Replication group {groupId} is not in available state (it is {group.Status}).");
        var newAutomatic = automaticFailover ?? group.AutomaticFailover;
        var newMultiAz = multiAz ?? group.MultiAz;
        if (newMultiAz && !newAutomatic)
            throw AwsFaultException.InvalidParameterCombination("Multi-AZ requires automatic failover to be enabled.");
        if (newAutomatic && group.Members.Count < 2)
            throw AwsFaultException.InvalidParameterCombination("Automatic failover needs at least one replica.");
        CacheMember? newPrimary = null;
        if (primaryClusterId is not null)
        {
            // AWS's user guide (Replication.PromoteReplica.html, see docs/sandbox.md) has Multi-AZ turned off by an
            // earlier modification before a replica is promoted, and back on by a later one.
            if (group.MultiAz || newMultiAz)
                throw AwsFaultException.InvalidParameterCombination(
                    "You can't promote a read replica to primary while Multi-AZ with Automatic Failover is enabled on the replication group. Disable Multi-AZ first.");
            newPrimary = group.Members.FirstOrDefault(m => m.CacheClusterId == primaryClusterId)
                ?? throw new AwsFaultException("CacheClusterNotFound", $"Cache cluster {primaryClusterId} not found in {groupId}.", 404);
        }
        (group.AutomaticFailover, group.MultiAz) = (newAutomatic, newMultiAz);
        if (newPrimary is not null && !newPrimary.Primary) StartCachePromotion(group, newPrimary);
        return group;
    }

    private CacheMember? PickNewPrimary(CacheReplicationGroup group) =>
        group.Members.Where(m => !m.Primary)
            .OrderBy(m => Zones[m.AvailabilityZone].PoweredOn ? 0 : 1)
            .ThenBy(m => m.CacheClusterId, StringComparer.Ordinal)
            .FirstOrDefault();

    private void StartCachePromotion(CacheReplicationGroup group, CacheMember target)
    {
        group.Status = "modifying";
        var old = group.Members.Single(m => m.Primary);
        After(Between(20, 60), () =>
        {
            foreach (var member in group.Members) member.Primary = member == target;
            group.Status = "available";
            AddCacheEvent(group.Id, "replication-group",
                $"Failover from master node {old.CacheClusterId}-0001 to replica node {target.CacheClusterId}-0001 completed");
            AddCacheEvent(target.CacheClusterId, "cache-cluster", $"Failover to replica node {target.CacheClusterId}-0001 completed");
        });
    }

    /// <summary>What ElastiCache does by itself when the primary's zone loses power and automatic failover is on.</summary>
    private void FailOverCacheOutOf(string zone)
    {
        foreach (var group in ReplicationGroups.Values.Where(g => g.AutomaticFailover && g.Status == "available"))
        {
            if (group.Members.Single(m => m.Primary).AvailabilityZone != zone) continue;
            if (PickNewPrimary(group) is { } target && Zones[target.AvailabilityZone].PoweredOn) StartCachePromotion(group, target);
        }
    }
}
