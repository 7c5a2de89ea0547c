using System.Net;
using System.Net.Http.Json;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox.Control;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Sandbox;

/// <summary>The two kinds of zone failure, driven through the control API and observed through the AWS APIs.</summary>
public sealed class ZoneFailureTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static async Task<RegionStateView> StateAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<RegionStateView>("sandbox/state"))!;

    private static async Task<DateTimeOffset> RenewTimeAsync(HttpClient http, string node)
    {
        var lease = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}");
        return lease.GetProperty("spec").GetProperty("renewTime").GetDateTimeOffset();
    }

    [Fact]
    public async Task HardFailure_StopsTheZonesKubeletsRenewingTheirNodeLeases_WhileTheOthersGoOn()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var http = new HttpClient { BaseAddress = sandbox.Endpoint };
        var (lost, alive) = sandbox.State(r => (r.Cluster.Nodes.First(n => n.AvailabilityZone == "eu-central-1a").Name,
            r.Cluster.Nodes.First(n => n.AvailabilityZone == "eu-central-1b").Name));
        var first = await RenewTimeAsync(http, alive);
        await Poll.UntilAsync(() => RenewTimeAsync(http, alive), t => t > first, Deadline, "leases renewed before the failure");

        (await http.PostAsync("sandbox/zones/eu-central-1a/fail?mode=hard", null)).EnsureSuccessStatusCode();
        var lastRenewal = await RenewTimeAsync(http, lost);
        var aliveBefore = await RenewTimeAsync(http, alive);

        await Poll.UntilAsync(() => RenewTimeAsync(http, alive), t => t >= aliveBefore.AddSeconds(30), Deadline, "three renewals of a live node");
        Assert.Equal(lastRenewal, await RenewTimeAsync(http, lost));
    }

    [Fact]
    public async Task HardFailure_ManagedServicesFailOverOutOfTheZone_AndItsNodesAndInstancesTurnUnhealthy()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        using var http = new HttpClient { BaseAddress = sandbox.Endpoint };

        (await http.PostAsync("sandbox/zones/eu-central-1a/fail?mode=hard", null)).EnsureSuccessStatusCode();

        var primary = await Poll.UntilAsync(async () => (await aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", CancellationToken.None)).Single(),
            d => d.Status == "available" && d.AvailabilityZone == "eu-central-1b", Deadline, "RDS fails over to eu-central-1b by itself");
        Assert.Equal("eu-central-1a", primary.SecondaryAvailabilityZone);
        var redis = await Poll.UntilAsync(async () => (await aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None)).Single(),
            g => g.Status == "available" && g.NodeGroups[0].Members.Single(m => m.CurrentRole == "primary").AvailabilityZone != "eu-central-1a",
            Deadline, "ElastiCache promotes a replica outside eu-central-1a by itself");
        Assert.Single(redis.NodeGroups[0].Members, m => m.CurrentRole == "primary");
        var zone = await Poll.UntilAsync(() => StateAsync(http), s => s.Zones.Single(z => z.Name == "eu-central-1a").NodesNotReady == 4,
            Deadline, "the zone's four nodes go NotReady");
        Assert.Equal(0, zone.Zones.Single(z => z.Name == "eu-central-1a").NodesReady);
        var groups = await aws.AutoScaling.DescribeAutoScalingGroupsAsync(null, null, CancellationToken.None);
        Assert.All(groups.SelectMany(g => g.Instances), i => Assert.Equal(i.AvailabilityZone == "eu-central-1a" ? "Unhealthy" : "Healthy", i.HealthStatus));
    }

    [Fact]
    public async Task GrayFailure_ControlPlaneSeesNothingWrong_ButTheZoneIsUnreachableFromTheCluster()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        using var http = new HttpClient { BaseAddress = sandbox.Endpoint };

        var failedAt = sandbox.Region.Now;
        var answer = await http.PostAsync("sandbox/zones/eu-central-1a/fail?mode=gray", null);
        // Five region minutes: long enough for every automatic reaction to a hard failure to have happened.
        await Poll.UntilAsync(() => sandbox.Region.Now - failedAt > TimeSpan.FromMinutes(5), Deadline, "five region minutes pass");

        var zone = (await answer.Content.ReadFromJsonAsync<RegionStateView.ZoneView>())!;
        Assert.Equal(("gray", false), (zone.Failure, zone.ReachableFromCluster));
        var primary = (await aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", CancellationToken.None)).Single();
        Assert.Equal(("available", "eu-central-1a"), (primary.Status, primary.AvailabilityZone));
        var redis = (await aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None)).Single();
        Assert.Equal("eu-central-1a", redis.NodeGroups[0].Members.Single(m => m.CurrentRole == "primary").AvailabilityZone);
        var state = await StateAsync(http);
        Assert.Equal(4, state.Zones.Single(z => z.Name == "eu-central-1a").NodesReady);
    }

    [Fact]
    public async Task Recover_AfterHardFailure_NodesAndInstancesComeBack()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var http = new HttpClient { BaseAddress = sandbox.Endpoint };
        (await http.PostAsync("sandbox/zones/eu-central-1c/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => StateAsync(http), s => s.Zones.Single(z => z.Name == "eu-central-1c").NodesNotReady == 1, Deadline, "1c down");

        (await http.PostAsync("sandbox/zones/eu-central-1c/recover", null)).EnsureSuccessStatusCode();

        var state = await Poll.UntilAsync(() => StateAsync(http), s => s.Zones.Single(z => z.Name == "eu-central-1c").NodesReady == 1, Deadline, "1c back");
        Assert.Equal(("none", true), (state.Zones.Single(z => z.Name == "eu-central-1c").Failure, state.Zones.Single(z => z.Name == "eu-central-1c").ReachableFromCluster));
        Assert.All(state.AutoScalingGroups.SelectMany(g => g.Instances), i => Assert.Equal("Healthy", i.Health));
    }

    [Fact]
    public async Task ScaleIn_TerminatesInstancesAndTheirNodesLeaveTheCluster()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        var group = sandbox.State(r => r.ScalingGroups.Values.Single(g => g.NodeGroup == "primary").Name);

        await aws.AutoScaling.SetDesiredCapacityAsync(group, 4, CancellationToken.None);

        await Poll.UntilAsync(() => sandbox.State(r => r.Cluster.Nodes.Count(n => n.NodeGroup == "primary")) == 4, Deadline, "two primary nodes leave");
        var zones = sandbox.State(r => r.Cluster.Nodes.Where(n => n.NodeGroup == "primary").GroupBy(n => n.AvailabilityZone).ToDictionary(g => g.Key, g => g.Count()));
        Assert.Equal(new Dictionary<string, int> { ["eu-central-1a"] = 2, ["eu-central-1b"] = 2 }, zones);
    }

    [Theory]
    [InlineData("sandbox/zones/eu-central-1z/fail", HttpStatusCode.NotFound)]
    [InlineData("sandbox/zones/eu-central-1a/fail?mode=lukewarm", HttpStatusCode.BadRequest)]
    [InlineData("sandbox/zones/eu-central-1z/recover", HttpStatusCode.NotFound)]
    public async Task ControlApi_BadRequest_IsRefusedAndChangesNothing(string path, HttpStatusCode expected)
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var http = new HttpClient { BaseAddress = sandbox.Endpoint };

        var answer = await http.PostAsync(path, null);

        Assert.Equal(expected, answer.StatusCode);
        Assert.All((await StateAsync(http)).Zones, z => Assert.Equal("none", z.Failure));
    }

    [Fact]
    public async Task InjectedLatency_DelaysTheAnswer()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        using var aws = new AwsClients(sandbox);
        using var http = new HttpClient { BaseAddress = sandbox.Endpoint };
        (await http.PostAsJsonAsync("sandbox/faults", new { service = "elasticache", operation = "*", latencyMs = 300, count = 1 })).EnsureSuccessStatusCode();

        var timer = System.Diagnostics.Stopwatch.StartNew();
        await aws.ElastiCache.DescribeReplicationGroupsAsync(null, CancellationToken.None);

        // Timers may fire a millisecond early; without the fault the answer takes a few milliseconds.
        Assert.True(timer.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {timer.ElapsedMilliseconds} ms");
        Assert.Empty(sandbox.State(r => r.Faults));
    }
}
