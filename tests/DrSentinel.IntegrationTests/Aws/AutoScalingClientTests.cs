using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.AutoScaling;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Aws;

public sealed class AutoScalingClientTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly ScalingGroupFilter ClusterAutoscalerTag = new("tag-key", ["k8s.io/cluster-autoscaler/enabled"]);

    private static async Task<ScalingGroupDescription> GroupAsync(AwsClients aws, string nodeGroup) =>
        (await aws.AutoScaling.DescribeAutoScalingGroupsAsync(null, [new("tag:eks:nodegroup-name", [nodeGroup])], CancellationToken.None)).Single();

    [Fact]
    public async Task DescribeAutoScalingGroups_ByClusterAutoscalerTag_ReturnsBothNodeGroupsWithInstancesPerZone()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);

        var groups = await aws.AutoScaling.DescribeAutoScalingGroupsAsync(null, [ClusterAutoscalerTag], CancellationToken.None);

        Assert.Equal(2, groups.Count);
        var primary = Assert.Single(groups, g => g.Tags.Any(t => t is { Key: "eks:nodegroup-name", Value: "primary" }));
        Assert.Equal((3, 20, 6), (primary.MinSize, primary.MaxSize, primary.DesiredCapacity));
        Assert.Equal(["eu-central-1a", "eu-central-1b"], primary.AvailabilityZones);
        Assert.Equal("subnet-0a1a000000000001,subnet-0b1b000000000002", primary.VpcZoneIdentifier);
        Assert.Equal(3, primary.Instances.Count(i => i.AvailabilityZone == "eu-central-1a"));
        Assert.All(primary.Instances, i => Assert.Equal(("InService", "Healthy"), (i.LifecycleState, i.HealthStatus)));
        var critical = Assert.Single(groups, g => g.Tags.Any(t => t is { Key: "eks:nodegroup-name", Value: "critical" }));
        Assert.Equal(["eu-central-1a", "eu-central-1b", "eu-central-1c"], critical.Instances.Select(i => i.AvailabilityZone).Order());
    }

    [Fact]
    public async Task DescribeAutoScalingGroups_OneGroupPerZoneLayout_FollowsNextTokenAndKeepsEachGroupInItsZone()
    {
        var nodeGroups = Enumerable.Range(1, 40).Select(i => new NodeGroupSpec
        {
            Name = $"pool-{i:D2}", InstanceTypes = ["m5.large"], MinSize = 0, MaxSize = 3, DesiredSize = 3, AutoScalingGroupPerAz = true,
            Subnets = ["subnet-0a1a000000000001", "subnet-0b1b000000000002", "subnet-0c1c000000000003"],
        }).ToList();
        await using var sandbox = await Sandboxes.StartAsync(topology: Topology.Default() with { NodeGroups = nodeGroups });
        using var aws = new AwsClients(sandbox);

        var groups = await aws.AutoScaling.DescribeAutoScalingGroupsAsync(null, [ClusterAutoscalerTag], CancellationToken.None);

        Assert.Equal(120, groups.Count);
        Assert.All(groups, g =>
        {
            var zone = Assert.Single(g.AvailabilityZones);
            Assert.Equal(zone, Assert.Single(g.Instances).AvailabilityZone);
        });
        Assert.Equal(2, aws.RequestBodies.Count(b => b.Contains("Action=DescribeAutoScalingGroups", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task NoCapacityInAZone_ASpanningGroupLaunchesInItsOtherZone_AnotherIsLeftShortWithEc2sMessage_UntilCapacityReturns()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        using var control = new HttpClient { BaseAddress = sandbox.Endpoint };
        (await control.PostAsync("sandbox/zones/eu-central-1b/capacity/exhaust", null)).EnsureSuccessStatusCode();
        var primary = await GroupAsync(aws, "primary");
        var critical = await GroupAsync(aws, "critical");

        // primary spans 1a and 1b: AWS tries its other zone. critical, confined to 1b here, cannot launch anywhere.
        await aws.AutoScaling.SetDesiredCapacityAsync(primary.Name, 8, CancellationToken.None);
        await aws.AutoScaling.UpdateAutoScalingGroupAsync(critical.Name, new ScalingGroupBounds(DesiredCapacity: 5, VpcZoneIdentifier: "subnet-0b1b000000000002"), CancellationToken.None);

        var launched = await Poll.UntilAsync(() => GroupAsync(aws, "primary"), g => g.Instances.Count(i => i.LifecycleState == "InService") == 8,
            Deadline, "primary's two new instances in service");
        Assert.Equal(5, launched.Instances.Count(i => i.AvailabilityZone == "eu-central-1a"));
        var activities = await aws.AutoScaling.DescribeScalingActivitiesAsync(critical.Name, 20, CancellationToken.None);
        var failed = activities.Where(a => a.StatusCode == "Failed").ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, a =>
        {
            Assert.StartsWith("We currently do not have sufficient c5.large capacity in the Availability Zone you requested (eu-central-1b).", a.StatusMessage, StringComparison.Ordinal);
            Assert.Contains("\"Availability Zone\":\"eu-central-1b\"", a.Details, StringComparison.Ordinal);
            Assert.StartsWith("Launching a new EC2 instance.  Status Reason: We currently do not have sufficient", a.Description, StringComparison.Ordinal);
        });
        var shortGroup = await GroupAsync(aws, "critical");
        Assert.Equal(5, shortGroup.DesiredCapacity);
        Assert.Equal(3, shortGroup.Instances.Count(i => i.LifecycleState is "InService" or "Pending")); // desired stays above what runs

        (await control.PostAsync("sandbox/zones/eu-central-1b/capacity/restore", null)).EnsureSuccessStatusCode();
        var filled = await Poll.UntilAsync(() => GroupAsync(aws, "critical"), g => g.Instances.Count(i => i.LifecycleState == "InService") == 5,
            Deadline, "critical's five instances in service once EC2 has capacity again");
        Assert.Equal(3, filled.Instances.Count(i => i.AvailabilityZone == "eu-central-1b"));
    }

    /// <summary>
    /// The user guide: a change of the group's zones sets off rebalancing, new instances first, then the old ones go; with
    /// AZRebalance suspended (what DrSentinel does before it drops a lost zone's subnets) nothing that runs moves.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpdateAutoScalingGroup_DroppingAZonesSubnet_MovesItsInstancesOnlyWhenAzRebalanceRuns(bool suspended)
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        var critical = await GroupAsync(aws, "critical");
        if (suspended) await aws.AutoScaling.SuspendProcessesAsync(critical.Name, ["AZRebalance"], CancellationToken.None);
        var inA = critical.Instances.Where(i => i.AvailabilityZone == "eu-central-1a").Select(i => i.InstanceId).ToList();

        var changedAt = sandbox.State(r => r.Now);
        await aws.AutoScaling.UpdateAutoScalingGroupAsync(critical.Name,
            new ScalingGroupBounds(VpcZoneIdentifier: "subnet-0b1b000000000002,subnet-0c1c000000000003"), CancellationToken.None);

        if (suspended)
        {
            // Five minutes of region time: a rebalance would have launched and terminated (a boot and a shutdown) by then.
            await Poll.UntilAsync(() => sandbox.State(r => r.Now) > changedAt + TimeSpan.FromMinutes(5), Deadline, "five minutes of region time");
            var settled = await GroupAsync(aws, "critical");
            Assert.Equal(inA, settled.Instances.Where(i => i.AvailabilityZone == "eu-central-1a" && i.LifecycleState == "InService").Select(i => i.InstanceId));
            Assert.Equal(3, settled.Instances.Count);
            return;
        }
        var moved = await Poll.UntilAsync(() => GroupAsync(aws, "critical"),
            g => g.Instances.All(i => i.AvailabilityZone != "eu-central-1a") && g.Instances.Count(i => i.LifecycleState == "InService") == 3,
            Deadline, "the instance in eu-central-1a replaced in the group's other zones");
        Assert.Equal(3, moved.DesiredCapacity);
        var activities = await aws.AutoScaling.DescribeScalingActivitiesAsync(critical.Name, 20, CancellationToken.None);
        var launched = activities.Single(a => a.Cause.Contains("rebalancing", StringComparison.Ordinal) && a.Description.StartsWith("Launching", StringComparison.Ordinal));
        var terminated = activities.Single(a => a.Cause.Contains("rebalancing", StringComparison.Ordinal) && a.Description.StartsWith("Terminating", StringComparison.Ordinal));
        Assert.True(launched.StartTime < terminated.StartTime, "the new instance is launched before the old one goes");
        Assert.Contains(inA.Single(), terminated.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetDesiredCapacity_AboveMaxSize_IsRefusedWithValidationErrorAndChangesNothing()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        var group = await GroupAsync(aws, "critical");

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => aws.AutoScaling.SetDesiredCapacityAsync(group.Name, 7, CancellationToken.None));

        Assert.Equal("ValidationError", refused.Code);
        Assert.Equal(3, (await GroupAsync(aws, "critical")).DesiredCapacity);
    }

    [Fact]
    public async Task SetDesiredCapacity_Increase_LaunchesInstancesThatJoinTheClusterOnlyInTheGroupsZones()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        var group = await GroupAsync(aws, "primary");

        await aws.AutoScaling.SetDesiredCapacityAsync(group.Name, 10, CancellationToken.None);

        var after = await Poll.UntilAsync(() => GroupAsync(aws, "primary"), g => g.Instances.Count(i => i.LifecycleState == "InService") == 10,
            Deadline, "ten instances in service");
        Assert.DoesNotContain(after.Instances, i => i.AvailabilityZone == "eu-central-1c");
        await Poll.UntilAsync(() => sandbox.State(r => r.Cluster.Nodes.Count(n => n.NodeGroup == "primary")) == 10, Deadline, "ten primary nodes");
        var activities = await aws.AutoScaling.DescribeScalingActivitiesAsync(group.Name, 10, CancellationToken.None);
        Assert.Equal(4, activities.Count(a => a.Description.StartsWith("Launching", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UpdateAutoScalingGroup_NewBounds_AreReflectedAndMinAboveMaxIsRefused()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        var group = await GroupAsync(aws, "critical");

        await aws.AutoScaling.UpdateAutoScalingGroupAsync(group.Name, new ScalingGroupBounds(MinSize: 3, MaxSize: 9, DesiredCapacity: 4), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.AutoScaling.UpdateAutoScalingGroupAsync(group.Name, new ScalingGroupBounds(MinSize: 10), CancellationToken.None));

        Assert.Equal("ValidationError", refused.Code);
        var after = await GroupAsync(aws, "critical");
        Assert.Equal((3, 9, 4), (after.MinSize, after.MaxSize, after.DesiredCapacity));
    }

    [Fact]
    public async Task CreateOrUpdateTagsThenDeleteTags_TagComesAndGoes()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        var group = await GroupAsync(aws, "primary");

        await aws.AutoScaling.CreateOrUpdateTagsAsync(group.Name, [new("drsentinel/original-desired", "6", false)], CancellationToken.None);
        var tagged = await GroupAsync(aws, "primary");
        await aws.AutoScaling.DeleteTagsAsync(group.Name, ["drsentinel/original-desired"], CancellationToken.None);
        var untagged = await GroupAsync(aws, "primary");

        Assert.Contains(tagged.Tags, t => t is { Key: "drsentinel/original-desired", Value: "6", PropagateAtLaunch: false });
        Assert.DoesNotContain(untagged.Tags, t => t.Key == "drsentinel/original-desired");
    }

    [Fact]
    public async Task SuspendProcessesThenResumeProcesses_SuspendedProcessesComeAndGo()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        var group = await GroupAsync(aws, "primary");

        await aws.AutoScaling.SuspendProcessesAsync(group.Name, ["AZRebalance", "Launch"], CancellationToken.None);
        var suspended = await GroupAsync(aws, "primary");
        await aws.AutoScaling.SetDesiredCapacityAsync(group.Name, 8, CancellationToken.None);
        var whileSuspended = await GroupAsync(aws, "primary");
        await aws.AutoScaling.ResumeProcessesAsync(group.Name, ["AZRebalance", "Launch"], CancellationToken.None);
        var resumed = await GroupAsync(aws, "primary");

        Assert.Equal(["AZRebalance", "Launch"], suspended.SuspendedProcesses);
        Assert.Equal(6, whileSuspended.Instances.Count);
        Assert.Empty(resumed.SuspendedProcesses);
        Assert.Equal(8, resumed.Instances.Count);
    }
}
