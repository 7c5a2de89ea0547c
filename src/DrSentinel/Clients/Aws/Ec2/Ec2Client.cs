namespace DrSentinel.Clients.Aws.Ec2;

/// <summary>Amazon EC2: the subnet-to-zone map that Auto Scaling's VPCZoneIdentifier needs, and the zone-name-to-ID map ARC needs.</summary>
public interface IEc2Client
{
    /// <summary>Subnet id to availability zone, for the given subnets (all when empty).</summary>
    Task<IReadOnlyDictionary<string, string>> DescribeSubnetZonesAsync(IReadOnlyList<string> subnetIds, CancellationToken cancel);

    /// <summary>The account's availability zones: name to ID (IAM: ec2:DescribeAvailabilityZones).</summary>
    Task<IReadOnlyDictionary<string, string>> DescribeZoneIdsAsync(CancellationToken cancel);
}

/// <summary>
/// EC2's own protocol is the Query protocol with lower-case answers and <c>SubnetId.N</c> lists, so one call needs no SDK
/// assembly of its own: it shares the signer, retries, pagination and call counting of every other AWS client.
/// </summary>
public sealed class Ec2Client(AwsQueryClient query) : IEc2Client
{
    public static readonly QueryApi Api = new("ec2", "2016-11-15");

    public async Task<IReadOnlyDictionary<string, string>> DescribeSubnetZonesAsync(IReadOnlyList<string> subnetIds, CancellationToken cancel)
    {
        var parameters = subnetIds.Select((id, i) => new KeyValuePair<string, string>($"SubnetId.{i + 1}", id)).ToList();
        var subnets = await query.PagesAsync(Api, "DescribeSubnets", parameters, "subnetSet",
            s => (Id: s.RequiredText("subnetId"), Zone: s.RequiredText("availabilityZone")), cancel, "NextToken", "nextToken");
        return subnets.ToDictionary(s => s.Id, s => s.Zone, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<string, string>> DescribeZoneIdsAsync(CancellationToken cancel)
    {
        // Not paginated: one answer lists every zone of the region.
        var answer = await query.SendAsync(Api, "DescribeAvailabilityZones", [], idempotent: true, cancel);
        return answer.Items("availabilityZoneInfo").ToDictionary(z => z.RequiredText("zoneName"), z => z.RequiredText("zoneId"), StringComparer.Ordinal);
    }
}
