using System.Collections.Immutable;
using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.ElastiCache;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory.Aws;

/// <summary>
/// ElastiCache replication groups: status, failover settings, each member's role and zone, and the group's tags (unlike
/// RDS, DescribeReplicationGroups lists none: ListTagsForResource, one call a group), where DrSentinel's ledger is.
/// </summary>
public sealed class ElastiCacheSource(IElastiCacheReader elastiCache, IOptions<InventoryOptions> options) : IInventorySource
{
    public string Name => "aws_elasticache";
    public TimeSpan Interval => options.Value.AwsRefreshInterval;

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var wanted = options.Value.ReplicationGroupIds;
        var groups = await elastiCache.DescribeReplicationGroupsAsync(wanted.Count == 1 ? wanted[0] : null, cancel);
        var states = ImmutableArray.CreateBuilder<ReplicationGroupState>();
        foreach (var g in groups.Where(g => wanted.Count == 0 || wanted.Contains(g.Id)))
        {
            var tags = g.Arn is null ? ImmutableDictionary<string, string>.Empty : await TagsAsync(g.Arn, g.Id, current, cancel);
            states.Add(new ReplicationGroupState(g.Id, g.Status, g.AutomaticFailover is "enabled", g.MultiAz is "enabled", g.ClusterEnabled,
                g.NodeGroups.SelectMany(n => n.Members.Select(m => new CacheMemberState(
                    m.CacheClusterId, n.NodeGroupId, m.AvailabilityZone, m.CurrentRole ?? "unknown", m.ReadEndpointAddress, m.ReadEndpointPort))).ToImmutableArray())
            {
                Arn = g.Arn,
                Tags = tags,
            });
        }
        var refreshed = states.ToImmutable();
        return snapshot => snapshot with { ReplicationGroups = refreshed };
    }

    /// <summary>
    /// The group's tags. ElastiCache refuses ListTagsForResource while the group is not available (botocore: "If the cluster
    /// is not in the available state, ListTagsForResource returns an error"), which is exactly during a failover: the tags
    /// last read stand in then (no tag changes while the group is busy, and a busy group is not acted on).
    /// </summary>
    private async Task<ImmutableDictionary<string, string>> TagsAsync(string arn, string id, InventorySnapshot current, CancellationToken cancel)
    {
        try
        {
            return (await elastiCache.ListTagsForResourceAsync(arn, cancel)).ToImmutableDictionary(StringComparer.Ordinal);
        }
        catch (AwsServiceException e) when (e.Code == "InvalidReplicationGroupState")
        {
            return current.ReplicationGroups.FirstOrDefault(r => r.Id == id)?.Tags ?? ImmutableDictionary<string, string>.Empty;
        }
    }
}
