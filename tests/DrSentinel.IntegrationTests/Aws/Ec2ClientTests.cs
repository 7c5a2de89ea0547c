using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Aws;

public sealed class Ec2ClientTests
{
    [Fact]
    public async Task DescribeSubnetZones_MapsEverySubnetToItsZone()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var zones = await aws.Ec2.DescribeSubnetZonesAsync([], CancellationToken.None);

        Assert.Equal(new Dictionary<string, string>
        {
            ["subnet-0a1a000000000001"] = "eu-central-1a",
            ["subnet-0b1b000000000002"] = "eu-central-1b",
            ["subnet-0c1c000000000003"] = "eu-central-1c",
        }, zones);
    }

    [Fact]
    public async Task DescribeSubnetZones_UnknownSubnet_IsRefusedWithInvalidSubnetIdNotFound()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var refused = await Assert.ThrowsAsync<DrSentinel.Clients.Aws.AwsServiceException>(() => aws.Ec2.DescribeSubnetZonesAsync(["subnet-missing"], CancellationToken.None));

        Assert.Equal("InvalidSubnetID.NotFound", refused.Code);
    }

    [Fact]
    public async Task DescribeZoneIds_GivesTheAccountsOwnMap_NotTheNamesOrder()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var ids = await aws.Ec2.DescribeZoneIdsAsync(CancellationToken.None);

        Assert.Equal(new Dictionary<string, string>
        {
            ["eu-central-1a"] = "euc1-az2",
            ["eu-central-1b"] = "euc1-az3",
            ["eu-central-1c"] = "euc1-az1",
        }, ids);
    }
}
