using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// A zone lost while the healthy zones run short of EC2 capacity (what AWS's "AZ Availability: Power Interruption" FIS
/// scenario injects): launches fail in the sandbox with EC2's own message, DrSentinel notices that the capacity it asked
/// for has not arrived, says so with AWS's reason, moves it where there is room, and the restore puts everything back.
/// </summary>
[LongRunning(40)]
public sealed class CapacityShortfallTests : IAsyncLifetime
{
    private const string Lost = "eu-central-1a";
    private const string NoCapacity = "eu-central-1b";
    private const string Other = "eu-central-1c";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private SandboxServer _sandbox = null!;
    private HttpClient _control = null!;
    private DrSentinelHost? _host;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(topology: Webhooks.PerZoneTopology(perZone: 3, maxPerZone: 6));
        _control = new HttpClient { BaseAddress = _sandbox.Endpoint };
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        _control.Dispose();
        await _sandbox.DisposeAsync();
    }

    private async Task PostAsync(string path) => (await _control.PostAsync(path, null)).EnsureSuccessStatusCode();

    private string GroupIn(string zone) => _sandbox.State(r => r.ScalingGroups.Values.Single(g => g.SubnetIds.All(s => r.SubnetZones[s] == zone)).Name);

    private int Desired(string zone) => _sandbox.State(r => r.ScalingGroups[GroupIn(zone)].DesiredCapacity);

    private int InService(string zone) => _sandbox.State(r => r.Instances.Values.Count(i => i.GroupName == GroupIn(zone) && i.Lifecycle == DrSentinel.Sandbox.Region.InstanceLifecycle.InService));

    private int Events(string reason, string message) => _sandbox.State(r => r.KubernetesEvents.Count(e => (string?)e["reason"] == reason
        && ((string?)e["message"] ?? "").Contains(message, StringComparison.Ordinal)));

    /// <summary>DrSentinel live on the per-zone groups, capacity overdue after 2 s (instances boot in 60 ms of wall clock here).</summary>
    private async Task<DrSentinelHost> EvacuateAsync()
    {
        _host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), false, "workers"), "--Actions:CapacityArrivalWithin=00:00:02"]);
        await PostAsync($"sandbox/zones/{Lost}/fail?mode=hard");
        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Lost), ("status", "unavailable")) == 1, Deadline, "zone unavailable in DrSentinel");
        using var response = await Webhooks.PostAsync(_host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Lost)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return _host;
    }

    private async Task RestoreAsync(DrSentinelHost host, string before)
    {
        await PostAsync($"sandbox/zones/{Lost}/recover");
        foreach (var zone in new[] { NoCapacity, Other }) await PostAsync($"sandbox/zones/{zone}/capacity/restore");
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Lost), ("status", "healthy")) == 1, Deadline, "zone healthy in DrSentinel");
        using (var resolved = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Lost, firing: false))))
            Assert.Equal(HttpStatusCode.Accepted, resolved.StatusCode);
        await Poll.UntilAsync(() => Webhooks.ChangeableState(_sandbox) == before, Deadline, "every group, node and ledger as before the evacuation");
    }

    [Fact]
    public async Task NoCapacityInOneHealthyZone_TheMissingInstancesMoveToTheOther_NamedWithAwsReason_AndTheRestorePutsAllBack()
    {
        var before = Webhooks.ChangeableState(_sandbox);
        var (desiredB, desiredC) = (Desired(NoCapacity), Desired(Other));
        await PostAsync($"sandbox/zones/{NoCapacity}/capacity/exhaust");
        var host = await EvacuateAsync();

        // All of the lost zone's 3 instances end up in the zone that has capacity; the group that could not launch is
        // brought back to what it has, so nothing is left asked for that AWS cannot give.
        await Poll.UntilAsync(() => Desired(NoCapacity) == desiredB && Desired(Other) == desiredC + 3 && InService(Other) == desiredC + 3,
            Deadline, $"{NoCapacity}'s missing instances moved to {Other} and in service there");
        Assert.Equal(desiredB, InService(NoCapacity));
        // Said with EC2's own sentence, on the group that was short.
        Assert.Equal(1, Events("ZoneEvacuationCapacityShort", $"We currently do not have sufficient m5.large capacity in the Availability Zone you requested ({NoCapacity})"));
        var incidents = await Webhooks.IncidentsAsync(host);
        var id = incidents.EnumerateArray().Single().GetProperty("id").GetString()!;
        var timeline = (await Webhooks.IncidentsAsync(host, id)).GetProperty("timeline").EnumerateArray().ToList();
        Assert.Contains(timeline, e => e.GetProperty("kind").GetString() == "CapacityShort"
            && e.GetProperty("text").GetString()!.Contains("do not have sufficient m5.large capacity", StringComparison.Ordinal));
        // Moved, it is no longer short: its series goes at the follower's next look.
        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_capacity_shortfall_instances", ("autoscaling_group", GroupIn(NoCapacity))) is null,
            Deadline, "no shortfall series once the capacity is moved");
        Assert.Equal(2, samples.Value("drsentinel_actions_total", ("action", "update-ledger"), ("outcome", "success"))); // the short group's and the target's

        await RestoreAsync(host, before);
    }

    [Fact]
    public async Task NoCapacityInEitherHealthyZone_TheShortfallIsExportedPerGroupAndZone_NothingIsMovedIntoAZoneWithout()
    {
        var before = Webhooks.ChangeableState(_sandbox);
        await PostAsync($"sandbox/zones/{NoCapacity}/capacity/exhaust?instanceType=m5.large");
        await PostAsync($"sandbox/zones/{Other}/capacity/exhaust");
        var host = await EvacuateAsync();
        await Poll.UntilAsync(() => Desired(NoCapacity) + Desired(Other) == 6 + 3, Deadline, "the evacuation raised both healthy zones' groups");
        var raised = (Desired(NoCapacity), Desired(Other));

        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_capacity_shortfall_instances", ("autoscaling_group", GroupIn(NoCapacity))) is not null
                && s.Value("drsentinel_capacity_shortfall_instances", ("autoscaling_group", GroupIn(Other))) is not null,
            Deadline, "a shortfall series for each group that could not launch");

        Assert.Equal(raised.Item1 - 3, samples.Value("drsentinel_capacity_shortfall_instances", ("autoscaling_group", GroupIn(NoCapacity)), ("az", NoCapacity), ("nodegroup", "workers")));
        Assert.Equal(raised.Item2 - 3, samples.Value("drsentinel_capacity_shortfall_instances", ("autoscaling_group", GroupIn(Other)), ("az", Other)));
        // Nowhere to move it: every healthy zone refused. The groups stay as the evacuation left them.
        Assert.Equal(raised, (Desired(NoCapacity), Desired(Other)));
        Assert.Null(samples.Value("drsentinel_actions_total", ("action", "update-ledger"), ("outcome", "success")));
        Assert.Equal(1, Events("ZoneEvacuationCapacityShort", $"capacity in the Availability Zone you requested ({Other})"));

        await RestoreAsync(host, before);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_capacity_shortfall_instances", ("autoscaling_group", GroupIn(Other))) is null,
            Deadline, "no shortfall series once the zone is restored");
    }
}
