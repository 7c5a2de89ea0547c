using System.Net;
using System.Net.Http.Json;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>The node-capacity playbook acting on the sandbox through the real APIs: once, under faults, across a restart.</summary>
[LongRunning(65)]
public sealed class EvacuationTests : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;
    private HttpClient _control = null!;
    private readonly List<DrSentinelHost> _hosts = [];

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync(topology: Webhooks.PerZoneTopology(perZone: 3, maxPerZone: 6));
        _control = new HttpClient { BaseAddress = _sandbox.Endpoint };
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts) await host.DisposeAsync();
        _control.Dispose();
        await _sandbox.DisposeAsync();
    }

    private async Task<DrSentinelHost> StartAsync(string state, bool dryRun = false, params string[] more)
    {
        var host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(state, dryRun, "workers"), .. more]);
        _hosts.Add(host);
        return host;
    }

    /// <summary>Fails the zone and waits until DrSentinel itself judges it unavailable, as it would before the alert fires.</summary>
    private async Task FailZoneAsync(DrSentinelHost host)
    {
        (await _control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, Deadline, "zone unavailable in DrSentinel");
    }

    private async Task RecoverZoneAsync(DrSentinelHost host)
    {
        (await _control.PostAsync($"sandbox/zones/{Zone}/recover", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "healthy")) == 1, Deadline, "zone healthy in DrSentinel");
    }

    /// <summary>The groups outside the zone, by name.</summary>
    private (string Name, int Desired, int Min)[] SiblingGroups() => _sandbox.State(r => r.ScalingGroups.Values
        .Where(g => !g.SubnetIds.Any(s => r.SubnetZones[s] == Zone)).OrderBy(g => g.Name, StringComparer.Ordinal)
        .Select(g => (g.Name, g.DesiredCapacity, g.MinSize)).ToArray());

    private (int Desired, int Min)[] Siblings() => [.. SiblingGroups().Select(g => (g.Desired, g.Min))];

    private int CordonedInZone() => _sandbox.State(r => r.Cluster.Nodes.Count(n => n.AvailabilityZone == Zone && n.Unschedulable));

    private int NodesInZone() => _sandbox.State(r => r.Cluster.Nodes.Count(n => n.AvailabilityZone == Zone));

    private Task EvacuatedAsync() => Poll.UntilAsync(() => Siblings().Sum(s => s.Desired) == 6 + 3 && CordonedInZone() == NodesInZone(),
        Deadline, "siblings raised by the zone's 3 instances and the zone cordoned");

    [Fact]
    public async Task ThousandConcurrentDuplicatesFromThreePeers_OneSetOfActions_ThenResolvedRestoresEverything()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        var before = Webhooks.ChangeableState(_sandbox);
        var siblingsBefore = Siblings();
        await FailZoneAsync(host);
        var zoneNodes = NodesInZone();

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };
        var answers = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            var body = Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone));
            body["receiver"] = $"peer-{i % 3}"; // three Alertmanager peers send the same alert
            using var response = await Webhooks.PostAsync(http, body);
            return response.StatusCode;
        }));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a));
        await EvacuatedAsync();
        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")) == 1,
            Deadline, "one plan carried out");
        Assert.Equal(1, samples.Value("drsentinel_webhook_alerts_total", ("status", "firing"), ("outcome", "accepted")));
        Assert.Equal(999, samples.Value("drsentinel_webhook_alerts_total", ("status", "firing"), ("outcome", "duplicate")));
        Assert.Equal(2, _sandbox.Calls("autoscaling:UpdateAutoScalingGroup"));
        Assert.Equal(2, _sandbox.Calls("autoscaling:CreateOrUpdateTags"));
        Assert.Equal(zoneNodes, _sandbox.Calls("kubernetes:patch-node"));
        // DrSentinel's own account of its Kubernetes calls matches the API server's.
        Assert.Equal(zoneNodes, samples.Value("drsentinel_api_calls_total", ("system", "kubernetes"), ("operation", "patch_node"), ("outcome", "success")));
        Assert.All(Siblings(), s => Assert.Equal(s.Desired, s.Min)); // cluster-autoscaler groups: MinSize raised with desired
        // The story in Kubernetes Events too: one on each cordoned node, one per group change (each written just after
        // its change, so awaited; one too many fails the wait as surely as one too few).
        int Events(string reason, string kind) => _sandbox.State(r => r.KubernetesEvents.Count(e => (string?)e["reason"] == reason
            && (string?)e["involvedObject"]!["kind"] == kind));
        await Poll.UntilAsync(() => Events("ZoneEvacuationCordon", "Node") == zoneNodes && Events("ZoneEvacuation", "AutoScalingGroup") == 4,
            Deadline, $"an Event on each of the {zoneNodes} cordoned nodes and on each of the 4 group changes");
        Assert.Equal(siblingsBefore.Sum(s => s.Desired) + 3, Siblings().Sum(s => s.Desired));

        await RecoverZoneAsync(host);
        using (var resolved = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, firing: false))))
            Assert.Equal(HttpStatusCode.Accepted, resolved.StatusCode);
        await Poll.UntilAsync(() => Webhooks.ChangeableState(_sandbox) == before, Deadline, "everything as it was before the evacuation");
    }

    [Fact]
    public async Task DryRun_PlansLogsAndCounts_MutatesNothing()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: true);
        await FailZoneAsync(host);
        var before = Webhooks.ChangeableState(_sandbox);

        using var response = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "dry-run")) == 2,
            Deadline, "the two sibling updates counted as dry-run");
        Assert.Equal(1, samples.Value("drsentinel_actions_total", ("action", "cordon"), ("outcome", "dry-run")));
        await host.LogShowsAsync("dry-run: would");
        foreach (var call in new[] { "autoscaling:UpdateAutoScalingGroup", "autoscaling:CreateOrUpdateTags", "autoscaling:SuspendProcesses", "kubernetes:patch-node" })
            Assert.Equal(0, _sandbox.Calls(call));
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
    }

    [Fact]
    public async Task ThrottlingAndServerErrorsOnTheMutatingCalls_RetriedAfterReadingAgain_StillOneEffect()
    {
        // Four failures can meet one group's update; attempts to spare, so that a slow machine's timeout is not a fifth.
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: false, "--Actions:MaxAttempts=8");
        var siblingsBefore = Siblings();
        await FailZoneAsync(host);
        foreach (var (operation, code) in new[] { ("UpdateAutoScalingGroup", "Throttling"), ("UpdateAutoScalingGroup", "InternalFailure"), ("CreateOrUpdateTags", "InternalFailure") })
            (await _control.PostAsJsonAsync("sandbox/faults", new { service = "autoscaling", operation, errorCode = code, probability = 1.0, count = 2 })).EnsureSuccessStatusCode();
        // Auto Scaling's own "not now": an activity in progress (400) and a pending update (ResourceContention, 500).
        foreach (var (operation, code) in new[] { ("UpdateAutoScalingGroup", "ScalingActivityInProgress"), ("CreateOrUpdateTags", "ResourceContention") })
            (await _control.PostAsJsonAsync("sandbox/faults", new { service = "autoscaling", operation, errorCode = code, probability = 1.0, count = 1 })).EnsureSuccessStatusCode();
        (await _control.PostAsJsonAsync("sandbox/faults", new { service = "autoscaling", operation = "UpdateAutoScalingGroup", latencyMs = 150, probability = 1.0, count = 2 })).EnsureSuccessStatusCode();

        using var response = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await EvacuatedAsync();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "success")) == 2, Deadline, "both updates done");
        Assert.Equal(siblingsBefore.Sum(s => s.Desired) + 3, Siblings().Sum(s => s.Desired));
        Assert.True(_sandbox.Calls("autoscaling:UpdateAutoScalingGroup") > 2, "the faults made DrSentinel retry");
    }

    [Fact]
    public async Task RestartInTheMiddleOfAPlan_NeitherRepeatsNorForgets()
    {
        var state = Webhooks.NewStateDirectory();
        var first = await StartAsync(state);
        var siblingsBefore = Siblings();
        await FailZoneAsync(first);
        var zoneNodes = NodesInZone();
        // Slow the group updates, so that the process can be killed between the first group's ledger and its update.
        (await _control.PostAsJsonAsync("sandbox/faults", new { service = "autoscaling", operation = "UpdateAutoScalingGroup", latencyMs = 300, probability = 1.0, count = 1 })).EnsureSuccessStatusCode();

        using (var response = await Webhooks.PostAsync(first.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Poll.UntilAsync(() => _sandbox.Calls("autoscaling:UpdateAutoScalingGroup") >= 1, Deadline, "the first group update in flight");
        await first.DisposeAsync(); // killed, mid-call
        Assert.Equal(siblingsBefore.Sum(s => s.Desired), Siblings().Sum(s => s.Desired));

        var second = await StartAsync(state);

        await EvacuatedAsync();
        await second.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")) == 1, Deadline, "the plan finished after the restart");
        await second.LogShowsAsync("queued again");
        Assert.Equal(siblingsBefore.Sum(s => s.Desired) + 3, Siblings().Sum(s => s.Desired));
        Assert.Equal(2, _sandbox.Calls("autoscaling:CreateOrUpdateTags")); // each group's ledger written once
        Assert.Equal(zoneNodes, _sandbox.Calls("kubernetes:patch-node")); // each node cordoned once
        // And the same alert delivered again is a duplicate, remembered across the restart.
        using var again = await Webhooks.PostAsync(second.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone)));
        Assert.Contains("\"duplicates\":1", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GroupChangedSinceTheLastRead_PlanFromTheSnapshotComesBackStale_ActsOnAFreshRead()
    {
        // Groups are read every ten minutes here, so the snapshot the first plan is made from misses the change below.
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: false, "--Inventory:AwsRefreshInterval=00:10:00");
        var sibling = SiblingGroups()[0].Name;
        _sandbox.Region.Write(r => r.SetDesiredCapacity(sibling, 4)); // someone scaled it by hand: 3 -> 4
        await FailZoneAsync(host);

        using var response = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Poll.UntilAsync(() => Siblings().Sum(s => s.Desired) == 6 + 1 + 3 && CordonedInZone() == NodesInZone(), Deadline,
            "siblings raised from what they are now, not from the snapshot");
        var samples = await host.ScrapeAsync();
        Assert.Equal(1, samples.Value("drsentinel_actions_total", ("action", "record-ledger"), ("outcome", "stale")));
        var original = _sandbox.State(r => r.ScalingGroups[sibling].Tags["drsentinel.io/original"].Value);
        Assert.Contains("desired=4;", original, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiringWhileTheZoneLooksHealthy_WaitsAndEvacuatesOnceItFails_ResolvedWhileImpaired_RestoresOnceItHeals()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: false, "--Actions:RecheckEvery=00:00:01");
        var before = Webhooks.ChangeableState(_sandbox);

        // The alert arrives while DrSentinel sees the zone healthy (it recovered for a moment, say): refused, not forgotten.
        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "refused")) == 1, Deadline, "refused at first");
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
        await FailZoneAsync(host);
        await EvacuatedAsync();

        // The resolution arrives while the zone still looks impaired: nothing restored until it heals, then everything.
        using (var resolved = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, firing: false))))
            Assert.Equal(HttpStatusCode.Accepted, resolved.StatusCode);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "restore"), ("verdict", "refused")) == 1, Deadline, "restore refused at first");
        Assert.Equal(NodesInZone(), CordonedInZone());
        await RecoverZoneAsync(host);
        await Poll.UntilAsync(() => Webhooks.ChangeableState(_sandbox) == before, Deadline, "everything as it was once the zone healed");
        var samples = await host.ScrapeAsync();
        Assert.Equal(1, samples.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")));
        Assert.Equal(1, samples.Value("drsentinel_plans_total", ("intent", "restore"), ("verdict", "act")));
        Assert.Equal(1, samples.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "refused"))); // said once, not per look
    }

    [Fact]
    public async Task FiringWhileTheZoneLooksHealthy_ThenResolved_StopsWaiting_ALaterFailureIsLeftToItsOwnAlert()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: false, "--Actions:RecheckEvery=00:00:01");
        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "refused")) == 1, Deadline, "refused at first");

        using (var resolved = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, firing: false))))
            Assert.Equal(HttpStatusCode.Accepted, resolved.StatusCode);
        await Poll.UntilAsync(() => host.Log.Contains("Stopped waiting to act on DrSentinelAzUnavailable", StringComparison.Ordinal), Deadline, "the wait ended by the resolution");
        var before = Webhooks.ChangeableState(_sandbox);
        await FailZoneAsync(host);

        // Nothing is left to look again: the entry was finished when the wait ended, so no later look can act.
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
        Assert.Null((await host.ScrapeAsync()).Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")));
    }

    [Fact]
    public async Task TwoEpisodesOfTheSameAlertWaiting_OnlyTheNewerLooksAgain_OneEvacuation()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: false, "--Actions:RecheckEvery=00:00:01");
        var earlier = Webhooks.Alert("DrSentinelAzUnavailable", Zone, startsAt: new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));
        var later = Webhooks.Alert("DrSentinelAzUnavailable", Zone, startsAt: new DateTimeOffset(2026, 11, 25, 3, 10, 0, TimeSpan.Zero));
        using (var first = await Webhooks.PostAsync(host.Http, Webhooks.Notification(earlier))) Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        using (var second = await Webhooks.PostAsync(host.Http, Webhooks.Notification(later))) Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);

        await Poll.UntilAsync(() => host.Log.Contains("Stopped waiting to act on DrSentinelAzUnavailable", StringComparison.Ordinal), Deadline,
            "the earlier episode's wait ended by the later one");
        await FailZoneAsync(host);

        await EvacuatedAsync();
        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")) == 1, Deadline, "one evacuation");
        Assert.Equal(2, samples.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "refused"))); // each episode said once
    }

    /// <summary>One whole incident of the zone: failed, evacuated for the alert, recovered, restored for its resolution.</summary>
    private async Task EvacuatedAndRestoredAsync(DrSentinelHost host)
    {
        var before = Webhooks.ChangeableState(_sandbox);
        await FailZoneAsync(host);
        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);
        await EvacuatedAsync();
        await RecoverZoneAsync(host);
        using (var resolved = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, firing: false))))
            Assert.Equal(HttpStatusCode.Accepted, resolved.StatusCode);
        await Poll.UntilAsync(() => Webhooks.ChangeableState(_sandbox) == before, Deadline, "the zone restored whole");
    }

    [Fact]
    public async Task ZoneRestoredThenAnotherZoneFailsWithinTheCooldown_TheOtherZoneIsEvacuatedWhole()
    {
        const string other = "eu-central-1b";
        var host = await StartAsync(Webhooks.NewStateDirectory());
        await EvacuatedAndRestoredAsync(host);

        // Minutes later (well within the 15-minute cooldown) zone b is lost: the groups zone a's incident touched are needed again.
        (await _control.PostAsync($"sandbox/zones/{other}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", other), ("status", "unavailable")) == 1, Deadline, "zone b unavailable");
        using (var firing = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", other, fingerprint: "b0b0b0b0"))))
            Assert.Equal(HttpStatusCode.Accepted, firing.StatusCode);

        int Desired(Func<string, bool> zone) => _sandbox.State(r => r.ScalingGroups.Values.Where(g => g.SubnetIds.All(s => zone(r.SubnetZones[s]))).Sum(g => g.DesiredCapacity));
        await Poll.UntilAsync(() => Desired(z => z != other) == 6 + 3 && _sandbox.State(r => r.Cluster.Nodes.Where(n => n.AvailabilityZone == other).All(n => n.Unschedulable)),
            Deadline, "zone b cordoned and its 3 instances made up in the other zones");
        var samples = await host.ScrapeAsync();
        Assert.Equal(2, samples.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act"), ("reason", "none")));
        Assert.Null(samples.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "refused"), ("reason", "cooldown")));
    }

    [Fact]
    public async Task SameZoneEvacuatedAgainForAnotherAlertWithinTheCooldown_RefusedWhole_NothingCordoned()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        await EvacuatedAndRestoredAsync(host);
        var calls = _sandbox.Calls("kubernetes:patch-node") + _sandbox.Calls("autoscaling:UpdateAutoScalingGroup");

        // The zone flaps: the same alert again, a new episode, within the cooldown.
        await FailZoneAsync(host);
        using (var again = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone, fingerprint: "a1b2c3d4e5f60718", startsAt: DateTimeOffset.UtcNow))))
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "refused"), ("reason", "cooldown")) == 1,
            Deadline, "the second evacuation refused by the cooldown, with its reason");
        Assert.Equal(calls, _sandbox.Calls("kubernetes:patch-node") + _sandbox.Calls("autoscaling:UpdateAutoScalingGroup"));
        Assert.Equal(0, CordonedInZone());
    }

    [Fact]
    public async Task KillSwitchInConfiguration_NothingMutates()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: false, "--Actions:KillSwitch=true");
        await FailZoneAsync(host);
        var before = Webhooks.ChangeableState(_sandbox);

        using var response = await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone)));

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "cordon"), ("outcome", "killed")) == 1, Deadline, "cordon stopped by the kill switch");
        Assert.Equal(before, Webhooks.ChangeableState(_sandbox));
    }
}
