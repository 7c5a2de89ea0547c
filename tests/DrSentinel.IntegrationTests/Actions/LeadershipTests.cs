using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// Two and three DrSentinel processes electing one actor through the sandbox's coordination.k8s.io/v1 Lease API:
/// every replica exports and takes webhooks, one acts, and a killed leader is replaced within the lease duration.
/// </summary>
public abstract class LeadershipScenario : IAsyncLifetime
{
    protected const string Zone = "eu-central-1a";
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    protected static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
    private SandboxServer _sandbox = null!;
    private HttpClient _control = null!;
    private readonly List<DrSentinelHost> _hosts = [];

    /// <summary>The sandbox's control API.</summary>
    protected HttpClient Control => _control;

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

    protected Task<DrSentinelHost> ReplicaAsync(string name, params string[] more) => ReplicaAsync(name, aot: false, more);

    /// <param name="aot">The Native AOT executable (the production artifact) instead of the JIT build.</param>
    protected async Task<DrSentinelHost> ReplicaAsync(string name, bool aot, params string[] more)
    {
        string[] settings = [.. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: false, "workers"), .. ReceiverReplicas.Leadership(name), .. more];
        var host = aot ? await DrSentinelHost.StartExecutableAsync(await RepoPaths.AotExecutableAsync(), _sandbox, settings) : await DrSentinelHost.StartAsync(_sandbox, settings);
        _hosts.Add(host);
        return host;
    }

    protected static async Task<bool> LeadsAsync(DrSentinelHost host, string name) =>
        (await host.ScrapeAsync()).Value("drsentinel_leader", ("replica", name)) == 1;

    protected int Evacuations() => (int)_sandbox.Calls("autoscaling:UpdateAutoScalingGroup");

    protected IReadOnlyDictionary<string, string> LeaseAnnotations() =>
        _sandbox.State(r => r.Leases.GetValueOrDefault(("drsentinel", "drsentinel"))?.Annotations) ?? new Dictionary<string, string>();

    protected async Task FaultAsync(object fault)
    {
        using var response = await _control.PostAsync("sandbox/faults", JsonContent.Create(fault));
        response.EnsureSuccessStatusCode();
    }

    protected static async Task<HttpResponseMessage> KillSwitchAsync(DrSentinelHost host, bool engaged)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"actions/kill-switch?engaged={(engaged ? "true" : "false")}");
        request.Headers.Authorization = new("Bearer", Webhooks.OperatorToken);
        return await host.Http.SendAsync(request);
    }

    protected static async Task<bool> KillSwitchEngagedAsync(DrSentinelHost host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "actions/kill-switch");
        request.Headers.Authorization = new("Bearer", Webhooks.OperatorToken);
        using var response = await host.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["engaged"]!.GetValue<bool>();
    }

    protected async Task<(DrSentinelHost Leader, DrSentinelHost Follower)> TwoReplicasAsync(params string[] more)
    {
        var a = await ReplicaAsync("replica-a", more);
        await Poll.UntilAsync(() => LeadsAsync(a, "replica-a"), leads => leads, Deadline, "replica-a leads");
        var b = await ReplicaAsync("replica-b", more);
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_leader", ("replica", "replica-b")) == 0, Deadline, "replica-b follows");
        return (a, b);
    }

    protected async Task ZoneFailsAsync(params DrSentinelHost[] replicas)
    {
        (await _control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        foreach (var replica in replicas)
            await replica.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, Deadline, "zone unavailable");
    }

    protected string? Holder() => _sandbox.State(r => r.Leases.GetValueOrDefault(("drsentinel", "drsentinel"))?.HolderIdentity);
}

[LongRunning(50)]
public sealed class LeadershipTests : LeadershipScenario
{
    [Fact]
    public async Task TwoReplicas_OneLeads_TheFollowerKeepsItsAlert_LeaderKilled_TheFollowerTakesOverWithinTheLeaseAndActsOnce()
    {
        var a = await ReplicaAsync("replica-a");
        await Poll.UntilAsync(() => LeadsAsync(a, "replica-a"), leads => leads, Deadline, "replica-a leads");
        var b = await ReplicaAsync("replica-b");
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_leader", ("replica", "replica-b")) == 0, Deadline, "replica-b follows");
        (await Control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, Deadline, "zone unavailable in replica-b");

        // The follower accepts the alert as Alertmanager's Service would deliver it, and does not act on it.
        using (var response = await Webhooks.PostAsync(b.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("replica-a", Holder());
        Assert.Equal(0, Evacuations());
        var samples = await b.ScrapeAsync();
        Assert.Null(samples.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")));

        await a.KillAsync(); // lost with its zone: no hand-over
        var killed = DateTimeOffset.UtcNow;

        await Poll.UntilAsync(() => LeadsAsync(b, "replica-b"), leads => leads, Deadline, "replica-b leads");
        var takeover = DateTimeOffset.UtcNow - killed;
        Assert.True(takeover < LeaseDuration + TimeSpan.FromSeconds(2), $"took over after {takeover.TotalSeconds:F1} s (lease {LeaseDuration.TotalSeconds} s)");
        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 2, Deadline, "the follower-accepted alert acted on by the new leader");
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")) == 1, Deadline, "one plan");
        Assert.Equal(1, (await b.ScrapeAsync()).Value("drsentinel_leader_term"));
        // It planned only once it led.
        Assert.True(b.Log.IndexOf("replica-b leads now", StringComparison.Ordinal) < b.Log.IndexOf("Plan to evacuate", StringComparison.Ordinal), b.Log);
        Assert.Equal("replica-b", Holder());
    }

    [Fact]
    public async Task ThreeReplicas_AThousandDeliveriesFromThreePeers_OneSetOfActions()
    {
        var replicas = new List<DrSentinelHost>();
        foreach (var name in new[] { "replica-a", "replica-b", "replica-c" }) replicas.Add(await ReplicaAsync(name));
        await Poll.UntilAsync(async () =>
        {
            var leaders = 0;
            for (var i = 0; i < replicas.Count; i++) leaders += await LeadsAsync(replicas[i], $"replica-{(char)('a' + i)}") ? 1 : 0;
            return leaders;
        }, n => n == 1, Deadline, "exactly one leader among three");
        (await Control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        foreach (var replica in replicas)
            await replica.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, Deadline, "zone unavailable");

        // Three Alertmanager peers each deliver the notification, and repeat it: 1,000 deliveries spread over the replicas.
        var body = Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone)).ToJsonString();
        await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, _) =>
        {
            using var response = await Webhooks.PostAsync(replicas[i % 3].Http, body);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        });

        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 2, Deadline, "the evacuation's two group updates");
        var leader = replicas.Single(r => Holder() is { } holder && r.Log.Contains($"{holder} leads now", StringComparison.Ordinal));
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")) == 1, Deadline, "the leader's one plan");
        foreach (var follower in replicas.Where(r => r != leader))
            Assert.Null((await follower.ScrapeAsync()).Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")));
        Assert.Equal(2, Evacuations());
    }

    [Fact]
    public async Task NotificationAcceptedOnlyByAFollowerThatIsThenKilled_TheLeaderLearnsItFromAlertmanager_ActsOnce_AndRestoresWhenNoPeerListsIt()
    {
        var alertmanagerPort = FreePort.Next();
        var (leader, follower) = await TwoReplicasAsync($"--Receiver:AlertmanagerUrls:0=http://127.0.0.1:{alertmanagerPort}/", "--Receiver:ReconcileEvery=00:00:05");
        var tokenFile = Path.Combine(Directory.CreateTempSubdirectory("drsentinel-am-token-").FullName, "token");
        await File.WriteAllTextAsync(tokenFile, Webhooks.Token);
        // Alertmanager delivers to the follower only, as a Service may.
        await using var alertmanager = await AlertmanagerServer.StartAsync(follower.Address, tokenFile, alertmanagerPort);
        await ZoneFailsAsync(leader, follower);

        var startsAt = DateTimeOffset.UtcNow;
        await alertmanager.PostAlertsAsync(new JsonArray(new JsonObject
        {
            ["labels"] = new JsonObject { ["alertname"] = "DrSentinelAzUnavailable", ["az"] = Zone, ["cluster"] = "pyairtable", ["region"] = "eu-central-1", ["severity"] = "critical" },
            ["annotations"] = new JsonObject { ["summary"] = "zone lost" },
            ["startsAt"] = startsAt.ToString("O"),
        }).ToJsonString());
        await follower.ScrapeUntilAsync(s => s.Value("drsentinel_webhook_alerts_total", ("outcome", "accepted")) >= 1, Deadline, "the follower accepted the notification");
        await follower.KillAsync(); // with what it accepted

        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 2, Deadline, "the leader acted on the alert Alertmanager lists");
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_reconciled_alerts_total", ("status", "firing")) == 1, Deadline, "learnt from Alertmanager");
        await leader.LogShowsAsync("which no webhook brought here");
        // Read again and again, it is one alert: acted on once.
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_alertmanager_reconciles_total", ("outcome", "ok")) >= 3, Deadline, "reconciled again");
        Assert.Equal(2, Evacuations());
        Assert.Equal(1, (await leader.ScrapeAsync()).Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")));

        // The zone recovers and the alert resolves; its resolution has nowhere to go (the follower is dead). No peer lists
        // the alert any more: the leader restores the zone as the resolution would have.
        (await Control.PostAsync($"sandbox/zones/{Zone}/recover", null)).EnsureSuccessStatusCode();
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "healthy")) == 1, Deadline, "zone healthy again");
        await alertmanager.PostAlertsAsync(new JsonArray(new JsonObject
        {
            ["labels"] = new JsonObject { ["alertname"] = "DrSentinelAzUnavailable", ["az"] = Zone, ["cluster"] = "pyairtable", ["region"] = "eu-central-1", ["severity"] = "critical" },
            ["startsAt"] = startsAt.ToString("O"),
            ["endsAt"] = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O"),
        }).ToJsonString());
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "restore"), ("verdict", "act")) == 1, Deadline, "restored");
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_reconciled_alerts_total", ("status", "resolved")) == 1, Deadline, "the lost resolution made up");
        await leader.LogShowsAsync("and no webhook brought its resolution: taking it as resolved"); // inferred, and said so
        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 4, Deadline, "both groups put back");
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_alertmanager_reconciles_total", ("outcome", "ok")) >= 6, Deadline, "reconciled again");
        Assert.Equal(4, Evacuations());
    }

    [Fact]
    public async Task KillSwitchEngagedThroughTheFollower_StopsTheLeader_AndOneReleaseFreesEveryReplica()
    {
        var (leader, follower) = await TwoReplicasAsync();
        using (var engaged = await KillSwitchAsync(follower, engaged: true)) Assert.Equal(HttpStatusCode.OK, engaged.StatusCode);
        Assert.True(LeaseAnnotations().ContainsKey("drsentinel.io/kill-switch"));
        await Poll.UntilAsync(() => KillSwitchEngagedAsync(leader), engaged => engaged, Deadline,
            "the leader reads the switch from the Lease");
        await ZoneFailsAsync(leader);

        using (var response = await Webhooks.PostAsync(leader.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")) == 1, Deadline, "planned");
        await Poll.UntilAsync(() => Task.FromResult(leader.Log), log => log.Contains("killed: would", StringComparison.Ordinal), Deadline, "not acted: killed");
        Assert.Equal(0, Evacuations());

        using (var released = await KillSwitchAsync(leader, engaged: false)) Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.False(LeaseAnnotations().ContainsKey("drsentinel.io/kill-switch"));
        await Poll.UntilAsync(() => KillSwitchEngagedAsync(follower), engaged => !engaged, Deadline,
            "released for the follower too");
    }

    [Fact]
    public async Task LeaderPartitionedFromTheApiMidEvacuation_StopsBeforeItsLeaseExpires_ItsStaleTermStepIsRefused_TheNewLeaderFinishesWithNoStepRepeated()
    {
        // AWS calls may take seconds here (the slow update below), every attempt within a refresh.
        var (a, b) = await TwoReplicasAsync("--Aws:Timeout=00:00:04", "--Aws:MaxAttempts=1", "--Inventory:AwsRefreshInterval=00:00:05");
        await ZoneFailsAsync(a, b);
        // The leader's first group update takes 2.5 s: past its renew deadline (2 s), short of the Lease (3 s).
        await FaultAsync(new { service = "autoscaling", operation = "UpdateAutoScalingGroup", latencyMs = 2500, count = 1 });
        foreach (var replica in new[] { a, b })
            using (var response = await Webhooks.PostAsync(replica.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 1, Deadline, "the leader's first group update under way");

        // Partitioned: every Kubernetes call of replica-a fails; replica-b's go through.
        await FaultAsync(new { service = "kubernetes", operation = "*", errorCode = "ServiceUnavailable", client = "replica-a" });
        // replica-a stops acting before its Lease can expire for replica-b: whenever replica-b is seen holding it, replica-a has already said so.
        await Poll.UntilAsync(() => Task.FromResult((Holder(), Stopped: a.Log.Contains("could not renew its Lease", StringComparison.Ordinal))), seen =>
        {
            Assert.False(seen.Item1 == "replica-b" && !seen.Stopped, "replica-b took the Lease while replica-a had not stopped acting:\n" + a.Log);
            return seen.Item1 == "replica-b";
        }, Deadline, "replica-b takes over");
        await Poll.UntilAsync(() => LeadsAsync(b, "replica-b"), leads => leads, Deadline, "replica-b leads");
        Assert.False(await LeadsAsync(a, "replica-a"));

        // replica-a's pending step, once its slow call returns, is refused by the fence: its term is over.
        await Poll.UntilAsync(() => Task.FromResult(a.Log), log => log.Contains("Fenced:", StringComparison.Ordinal), Deadline, "the stale-term step refused");
        await a.ScrapeUntilAsync(s => s.Value("drsentinel_fenced_calls_total") >= 1, Deadline, "fenced calls counted");
        // replica-b plans from the ledger on the groups: only the update left, once.
        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 2, Deadline, "the evacuation completed by replica-b");
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "success")) == 1, Deadline, "one update by replica-b");
        Assert.Equal(2, Evacuations());
    }
}

/// <summary>The production artifact as two replicas: its own class, started last, as it waits for the Native AOT publish.</summary>
[NeedsAotExecutable]
public sealed class AotLeadershipTests : LeadershipScenario
{
    [Fact]
    public async Task TwoAotReplicas_LeaderKilledMidEvacuation_TheOtherTakesOverWithinTheLease_AndCompletesWithNoStepRepeated()
    {
        string[] slowCalls = ["--Aws:Timeout=00:00:04", "--Aws:MaxAttempts=1", "--Inventory:AwsRefreshInterval=00:00:05"];
        var a = await ReplicaAsync("replica-a", aot: true, slowCalls);
        await Poll.UntilAsync(() => LeadsAsync(a, "replica-a"), leads => leads, Deadline, "replica-a leads");
        var b = await ReplicaAsync("replica-b", aot: true, slowCalls);
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_leader", ("replica", "replica-b")) == 0, Deadline, "replica-b follows");
        await ZoneFailsAsync(a, b);
        // The leader's first group update hangs past its timeout: it is killed in the middle of the evacuation.
        await FaultAsync(new { service = "autoscaling", operation = "UpdateAutoScalingGroup", latencyMs = 30000, count = 1 });
        foreach (var replica in new[] { a, b })
            using (var response = await Webhooks.PostAsync(replica.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 1, Deadline, "the leader's first group update under way");

        await a.KillAsync();
        var killed = DateTimeOffset.UtcNow;
        await Poll.UntilAsync(() => LeadsAsync(b, "replica-b"), leads => leads, Deadline, "replica-b leads");
        var takeover = DateTimeOffset.UtcNow - killed;
        Assert.True(takeover < LeaseDuration + TimeSpan.FromSeconds(2), $"took over after {takeover.TotalSeconds:F1} s (lease {LeaseDuration.TotalSeconds} s)");

        // The killed call never landed; replica-b plans from the ledger replica-a recorded: both updates, each once.
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "success")) == 2, Deadline, "the evacuation completed");
        Assert.Equal(3, Evacuations()); // replica-a's one that never landed, and replica-b's two
    }
}
