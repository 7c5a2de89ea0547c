using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>Amazon EC2, API version 2016-11-15: only what maps subnets to zones, and zone names to zone IDs.</summary>
public static class Ec2Api
{
    public static readonly QueryService Service = new("ec2", "2016-11-15", "http://ec2.amazonaws.com/doc/2016-11-15/",
        new Dictionary<string, Operation>(StringComparer.Ordinal)
        {
            ["DescribeSubnets"] = new(DescribeSubnets),
            ["DescribeAvailabilityZones"] = new(DescribeAvailabilityZones),
        }) { Errors = ModeledErrors.Ec2 };

    /// <summary>
    /// The account's zones with their IDs (the name-to-ID map differs per account). Not paginated; ZoneName.N, ZoneId.N
    /// and the zone-name, zone-id, region-name, state and zone-type filters narrow it; an unknown zone is refused.
    /// </summary>
    private static void DescribeAvailabilityZones(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var zones = r.Topology.AvailabilityZones.Select(z => (Name: z, Id: r.Topology.ZoneId(z))).ToList();
        var names = p.List("ZoneName", "");
        var ids = p.List("ZoneId", "");
        var unknown = names.FirstOrDefault(n => zones.All(z => z.Name != n)) ?? ids.FirstOrDefault(i => zones.All(z => z.Id != i));
        if (unknown is not null) throw AwsFaultException.InvalidParameterValue($"Invalid availability zone: [{unknown}]");
        var filters = p.Structures("Filter", "").Select(f => (Name: f.Required("Name"), Values: f.List("Value", ""))).ToList();
        string? Field(string filter, (string Name, string Id) z) => filter switch
        {
            "zone-name" => z.Name, "zone-id" => z.Id, "region-name" => r.Name, "state" => "available", "zone-type" => "availability-zone", _ => null,
        };
        var bad = filters.FirstOrDefault(f => Field(f.Name, zones[0]) is null);
        if (bad.Name is not null) throw AwsFaultException.InvalidParameterValue($"The filter '{bad.Name}' is invalid");
        var matches = zones
            .Where(z => (names.Count == 0 && ids.Count == 0) || names.Contains(z.Name) || ids.Contains(z.Id))
            .Where(z => filters.All(f => f.Values.Contains(Field(f.Name, z)!)));
        w.List("availabilityZoneInfo", "item", matches, (x, z) =>
        {
            x.Element("zoneState", "available");
            x.Element("optInStatus", "opt-in-not-required");
            x.Element("regionName", r.Name);
            x.Element("zoneName", z.Name);
            x.Element("zoneId", z.Id);
            x.Element("groupName", $"{r.Name}-zg-1");
            x.Element("networkBorderGroup", r.Name);
            x.Element("zoneType", "availability-zone");
        });
    }

    private static void DescribeSubnets(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var ids = p.List("SubnetId", "");
        var missing = ids.FirstOrDefault(id => !r.SubnetZones.ContainsKey(id));
        if (missing is not null) throw new AwsFaultException("InvalidSubnetID.NotFound", $"The subnet ID '{missing}' does not exist");
        var filters = p.Structures("Filter", "").Select(f => (Name: f.Required("Name"), Values: f.List("Value", ""))).ToList();
        var unknown = filters.FirstOrDefault(f => f.Name is not ("subnet-id" or "availability-zone"));
        if (unknown.Name is not null) throw AwsFaultException.InvalidParameterValue($"The filter '{unknown.Name}' is invalid");
        var zones = r.Topology.AvailabilityZones.ToList();
        var matches = r.SubnetZones
            .Where(s => ids.Count == 0 || ids.Contains(s.Key))
            .Where(s => filters.All(f => f.Values.Contains(f.Name == "subnet-id" ? s.Key : s.Value)))
            .OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        var pageSize = p.OptionalInt("MaxResults") ?? 1000;
        if (pageSize is < 5 or > 1000) throw AwsFaultException.InvalidParameterValue($"Value ({pageSize}) for parameter maxResults is invalid. Expecting a value between 5 and 1000.");
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("NextToken"), pageSize);
        w.List("subnetSet", "item", page, (x, s) =>
        {
            var index = zones.IndexOf(s.Value);
            x.Element("subnetId", s.Key);
            x.Element("subnetArn", $"arn:aws:ec2:{r.Name}:{r.Topology.AccountId}:subnet/{s.Key}");
            x.Element("state", "available");
            x.Element("vpcId", "vpc-0sandbox00000001");
            x.Element("ownerId", r.Topology.AccountId);
            x.Element("cidrBlock", $"10.0.{index * 32}.0/19");
            x.Element("availableIpAddressCount", 8000);
            x.Element("availabilityZone", s.Value);
            x.Element("availabilityZoneId", r.Topology.ZoneId(s.Value));
            x.Element("defaultForAz", false);
            x.Element("mapPublicIpOnLaunch", false);
        });
        w.Element("nextToken", next);
    }
}
