using DrSentinel.Clients.Aws;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Aws;

public sealed class RdsClientTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task DescribeDbInstances_DefaultRegion_ReturnsMultiAzPrimaryAndReadReplica()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var instances = await aws.Rds.DescribeDbInstancesAsync(null, CancellationToken.None);

        var primary = Assert.Single(instances, i => i.Id == "pyairtable-primary");
        Assert.Equal(("eu-central-1a", "eu-central-1b", true, "available"), (primary.AvailabilityZone, primary.SecondaryAvailabilityZone, primary.MultiAz, primary.Status));
        Assert.Equal(["pyairtable-read-replica"], primary.ReplicaIds);
        Assert.Equal(5432, primary.EndpointPort);
        var replica = Assert.Single(instances, i => i.Id == "pyairtable-read-replica");
        Assert.Equal(("eu-central-1b", "pyairtable-primary", false), (replica.AvailabilityZone, replica.ReplicaSourceId, replica.MultiAz));
    }

    [Fact]
    public async Task DescribeDbInstances_MoreThanOnePage_FollowsMarkerToTheLastPage()
    {
        var many = Enumerable.Range(1, 230).Select(i => new DbInstanceSpec { Id = $"db-{i:D3}", AvailabilityZone = "eu-central-1c" }).ToList();
        await using var sandbox = await Sandboxes.StartAsync(topology: Topology.Default() with { DbInstances = many });
        using var aws = new AwsClients(sandbox);

        var instances = await aws.Rds.DescribeDbInstancesAsync(null, CancellationToken.None);

        Assert.Equal(many.Select(d => d.Id), instances.Select(i => i.Id));
        Assert.Equal(3, aws.RequestBodies.Count(b => b.Contains("Action=DescribeDBInstances", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RebootDbInstance_WithForceFailover_MovesThePrimaryToTheStandbyZone()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var answer = await aws.Rds.RebootDbInstanceAsync("pyairtable-primary", forceFailover: true, CancellationToken.None);

        Assert.Equal("rebooting", answer.Status);
        var after = await Poll.UntilAsync(async () => (await aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", CancellationToken.None)).Single(),
            d => d.Status == "available", Deadline, "failover completes");
        Assert.Equal(("eu-central-1b", "eu-central-1a"), (after.AvailabilityZone, after.SecondaryAvailabilityZone));
        var events = await aws.Rds.DescribeEventsAsync("pyairtable-primary", "db-instance", TimeSpan.FromHours(1), CancellationToken.None);
        Assert.Contains(events, e => e.Message.Contains("failover completed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RebootDbInstance_WhileAFailoverRuns_IsRefusedWithInvalidDbInstanceState()
    {
        await using var sandbox = await Sandboxes.StartAsync(speed: 1);
        using var aws = new AwsClients(sandbox);
        await aws.Rds.RebootDbInstanceAsync("pyairtable-primary", forceFailover: true, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.Rds.RebootDbInstanceAsync("pyairtable-primary", true, CancellationToken.None));

        Assert.Equal(("InvalidDBInstanceState", 400), (refused.Code, refused.HttpStatus));
        Assert.NotNull(refused.RequestId);
    }

    [Fact]
    public async Task RebootDbInstance_WhenAwsFailsInternally_IsNotSentTwice()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox, maxAttempts: 4);
        sandbox.Region.Write(r => r.Faults.Add(new FaultRule("rds", "RebootDBInstance", "InternalFailure", 1, TimeSpan.Zero, Remaining: 1)));

        var failed = await Assert.ThrowsAsync<AwsServiceException>(() => aws.Rds.RebootDbInstanceAsync("pyairtable-primary", true, CancellationToken.None));

        Assert.Equal("InternalFailure", failed.Code);
        Assert.Equal(1, sandbox.State(r => r.ApiCalls["rds:RebootDBInstance"]));
    }

    [Fact]
    public async Task DescribeDbInstances_WhenThrottledTwice_RetriesAndSucceeds()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox, maxAttempts: 3);
        sandbox.Region.Write(r => r.Faults.Add(new FaultRule("rds", "DescribeDBInstances", "Throttling", 1, TimeSpan.Zero, Remaining: 2)));

        var instances = await aws.Rds.DescribeDbInstancesAsync(null, CancellationToken.None);

        Assert.Equal(2, instances.Count);
        Assert.Equal(3, sandbox.State(r => r.ApiCalls["rds:DescribeDBInstances"]));
    }

    [Fact]
    public async Task FailoverDbCluster_MultiAzCluster_MakesTheTargetTheWriter()
    {
        var cluster = new DbClusterSpec
        {
            Id = "orders",
            Members = [new("orders-1", "eu-central-1a", true), new("orders-2", "eu-central-1b", false), new("orders-3", "eu-central-1c", false)],
        };
        await using var sandbox = await Sandboxes.StartAsync(topology: Topology.Default() with { DbClusters = [cluster] });
        using var aws = new AwsClients(sandbox);

        var answer = await aws.Rds.FailoverDbClusterAsync("orders", "orders-3", CancellationToken.None);

        Assert.Equal("failing-over", answer.Status);
        var after = await Poll.UntilAsync(async () => (await aws.Rds.DescribeDbClustersAsync("orders", CancellationToken.None)).Single(),
            c => c.Status == "available", Deadline, "cluster failover completes");
        Assert.Equal("orders-3", Assert.Single(after.Members, m => m.IsWriter).InstanceId);
        Assert.True(after.MultiAz);
        Assert.Equal("orders", Assert.Single(await aws.Rds.DescribeDbInstancesAsync("orders-2", CancellationToken.None)).ClusterId);
    }

    /// <summary>
    /// botocore, FailoverDBCluster's TargetDBInstanceIdentifier: "an Aurora Replica or a Multi-AZ readable standby in the DB
    /// cluster". The model names no error for anything else; the sandbox answers InvalidParameterValue and moves nothing.
    /// </summary>
    [Theory]
    [InlineData("orders-1")] // the writer itself
    [InlineData("pyairtable-primary")] // not a member of the cluster
    public async Task FailoverDbCluster_TargetNotAReaderOfTheCluster_IsRefusedAndNothingMoves(string target)
    {
        var cluster = new DbClusterSpec { Id = "orders", Members = [new("orders-1", "eu-central-1a", true), new("orders-2", "eu-central-1b", false)] };
        await using var sandbox = await Sandboxes.StartAsync(topology: Topology.Default() with { DbClusters = [cluster] });
        using var aws = new AwsClients(sandbox);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.Rds.FailoverDbClusterAsync("orders", target, CancellationToken.None));

        Assert.Equal(("InvalidParameterValue", 400), (refused.Code, refused.HttpStatus));
        var after = Assert.Single(await aws.Rds.DescribeDbClustersAsync("orders", CancellationToken.None));
        Assert.Equal(("available", "orders-1"), (after.Status, Assert.Single(after.Members, m => m.IsWriter).InstanceId));
    }

    /// <summary>botocore, RebootDBInstance's ForceFailover: "You can't enable force failover if the instance isn't configured for Multi-AZ."</summary>
    [Fact]
    public async Task RebootDbInstance_ForceFailoverOfASingleAzInstance_IsRefusedAndNothingReboots()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.Rds.RebootDbInstanceAsync("pyairtable-read-replica", forceFailover: true, CancellationToken.None));

        Assert.Equal(("InvalidParameterCombination", 400), (refused.Code, refused.HttpStatus));
        Assert.Equal("available", Assert.Single(await aws.Rds.DescribeDbInstancesAsync("pyairtable-read-replica", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task FailoverDbCluster_UnknownCluster_IsRefusedWithDbClusterNotFound()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.Rds.FailoverDbClusterAsync("nope", null, CancellationToken.None));

        Assert.Equal(("DBClusterNotFoundFault", 404), (refused.Code, refused.HttpStatus));
    }

    [Fact]
    public async Task PromoteReadReplica_ReadReplica_BecomesAStandaloneInstance()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var answer = await aws.Rds.PromoteReadReplicaAsync("pyairtable-read-replica", CancellationToken.None);

        Assert.Equal("modifying", answer.Status);
        var after = await Poll.UntilAsync(async () => (await aws.Rds.DescribeDbInstancesAsync("pyairtable-read-replica", CancellationToken.None)).Single(),
            d => d.Status == "available", Deadline, "promotion completes");
        Assert.Null(after.ReplicaSourceId);
        Assert.Empty((await aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", CancellationToken.None)).Single().ReplicaIds);
    }

    [Fact]
    public async Task AnyCall_SignedWithTheWrongSecret_IsRefusedWithSignatureDoesNotMatch()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox, secretAccessKey: "not-the-secret");

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.Rds.DescribeDbInstancesAsync(null, CancellationToken.None));

        Assert.Equal(("SignatureDoesNotMatch", 403), (refused.Code, refused.HttpStatus));
    }
}
