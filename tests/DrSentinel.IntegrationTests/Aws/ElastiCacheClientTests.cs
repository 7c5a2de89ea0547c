using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Aws;

public sealed class ElastiCacheClientTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static async Task<ReplicationGroupDescription> WhenAvailableAsync(AwsClients aws) =>
        await Poll.UntilAsync(async () => (await aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None)).Single(),
            g => g.Status == "available", Deadline, "replication group available");

    /// <summary>
    /// botocore: "If the cluster is not in the available state, ListTagsForResource returns an error" — which is exactly
    /// during a failover. The inventory keeps the tags it last read (DrSentinel's ledger among them) and its refresh succeeds.
    /// </summary>
    [Fact]
    public async Task ListTagsForResource_WhileTheGroupFailsOver_IsRefused_AndTheInventoryKeepsTheTagsItLastRead()
    {
        await using var sandbox = await Sandboxes.StartAsync(speed: 1);
        using var aws = new AwsClients(sandbox);
        var group = Assert.Single(await aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None));
        await aws.ElastiCache.AddTagsToResourceAsync(group.Arn!, [new("drsentinel.io/failover", "ledger")], CancellationToken.None);
        var source = new DrSentinel.Inventory.Aws.ElastiCacheSource(aws.ElastiCache,
            Microsoft.Extensions.Options.Options.Create(new DrSentinel.Inventory.InventoryOptions()));
        var before = (await source.RefreshAsync(new DrSentinel.Inventory.InventorySnapshot(), CancellationToken.None))(new DrSentinel.Inventory.InventorySnapshot());

        await aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.ElastiCache.ListTagsForResourceAsync(group.Arn!, CancellationToken.None));
        Assert.Equal(("InvalidReplicationGroupState", 400), (refused.Code, refused.HttpStatus));
        var during = (await source.RefreshAsync(before, CancellationToken.None))(before);
        var state = Assert.Single(during.ReplicationGroups);
        Assert.Equal("modifying", state.Status);
        Assert.Equal("ledger", state.Tags["drsentinel.io/failover"]);
    }

    [Fact]
    public async Task DescribeReplicationGroups_DefaultRegion_ReturnsPrimaryAndReplicasWithZones()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var group = Assert.Single(await aws.ElastiCache.DescribeReplicationGroupsAsync(null, CancellationToken.None));

        Assert.Equal(("available", "enabled", "enabled", false), (group.Status, group.AutomaticFailover, group.MultiAz, group.ClusterEnabled));
        var members = Assert.Single(group.NodeGroups).Members;
        Assert.Equal(
            [("pyairtable-redis-001", "eu-central-1a", "primary"), ("pyairtable-redis-002", "eu-central-1b", "replica"), ("pyairtable-redis-003", "eu-central-1c", "replica")],
            members.Select(m => (m.CacheClusterId, m.AvailabilityZone, m.CurrentRole)));
    }

    [Fact]
    public async Task TestFailover_AvailableGroup_PromotesAReplicaInAnotherZone()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var answer = await aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", CancellationToken.None);

        Assert.Equal("modifying", answer.Status);
        var primary = (await WhenAvailableAsync(aws)).NodeGroups[0].Members.Single(m => m.CurrentRole == "primary");
        Assert.NotEqual("eu-central-1a", primary.AvailabilityZone);
    }

    [Fact]
    public async Task TestFailover_WhileModifying_IsRefusedWithInvalidReplicationGroupState()
    {
        await using var sandbox = await Sandboxes.StartAsync(speed: 1);
        using var aws = new AwsClients(sandbox);
        await aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", CancellationToken.None));

        Assert.Equal("InvalidReplicationGroupState", refused.Code);
    }

    [Fact]
    public async Task TestFailover_SixteenthInADay_IsRefusedWithApiCallRateForCustomerExceeded()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        for (var i = 0; i < SandboxRegion.TestFailoverLimitPerDay; i++)
        {
            await aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", CancellationToken.None);
            await WhenAvailableAsync(aws);
        }

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", CancellationToken.None));

        Assert.Equal("APICallRateForCustomerExceeded", refused.Code);
    }

    [Fact]
    public async Task ModifyReplicationGroup_DisableMultiAz_IsReflectedByDescribe()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        await aws.ElastiCache.ModifyReplicationGroupAsync("pyairtable-redis", new ReplicationGroupChange(MultiAzEnabled: false), CancellationToken.None);

        var group = await WhenAvailableAsync(aws);
        Assert.Equal(("disabled", "enabled"), (group.MultiAz, group.AutomaticFailover));
    }

    [Fact]
    public async Task ModifyReplicationGroup_MultiAzWithoutAutomaticFailover_IsRefusedAndChangesNothing()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.ElastiCache.ModifyReplicationGroupAsync("pyairtable-redis",
            new ReplicationGroupChange(AutomaticFailoverEnabled: false, MultiAzEnabled: true), CancellationToken.None));

        Assert.Equal("InvalidParameterCombination", refused.Code);
        var group = await WhenAvailableAsync(aws);
        Assert.Equal(("enabled", "enabled"), (group.MultiAz, group.AutomaticFailover));
    }

    [Fact]
    public async Task ModifyReplicationGroup_PrimaryClusterIdAfterMultiAzWasTurnedOff_MovesThePrimary()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        // AWS promotes a named replica only once an earlier modification has turned Multi-AZ off.
        await aws.ElastiCache.ModifyReplicationGroupAsync("pyairtable-redis", new ReplicationGroupChange(MultiAzEnabled: false), CancellationToken.None);

        await aws.ElastiCache.ModifyReplicationGroupAsync("pyairtable-redis", new ReplicationGroupChange(PrimaryClusterId: "pyairtable-redis-003"), CancellationToken.None);

        var group = await Poll.UntilAsync(async () => (await aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None)).Single(),
            g => g.Status == "available" && g.NodeGroups[0].Members.Single(m => m.CurrentRole == "primary").CacheClusterId == "pyairtable-redis-003",
            Deadline, "pyairtable-redis-003 becomes primary");
        Assert.Equal("eu-central-1c", group.NodeGroups[0].Members.Single(m => m.CurrentRole == "primary").AvailabilityZone);
    }
}
