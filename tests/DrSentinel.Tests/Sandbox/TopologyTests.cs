using System.Text;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Tests.Sandbox;

public sealed class TopologyTests
{
    private static Topology Parse(string json) => Topology.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json");

    [Fact]
    public void Default_DescribesTheSeedPlan()
    {
        var topology = Topology.Default();

        Assert.Equal(["eu-central-1a", "eu-central-1b", "eu-central-1c"], topology.AvailabilityZones);
        var primary = Assert.Single(topology.NodeGroups, g => g.Name == "primary");
        Assert.Equal((3, 20, 6, 2), (primary.MinSize, primary.MaxSize, primary.DesiredSize, primary.Subnets.Count));
        var critical = Assert.Single(topology.NodeGroups, g => g.Name == "critical");
        Assert.Equal(new TaintSpec("critical-workload", "true", "NoSchedule"), Assert.Single(critical.Taints));
        Assert.Equal(("eu-central-1a", "eu-central-1b"), (topology.DbInstances[0].AvailabilityZone, topology.DbInstances[0].SecondaryAvailabilityZone));
        Assert.Equal(3, Assert.Single(topology.ReplicationGroups).Members.Count);
    }

    [Theory]
    [InlineData("""{"availabilityZones":[]}""", "availabilityZones must name at least one zone")]
    [InlineData("""{"availabilityZones":["a"],"subnets":[{"id":"s","availabilityZone":"b"}]}""", "subnet s is in unknown zone b")]
    [InlineData("""{"availabilityZones":["a"],"subnets":[{"id":"s","availabilityZone":"a"}],"nodeGroups":[{"name":"g","instanceTypes":["m5.large"],"minSize":1,"desiredSize":5,"maxSize":4,"subnets":["s"]}]}""", "node group g needs 0 <= minSize <= desiredSize <= maxSize")]
    [InlineData("""{"availabilityZones":["a","b"],"dbInstances":[{"id":"db","availabilityZone":"a","multiAz":true}]}""", "Multi-AZ DB instance db needs a secondaryAvailabilityZone")]
    [InlineData("""{"availabilityZones":["a"],"replicationGroups":[{"id":"r","members":[{"cacheClusterId":"r1","availabilityZone":"a"}]}]}""", "replication group r needs members in known zones and exactly one primary")]
    [InlineData("""{"availabilityZones":["a"],"nodeGroup":[]}""", "nodeGroup")]
    [InlineData("""{"availabilityZones":["a"],"zoneIds":{"b":"x-az1"}}""", "zoneIds names a zone that is not in availabilityZones")]
    [InlineData("""{"availabilityZones":["a","b"],"zoneIds":{"a":"x-az1","b":"x-az1"}}""", "zoneIds gives two zones one ID")]
    public void Parse_InvalidTopology_NamesTheProblem(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => Parse(json));

        Assert.StartsWith("test.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZoneId_AsTheTopologySaysOrAPlaceFurtherOn_NeverTheNamesOrder()
    {
        Assert.Equal(["euc1-az2", "euc1-az3", "euc1-az1"], Topology.Default().AvailabilityZones.Select(Topology.Default().ZoneId));
        var unmapped = Parse("""{"region":"us-east-1","availabilityZones":["us-east-1a","us-east-1b"]}""");

        Assert.Equal(["use1-az2", "use1-az1"], unmapped.AvailabilityZones.Select(unmapped.ZoneId));
        Assert.Equal("us-east-1b", unmapped.ZoneName("use1-az1"));
    }
}
