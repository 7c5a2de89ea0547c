using System.Text.Json;
using System.Text.RegularExpressions;
using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Aws;

/// <summary>Third parties check both sides: boto3 (the official client) against the sandbox, botocore's models against the project's requests.</summary>
public sealed partial class FidelityTests
{
    private static readonly TimeSpan ScriptDeadline = TimeSpan.FromMinutes(3);

    [GeneratedRegex(@"^(\d+) passed, 0 failed$", RegexOptions.Multiline)]
    private static partial Regex AllPassed();

    [Fact]
    public async Task Boto3_CallsEverySandboxOperation_AndParsesTheAnswersWithItsOwnModels()
    {
        // Speed 100 keeps each failover long enough for the script to see it in progress.
        await using var sandbox = await Sandboxes.StartAsync(speed: 100);

        var result = await ExternalProcess.RunAsync(RepoPaths.DebianPython, [RepoPaths.Fidelity("boto3_fidelity.py"), sandbox.Endpoint.ToString()], ScriptDeadline);

        Assert.True(result.ExitCode == 0, result.ToString());
        var passed = AllPassed().Match(result.Output);
        Assert.True(passed.Success && int.Parse(passed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 30, result.ToString());
    }

    [Fact]
    public async Task ProjectClients_EveryRequestTheySend_IsValidAgainstTheBotocoreModels()
    {
        var cluster = new DbClusterSpec { Id = "orders", Members = [new("orders-1", "eu-central-1a", true), new("orders-2", "eu-central-1b", false)] };
        await using var sandbox = await Sandboxes.StartAsync(topology: Topology.Default() with { DbClusters = [cluster] });
        using var aws = new AwsClients(sandbox);
        var cancel = CancellationToken.None;
        var group = (await aws.AutoScaling.DescribeAutoScalingGroupsAsync(null, [new("tag:eks:nodegroup-name", ["primary"]), new("tag-key", ["eks:cluster-name"])], cancel)).Single().Name;

        await Answered(() => aws.Rds.DescribeDbInstancesAsync(null, cancel));
        await Answered(() => aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", cancel));
        await Answered(() => aws.Rds.DescribeDbClustersAsync(null, cancel));
        await Answered(() => aws.Rds.DescribeDbClustersAsync("orders", cancel));
        await Answered(() => aws.Rds.RebootDbInstanceAsync("pyairtable-primary", forceFailover: true, cancel));
        await Answered(() => aws.Rds.FailoverDbClusterAsync("orders", "orders-2", cancel));
        await Answered(() => aws.Rds.PromoteReadReplicaAsync("pyairtable-read-replica", cancel));
        await Answered(() => aws.Rds.DescribeEventsAsync("pyairtable-primary", "db-instance", TimeSpan.FromHours(2), cancel));
        await Answered(() => aws.Rds.DescribeEventsAsync(null, null, TimeSpan.FromMinutes(30), cancel));
        var dbArn = (await aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", cancel))[0].Arn!;
        await Answered(() => aws.Rds.AddTagsToResourceAsync(dbArn, [new("drsentinel.io/failed-over", "eu-central-1a e@1 2026-11-25T03:00:00.0000000+00:00"), new("b", "x")], cancel));
        Assert.Equal("x", (await aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", cancel))[0].Tags["b"]); // TagList read back
        await Answered(() => aws.Rds.RemoveTagsFromResourceAsync(dbArn, ["drsentinel.io/failed-over", "b"], cancel));
        await Answered(() => aws.Ec2.DescribeSubnetZonesAsync([], cancel));
        await Answered(() => aws.Ec2.DescribeSubnetZonesAsync(["subnet-0a1a000000000001", "subnet-0b1b000000000002"], cancel));
        await Answered(() => aws.ElastiCache.DescribeReplicationGroupsAsync(null, cancel));
        await Answered(() => aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", cancel));
        var cacheArn = (await aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", cancel))[0].Arn!;
        await Answered(() => aws.ElastiCache.AddTagsToResourceAsync(cacheArn, [new("drsentinel.io/failed-over", "eu-central-1a e@1 2026-11-25T03:00:00.0000000+00:00")], cancel));
        Assert.StartsWith("eu-central-1a", (await aws.ElastiCache.ListTagsForResourceAsync(cacheArn, cancel))["drsentinel.io/failed-over"], StringComparison.Ordinal);
        await Answered(() => aws.ElastiCache.RemoveTagsFromResourceAsync(cacheArn, ["drsentinel.io/failed-over"], cancel));
        await Answered(() => aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", cancel));
        await Poll.UntilAsync(() => sandbox.State(r => r.ReplicationGroups["pyairtable-redis"].Status) == "available", TimeSpan.FromSeconds(20), "failover done");
        await Answered(() => aws.ElastiCache.ModifyReplicationGroupAsync("pyairtable-redis",
            new ReplicationGroupChange(AutomaticFailoverEnabled: true, MultiAzEnabled: false), cancel));
        await Answered(() => aws.ElastiCache.ModifyReplicationGroupAsync("pyairtable-redis", new ReplicationGroupChange("pyairtable-redis-002"), cancel));
        await Answered(() => aws.AutoScaling.DescribeAutoScalingGroupsAsync([group], null, cancel));
        await Answered(() => aws.AutoScaling.SetDesiredCapacityAsync(group, 7, cancel));
        await Answered(() => aws.AutoScaling.UpdateAutoScalingGroupAsync(group, new(MinSize: 3, MaxSize: 12, DesiredCapacity: 7), cancel));
        await Answered(() => aws.AutoScaling.CreateOrUpdateTagsAsync(group, [new("drsentinel/a", "1", false), new("drsentinel/b", "", true)], cancel));
        await Answered(() => aws.AutoScaling.DeleteTagsAsync(group, ["drsentinel/a", "drsentinel/b"], cancel));
        await Answered(() => aws.AutoScaling.SuspendProcessesAsync(group, ["Launch", "AZRebalance"], cancel));
        await Answered(() => aws.AutoScaling.ResumeProcessesAsync(group, ["Launch", "AZRebalance"], cancel));
        await Answered(() => aws.AutoScaling.DescribeScalingActivitiesAsync(group, 20, cancel));
        await Answered(() => aws.AutoScaling.DescribeScalingActivitiesAsync(null, 100, cancel));

        var bodies = aws.RequestBodies.ToList();
        var actions = bodies.Select(b => Regex.Match(b, "(?:^|&)Action=([A-Za-z]+)").Groups[1].Value).ToHashSet();
        Assert.Equal(21, actions.Count); // every operation of IRdsClient, IElastiCacheClient, IAutoScalingClient and IEc2Client
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(bodies.Select(b => new { body = b })));
            var result = await ExternalProcess.RunAsync(RepoPaths.DebianPython, [RepoPaths.Fidelity("validate_query_requests.py"), file], ScriptDeadline);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Matches(AllPassed(), result.Output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task BotocoreModelValidator_SelfTest_JudgesKnownGoodAndBadRequests()
    {
        var result = await ExternalProcess.RunAsync(RepoPaths.DebianPython, [RepoPaths.Fidelity("validate_query_requests.py"), "--self-test"], ScriptDeadline);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>Runs one call and checks AWS answered it without error.</summary>
    private static async Task Answered(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (AwsServiceException e)
        {
            Assert.Fail($"the sandbox refused a request the project sends: {e.Message}");
        }
    }
}
