using System.Collections.Immutable;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.Clients.Aws.Rds;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory.Aws;

/// <summary>
/// The newest available snapshot of every watched RDS instance and replication group, by kind (DescribeDBSnapshots,
/// DescribeSnapshots): what a restore would start from. A source of its own, so a denied or failing snapshot call never
/// takes the databases' placement down with it.
/// </summary>
public sealed class SnapshotSource(IRdsReader rds, IElastiCacheReader elastiCache, IOptions<InventoryOptions> options) : IInventorySource
{
    public string Name => "aws_snapshots";
    public TimeSpan Interval => options.Value.AwsRefreshInterval;

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var databases = await rds.DescribeDbSnapshotsAsync(null, cancel);
        var caches = await elastiCache.DescribeSnapshotsAsync(null, cancel);
        var (instances, groups) = (options.Value.DbInstanceIds, options.Value.ReplicationGroupIds);
        var newest = databases
            .Where(d => d.Status == "available" && d.CreatedAt is not null && (instances.Count == 0 || instances.Contains(d.InstanceId)))
            .Select(d => new NewestSnapshot("rds", d.InstanceId, d.Type, d.CreatedAt!.Value))
            .Concat(caches
                .Where(c => c.Status == "available" && c.CreatedAt is not null && c.ReplicationGroupId is not null
                            && (groups.Count == 0 || groups.Contains(c.ReplicationGroupId)))
                .Select(c => new NewestSnapshot("elasticache", c.ReplicationGroupId!, c.Source, c.CreatedAt!.Value)))
            .GroupBy(n => (n.Service, n.Resource, n.Kind))
            .Select(g => g.MaxBy(n => n.TakenAt)!)
            .OrderBy(n => n.Service, StringComparer.Ordinal).ThenBy(n => n.Resource, StringComparer.Ordinal).ThenBy(n => n.Kind, StringComparer.Ordinal)
            .ToImmutableArray();
        return snapshot => snapshot with { Snapshots = newest };
    }
}
