using System.Collections.Immutable;
using DrSentinel.Clients.Aws.Rds;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory.Aws;

/// <summary>RDS instances and Multi-AZ DB clusters: roles, zones, status.</summary>
public sealed class RdsSource(IRdsReader rds, IOptions<InventoryOptions> options) : IInventorySource
{
    public string Name => "aws_rds";
    public TimeSpan Interval => options.Value.AwsRefreshInterval;

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var instances = await rds.DescribeDbInstancesAsync(null, cancel);
        var clusters = await rds.DescribeDbClustersAsync(null, cancel);
        var writers = clusters.SelectMany(c => c.Members).ToDictionary(m => m.InstanceId, m => m.IsWriter, StringComparer.Ordinal);
        var wanted = options.Value.DbInstanceIds;
        var states = instances
            .Where(i => wanted.Count == 0 || wanted.Contains(i.Id) || (i.ClusterId is not null && wanted.Contains(i.ClusterId)))
            .Select(i => new DbInstanceState(i.Id, i.Engine, i.Status, i.AvailabilityZone, i.SecondaryAvailabilityZone, i.MultiAz,
                i.ReplicaSourceId, i.ClusterId, writers.TryGetValue(i.Id, out var writer) ? writer : null, i.EndpointAddress, i.EndpointPort)
            {
                Arn = i.Arn,
                LatestRestorableTime = i.LatestRestorableTime,
                Tags = i.Tags.Where(t => t.Key.StartsWith(Planning.LedgerKeys.Prefix, StringComparison.Ordinal)).ToImmutableDictionary(StringComparer.Ordinal),
            })
            .ToImmutableArray();
        return snapshot => snapshot with { DbInstances = states };
    }
}
