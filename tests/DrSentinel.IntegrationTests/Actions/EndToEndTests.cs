using System.Diagnostics;
using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;
using Xunit.Abstractions;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// The whole chain with real servers: the sandbox fails a zone, DrSentinel exports it, real Prometheus evaluates
/// alerts/drsentinel.rules.yml and fires, real Alertmanager (alerts/alertmanager.example.yml) calls DrSentinel's webhook
/// with its bearer token from a file, and DrSentinel cordons the zone and makes its capacity up in the others; on
/// recovery the resolved notification restores everything it changed.
/// </summary>
public abstract class EndToEndScenario(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private readonly List<IAsyncDisposable> _servers = [];

    protected abstract Task<SandboxServer> StartSandboxAsync();

    protected abstract string[] HostSettings(SandboxServer sandbox);

    /// <summary>
    /// Two: replica-a leads, replica-b follows, and Alertmanager delivers to replica-b only, so every action comes from
    /// the leader learning of the alert through the other replica and Alertmanager's API (Receiver:AlertmanagerUrls).
    /// </summary>
    protected virtual int Replicas => 1;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _servers.Count - 1; i >= 0; i--) await _servers[i].DisposeAsync();
    }

    private T Own<T>(T server) where T : IAsyncDisposable
    {
        _servers.Add(server);
        return server;
    }

    /// <summary>Fails the zone as <paramref name="mode"/>; <paramref name="alert"/> must fire after <paramref name="forDuration"/> and the plan follow.</summary>
    protected async Task RunAsync(string mode, string alert, TimeSpan forDuration, string[] allowedGroups)
    {
        var sandbox = Own(await StartSandboxAsync());
        var replicas = await ReceiverReplicas.StartAsync(sandbox, Replicas, allowedGroups,
            [.. HostSettings(sandbox), "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff "], Own);
        var (host, receiver) = (replicas.Leader, replicas.Receiver);
        var alertmanager = Own(await AlertmanagerServer.StartAsync(receiver.Address, replicas.ReceiverTokenFile, replicas.AlertmanagerPort));
        var prometheus = Own(await PrometheusServer.StartAsync(replicas.Targets, RuleFile.Path, alertmanager.Address,
            sandbox.Region.Topology.ClusterName));
        await Poll.UntilAsync(() => prometheus.QueryAsync("drsentinel_az_status"), r => r.Count == 9 * Replicas, TimeSpan.FromSeconds(60), "zones scraped");
        var before = Webhooks.ChangeableState(sandbox);
        var nodesInZone = sandbox.State(r => r.Cluster.Nodes.Count(n => n.AvailabilityZone == Zone));
        using var control = new HttpClient { BaseAddress = sandbox.Endpoint };

        (await control.PostAsync($"sandbox/zones/{Zone}/fail?mode={mode}", null)).EnsureSuccessStatusCode();
        var verdict = alert == "DrSentinelAzUnavailable" ? "drsentinel:az_unavailable:bool" : "drsentinel:az_unreachable:bool";
        await Poll.UntilAsync(() => prometheus.QueryAsync($"{verdict}{{az=\"{Zone}\"}} == 1"), r => r.Count == 1, TimeSpan.FromSeconds(60), "the verdict recorded");
        var detected = Stopwatch.StartNew();
        try
        {
            await Poll.UntilAsync(() => prometheus.QueryAsync($"ALERTS{{alertname=\"{alert}\",alertstate=\"firing\",az=\"{Zone}\"}}"), r => r.Count == 1,
                forDuration + TimeSpan.FromSeconds(30), $"{alert} firing in Prometheus");
        }
        catch (TimeoutException)
        {
            foreach (var query in new[] { $"{verdict}[3m]", "{__name__=~\"drsentinel_(postgres|redis)_probe_up\"}[3m]" })
                output.WriteLine(query + "\n" + (await prometheus.GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}")).ToString());
            throw;
        }
        var fired = detected.Elapsed;
        try
        {
            await Poll.UntilAsync(() => sandbox.State(r => r.Cluster.Nodes.Count(n => n.AvailabilityZone == Zone && n.Unschedulable) == nodesInZone
                    && r.ScalingGroups.Values.Any(g => g.Tags.ContainsKey("drsentinel.io/evacuated-zone"))),
                TimeSpan.FromSeconds(60), "the zone's nodes cordoned and its capacity raised elsewhere");
        }
        finally
        {
            output.WriteLine(string.Join('\n', host.Log.Split('\n').Where(l => l.Contains("Plan to", StringComparison.Ordinal) || l.Contains("Accepted", StringComparison.Ordinal)
                || l.Contains("Refused", StringComparison.Ordinal) || l.Contains("Failed", StringComparison.Ordinal) || l.Contains("Acted", StringComparison.Ordinal))));
        }
        var acted = detected.Elapsed;
        output.WriteLine($"{mode} failure of {Zone}: verdict recorded, then {alert} firing after {fired.TotalSeconds:F1} s, first plan carried out after "
            + $"{acted.TotalSeconds:F1} s (floor: for {forDuration.TotalSeconds:F0} s + one evaluation + group_wait 0 s)");
        Assert.True(acted >= forDuration - TimeSpan.FromSeconds(2), $"acted after {acted}, before the alert's for: {forDuration} had elapsed");
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "update-group"), ("outcome", "success")) >= 1, TimeSpan.FromSeconds(30), "a group raised");
        var samples = await host.ScrapeAsync();
        Assert.Equal(1, samples.Value("drsentinel_az_evacuated", ("az", Zone)));

        (await control.PostAsync($"sandbox/zones/{Zone}/recover", null)).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => Webhooks.ChangeableState(sandbox) == before, TimeSpan.FromSeconds(90), "everything DrSentinel changed restored");
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("intent", "restore"), ("verdict", "act")) >= 1, TimeSpan.FromSeconds(30), "restore counted");
        // The incident: opened by the alert, every step in order, the zone restored and the incident closed.
        var (_, timeline) = await Webhooks.IncidentAsync(host, Zone, t => t.Count > 0 && t[^1].Kind == "Closed", TimeSpan.FromSeconds(30), "the incident closed");
        output.WriteLine(string.Join('\n', timeline.Select(e => $"{e.Kind} {e.Outcome}: {e.Text}")));
        var kinds = timeline.Select(e => e.Kind).ToList();
        Assert.Equal("Signal", kinds[0]);
        Assert.True(kinds.IndexOf("AlertReceived") < kinds.IndexOf("Action") && kinds.IndexOf("Action") < kinds.IndexOf("AlertResolved")
            && kinds.IndexOf("AlertResolved") < kinds.LastIndexOf("Restored"), string.Join(", ", kinds));
        Assert.Contains(timeline, e => e.Kind == "Action" && e.Outcome == "success" && e.Text.StartsWith("cordon", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Kind == "Action" && e.Outcome == "success" && e.Text.StartsWith("uncordon", StringComparison.Ordinal));
        if (Replicas > 1) Assert.Null((await receiver.ScrapeAsync()).Value("drsentinel_plans_total", ("intent", "evacuate"), ("verdict", "act"))); // the follower never acted
    }
}

/// <summary>The hard failure with two replicas: Alertmanager reaches only the follower; the leader acts and restores.</summary>
[LongRunning(140)]
public sealed class EndToEndTwoReplicasHardFailureTests(ITestOutputHelper output) : EndToEndScenario(output)
{
    protected override Task<SandboxServer> StartSandboxAsync() => Sandboxes.StartAsync(speed: 100, topology: Webhooks.PerZoneTopology());

    protected override string[] HostSettings(SandboxServer sandbox) => [];

    protected override int Replicas => 2;

    [Fact]
    public Task HardZoneFailure_AlertReachesTheFollower_TheLeaderEvacuates_RecoveryRestores() =>
        RunAsync("hard", "DrSentinelAzUnavailable", TimeSpan.FromMinutes(2), ["workers"]);
}

/// <summary>Hard failure, one Auto Scaling group per zone: the siblings in the other zones take the capacity.</summary>
[LongRunning(140)]
public sealed class EndToEndPerZoneHardFailureTests(ITestOutputHelper output) : EndToEndScenario(output)
{
    protected override Task<SandboxServer> StartSandboxAsync() => Sandboxes.StartAsync(speed: 100, topology: Webhooks.PerZoneTopology());

    protected override string[] HostSettings(SandboxServer sandbox) => [];

    [Fact]
    public Task HardZoneFailure_AlertFires_WebhookCordonsAndRaisesSiblings_RecoveryRestores() =>
        RunAsync("hard", "DrSentinelAzUnavailable", TimeSpan.FromMinutes(2), ["workers"]);
}

/// <summary>Gray failure (nodes Ready, databases unreachable), groups spanning the zones: subnets out, AZRebalance held, desired up.</summary>
[LongRunning(80)]
public sealed class EndToEndSpanningGrayFailureTests(ITestOutputHelper output) : EndToEndScenario(output)
{
    protected override Task<SandboxServer> StartSandboxAsync() => Sandboxes.StartWithDataPlaneAsync(speed: 100);

    protected override string[] HostSettings(SandboxServer sandbox) => ["--Probes:Postgres:Enabled=true", "--Probes:Redis:Enabled=true"];

    [Fact]
    public Task GrayZoneFailure_AlertFires_WebhookCordonsAndRaisesTheSpanningGroups_RecoveryRestores() =>
        RunAsync("gray", "DrSentinelAzUnreachable", TimeSpan.FromSeconds(30), ["primary", "critical"]);
}

/// <summary>Gray failure, one Auto Scaling group per zone: the probes see it, the siblings take the capacity.</summary>
[LongRunning(80)]
public sealed class EndToEndPerZoneGrayFailureTests(ITestOutputHelper output) : EndToEndScenario(output)
{
    protected override Task<SandboxServer> StartSandboxAsync() => Sandboxes.StartWithDataPlaneAsync(speed: 100, topology: Webhooks.PerZoneTopology());

    protected override string[] HostSettings(SandboxServer sandbox) => ["--Probes:Postgres:Enabled=true", "--Probes:Redis:Enabled=true"];

    [Fact]
    public Task GrayZoneFailure_AlertFires_WebhookCordonsAndRaisesSiblings_RecoveryRestores() =>
        RunAsync("gray", "DrSentinelAzUnreachable", TimeSpan.FromSeconds(30), ["workers"]);
}

/// <summary>Hard failure, groups spanning the zones: subnets out, AZRebalance held, desired up.</summary>
[LongRunning(135)]
public sealed class EndToEndSpanningHardFailureTests(ITestOutputHelper output) : EndToEndScenario(output)
{
    protected override Task<SandboxServer> StartSandboxAsync() => Sandboxes.StartAsync(speed: 100);

    protected override string[] HostSettings(SandboxServer sandbox) => [];

    [Fact]
    public Task HardZoneFailure_AlertFires_WebhookCordonsAndRaisesTheSpanningGroups_RecoveryRestores() =>
        RunAsync("hard", "DrSentinelAzUnavailable", TimeSpan.FromMinutes(2), ["primary", "critical"]);
}
