using System.Collections.Immutable;
using DrSentinel.Clients.Aws.AutoScaling;
using DrSentinel.Clients.Aws.Ec2;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory.Aws;

/// <summary>The cluster's EC2 Auto Scaling groups (found by their kubernetes.io/cluster tag) with their instances per zone.</summary>
public sealed class ScalingGroupSource(IAutoScalingReader autoScaling, IEc2Client ec2, IOptions<InventoryOptions> options) : IInventorySource
{
    private ImmutableDictionary<string, string> _subnetZones = ImmutableDictionary<string, string>.Empty;

    public string Name => "aws_autoscaling";
    public TimeSpan Interval => options.Value.AwsRefreshInterval;

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var filter = new ScalingGroupFilter("tag-key", [$"kubernetes.io/cluster/{options.Value.ClusterName}"]);
        var groups = await autoScaling.DescribeAutoScalingGroupsAsync(null, [filter], cancel);
        var subnets = groups.SelectMany(g => Subnets(g.VpcZoneIdentifier)).Distinct().ToList();
        var unknown = subnets.Where(s => !_subnetZones.ContainsKey(s)).ToList();
        if (unknown.Count > 0)
            _subnetZones = _subnetZones.SetItems(await ec2.DescribeSubnetZonesAsync(unknown, cancel)); // subnets never change zone
        var states = groups.Select(g => new ScalingGroupState(
            g.Name,
            g.Tags.FirstOrDefault(t => t.Key == "eks:nodegroup-name")?.Value,
            g.MinSize, g.MaxSize, g.DesiredCapacity,
            Subnets(g.VpcZoneIdentifier).Select(s => _subnetZones.GetValueOrDefault(s)).OfType<string>()
                .Concat(g.AvailabilityZones).Distinct().Order(StringComparer.Ordinal).ToImmutableArray(),
            g.Instances.Select(i => new ScalingInstanceState(i.InstanceId, i.AvailabilityZone, i.LifecycleState, i.HealthStatus == "Healthy")).ToImmutableArray(),
            g.SuspendedProcesses.Order(StringComparer.Ordinal).ToImmutableArray())
        {
            Subnets = Subnets(g.VpcZoneIdentifier).Select(s => new SubnetPlacement(s, _subnetZones.GetValueOrDefault(s))).ToImmutableArray(),
            Tags = g.Tags.Where(t => LedgerKeys.IsRead(t.Key)).ToImmutableDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal),
            Arn = g.Arn,
        }).ToImmutableArray();
        return snapshot => snapshot with { ScalingGroups = states };
    }

    /// <summary>The subnet ids of a VPCZoneIdentifier ("subnet-a, subnet-b").</summary>
    internal static string[] Subnets(string? vpcZoneIdentifier) =>
        (vpcZoneIdentifier ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
