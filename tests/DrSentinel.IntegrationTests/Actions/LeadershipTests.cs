using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// Two and three DrSentinel processes electing one actor through the sandbox's coordination.k8s.io/v1 Lease API:
/// every replica exports and takes webhooks, one acts, and a killed leader is replaced within the lease duration.
/// </summary>
public sealed class LeadershipTests : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
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

    private async Task<DrSentinelHost> ReplicaAsync(string name)
    {
        var host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.ReceiverSettings(Webhooks.NewStateDirectory(), dryRun: false, "workers"),
            "--Leadership:Enabled=true", "--Leadership:Namespace=drsentinel", $"--Leadership:Identity={name}",
            "--Leadership:LeaseDuration=00:00:03", "--Leadership:RenewDeadline=00:00:02", "--Leadership:RetryPeriod=00:00:00.300"]);
        _hosts.Add(host);
        return host;
    }

    private static async Task<bool> LeadsAsync(DrSentinelHost host, string name) =>
        (await host.ScrapeAsync()).Value("drsentinel_leader", ("replica", name)) == 1;

    private int Evacuations() => (int)_sandbox.Calls("autoscaling:UpdateAutoScalingGroup");

    private string? Holder() => _sandbox.State(r => r.Leases.GetValueOrDefault(("drsentinel", "drsentinel"))?.HolderIdentity);

    [Fact]
    public async Task TwoReplicas_OneLeads_TheFollowerKeepsItsAlert_LeaderKilled_TheFollowerTakesOverWithinTheLeaseAndActsOnce()
    {
        var a = await ReplicaAsync("replica-a");
        await Poll.UntilAsync(() => LeadsAsync(a, "replica-a"), leads => leads, Deadline, "replica-a leads");
        var b = await ReplicaAsync("replica-b");
        await b.ScrapeUntilAsync(s => s.Value("drsentinel_leader", ("replica", "replica-b")) == 0, Deadline, "replica-b follows");
        (await _control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
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
    public async Task ThreeReplicas_EachGivenTheAlert_OneSetOfActions()
    {
        var replicas = new List<DrSentinelHost>();
        foreach (var name in new[] { "replica-a", "replica-b", "replica-c" }) replicas.Add(await ReplicaAsync(name));
        await Poll.UntilAsync(async () =>
        {
            var leaders = 0;
            for (var i = 0; i < replicas.Count; i++) leaders += await LeadsAsync(replicas[i], $"replica-{(char)('a' + i)}") ? 1 : 0;
            return leaders;
        }, n => n == 1, Deadline, "exactly one leader among three");
        (await _control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        foreach (var replica in replicas)
            await replica.ScrapeUntilAsync(s => s.Value("drsentinel_az_status", ("az", Zone), ("status", "unavailable")) == 1, Deadline, "zone unavailable");

        foreach (var replica in replicas)
            using (var response = await Webhooks.PostAsync(replica.Http, Webhooks.Notification(Webhooks.Alert("DrSentinelAzUnavailable", Zone))))
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await Poll.UntilAsync(() => Task.FromResult(Evacuations()), n => n == 2, Deadline, "the evacuation's two group updates");
        var leader = replicas.Single(r => Holder() is { } holder && r.Log.Contains($"{holder} leads now", StringComparison.Ordinal));
        await leader.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")) == 1, Deadline, "the leader's one plan");
        foreach (var follower in replicas.Where(r => r != leader))
            Assert.Null((await follower.ScrapeAsync()).Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act")));
        Assert.Equal(2, Evacuations());
    }
}
