using System.Collections.Immutable;
using DrSentinel.Aws.ElastiCache;
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
            var tags = g.Arn is null ? ImmutableDictionary<string, string>.Empty
                : (await elastiCache.ListTagsForResourceAsync(g.Arn, cancel)).ToImmutableDictionary(StringComparer.Ordinal);
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
}
