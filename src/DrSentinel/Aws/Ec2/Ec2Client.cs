using System.Diagnostics;
using Amazon.EC2;
using Amazon.EC2.Model;
using DrSentinel.Metrics;

namespace DrSentinel.Aws.Ec2;

/// <summary>Amazon EC2: only the subnet-to-zone map that Auto Scaling's VPCZoneIdentifier needs.</summary>
public interface IEc2Client
{
    /// <summary>Subnet id to availability zone, for the given subnets (all when empty).</summary>
    Task<IReadOnlyDictionary<string, string>> DescribeSubnetZonesAsync(IReadOnlyList<string> subnetIds, CancellationToken cancel);
}

/// <summary>Backed by the official AWSSDK.EC2 client.</summary>
public sealed class Ec2Client(IAmazonEC2 ec2, ApiCallRecorder recorder) : IEc2Client
{
    public async Task<IReadOnlyDictionary<string, string>> DescribeSubnetZonesAsync(IReadOnlyList<string> subnetIds, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        var zones = new Dictionary<string, string>(StringComparer.Ordinal);
        var request = new DescribeSubnetsRequest { SubnetIds = subnetIds.Count > 0 ? [.. subnetIds] : null };
        try
        {
            await foreach (var subnet in ec2.Paginators.DescribeSubnets(request).Subnets.WithCancellation(cancel))
                zones[subnet.SubnetId] = subnet.AvailabilityZone;
        }
        catch (AmazonEC2Exception e)
        {
            recorder.Record("aws", "ec2", "DescribeSubnets", e.ErrorCode is "RequestLimitExceeded" ? "throttled" : "error", Stopwatch.GetElapsedTime(started));
            throw;
        }
        recorder.Record("aws", "ec2", "DescribeSubnets", "success", Stopwatch.GetElapsedTime(started));
        return zones;
    }
}
