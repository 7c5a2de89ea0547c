using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>Amazon EC2, API version 2016-11-15: only what maps subnets to zones.</summary>
public static class Ec2Api
{
    public static readonly QueryService Service = new("ec2", "2016-11-15", "http://ec2.amazonaws.com/doc/2016-11-15/",
        new Dictionary<string, Operation>(StringComparer.Ordinal) { ["DescribeSubnets"] = new(DescribeSubnets) }) { Errors = ModeledErrors.Ec2 };

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
            x.Element("availabilityZoneId", $"euc1-az{index + 1}");
            x.Element("defaultForAz", false);
            x.Element("mapPublicIpOnLaunch", false);
        });
        w.Element("nextToken", next);
    }
}
