using System.Diagnostics;
using DrSentinel.IntegrationTests.Alerts;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;
using Xunit.Abstractions;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// The database playbooks through the whole chain: the sandbox with real PostgreSQL and Redis fails a zone, real
/// Prometheus evaluates alerts/drsentinel.rules.yml, real Alertmanager (alerts/alertmanager.example.yml) calls the
/// webhook, and DrSentinel fails the primaries over where AWS does not — and only there.
/// </summary>
public abstract class EndToEndFailoverScenario(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private const string Db = "pyairtable-primary";
    private const string Cache = "pyairtable-redis";
    private readonly List<IAsyncDisposable> _servers = [];
    private SandboxServer _sandbox = null!;
    private DrSentinelHost _host = null!;
    private PrometheusServer _prometheus = null!;

    public async Task InitializeAsync()
    {
        _sandbox = Own(await Sandboxes.StartWithDataPlaneAsync(speed: 100));
        var replicas = await ReceiverReplicas.StartAsync(_sandbox, Replicas, [], ["--Probes:Postgres:Enabled=true", "--Probes:Redis:Enabled=true",
            $"--Actions:AllowedDatabases:0={Db}", $"--Actions:AllowedDatabases:1={Cache}", "--Actions:FailoverGrace=00:00:05"], Own);
        _host = replicas.Leader;
        var alertmanager = Own(await AlertmanagerServer.StartAsync(replicas.Receiver.Address, replicas.ReceiverTokenFile, replicas.AlertmanagerPort));
        _prometheus = Own(await PrometheusServer.StartAsync(replicas.Targets, RuleFile.Path, alertmanager.Address,
            _sandbox.Region.Topology.ClusterName));
        await Poll.UntilAsync(() => _prometheus.QueryAsync("drsentinel_rds_instance_placement{role=\"primary\"}"), r => r.Count >= 1, TimeSpan.FromSeconds(60), "databases scraped");
    }

    public async Task DisposeAsync()
    {
        for (var i = _servers.Count - 1; i >= 0; i--) await _servers[i].DisposeAsync();
    }

    private T Own<T>(T server) where T : IAsyncDisposable
    {
        _servers.Add(server);
        return server;
    }

    /// <summary>Two: replica-a leads; Alertmanager reaches only replica-b, so the leader learns of each alert through Alertmanager's API.</summary>
    protected virtual int Replicas => 1;

    private string DbZone() => _sandbox.State(r => r.DbInstances[Db].AvailabilityZone);

    private string CacheZone() => _sandbox.State(r => r.ReplicationGroups[Cache].Members.Single(m => m.Primary).AvailabilityZone);

    private long FailoverCalls() => _sandbox.Calls("rds:RebootDBInstance") + _sandbox.Calls("elasticache:TestFailover") + _sandbox.Calls("elasticache:ModifyReplicationGroup");

    private void Say(string what) => output.WriteLine(what + "\n" + string.Join('\n', _host.Log.Split('\n').Where(l =>
        l.Contains("Plan to", StringComparison.Ordinal) || l.Contains("Acted", StringComparison.Ordinal) || l.Contains("Failover", StringComparison.Ordinal)
        || l.Contains("probe of", StringComparison.Ordinal))));

    protected async Task GrayFailureOfTheZoneHoldingBothPrimariesAsync()
    {
        Assert.Equal((Zone, Zone), (DbZone(), CacheZone()));
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        var failed = Stopwatch.StartNew();
        (await control.PostAsync($"sandbox/zones/{Zone}/fail?mode=gray", null)).EnsureSuccessStatusCode();

        try
        {
            await Poll.UntilAsync(() => DbZone() != Zone && CacheZone() != Zone, TimeSpan.FromMinutes(4), "both primaries moved out of the zone");
            var moved = failed.Elapsed;
            await Poll.UntilAsync(() => ApplicationWrites.ThroughRdsAsync(_sandbox), ok => ok, TimeSpan.FromSeconds(60), "a write through the RDS endpoint");
            var rds = failed.Elapsed;
            await Poll.UntilAsync(() => ApplicationWrites.ThroughRedisAsync(_sandbox), ok => ok, TimeSpan.FromSeconds(60), "a write through the Redis primary endpoint");
            output.WriteLine($"gray failure: both primaries out after {moved.TotalSeconds:F0} s, RDS writable after {rds.TotalSeconds:F0} s, Redis after {failed.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            Say("DrSentinel's decisions:");
        }
        Assert.Equal(1, _sandbox.Calls("rds:RebootDBInstance"));
        Assert.Equal(1, _sandbox.Calls("elasticache:TestFailover"));
        var fired = await _prometheus.QueryAsync("max_over_time(ALERTS{alertname=~\"DrSentinel(Rds|Redis)PrimaryInImpairedAz\",alertstate=\"firing\"}[10m])");
        Assert.Equal(2, fired.Count); // it was the alerts, through Alertmanager, that moved them

        // One incident for the zone, written down as it happened: the first signal, the alerts, the decisions, the two
        // failovers and both primaries writable again, in that order. A moved primary is written down once DrSentinel's
        // probe finds it writable and its next Describe places it in the new zone (the incident waits 2 min for it).
        var (id, timeline) = await Webhooks.IncidentAsync(_host, Zone, t => t.Count(e => e.Kind == "PrimaryWritable") == 2, TimeSpan.FromSeconds(90),
            "the incident records both primaries writable again");
        output.WriteLine(string.Join('\n', timeline.Select(e => $"{e.Kind} {e.Outcome}: {e.Text}")));
        Assert.StartsWith($"{Zone}-", id, StringComparison.Ordinal);
        Assert.Equal("Signal", timeline[0].Kind);
        int Index(string kind, string text) => timeline.FindIndex(e => e.Kind == kind && e.Text.Contains(text, StringComparison.Ordinal));
        foreach (var (alert, database) in new[] { ("DrSentinelRdsPrimaryInImpairedAz", Db), ("DrSentinelRedisPrimaryInImpairedAz", Cache) })
        {
            var order = new[] { Index("AlertFired", alert), Index("AlertReceived", alert), Index("Decision", $"{database} out of {Zone}"), Index("Action", $"{database}"),
                Index("PrimaryWritable", database) };
            Assert.All(order, i => Assert.True(i > 0, $"{alert}: {string.Join(", ", order)}"));
            Assert.Equal(order.Order(), order);
        }
        Assert.Equal(2, timeline.Count(e => e.Kind == "Action" && e.Outcome == "success"));
    }

    protected async Task HardFailureAsync()
    {
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();

        await Poll.UntilAsync(() => DbZone() != Zone && CacheZone() != Zone, TimeSpan.FromSeconds(60), "AWS's own failovers");
        // The zone's own alert fires after its `for`: by then any primary-in-impaired-zone alert would have fired too.
        await Poll.UntilAsync(() => _prometheus.QueryAsync($"ALERTS{{alertname=\"DrSentinelAzUnavailable\",alertstate=\"firing\",az=\"{Zone}\"}}"), r => r.Count == 1,
            TimeSpan.FromMinutes(3), "DrSentinelAzUnavailable firing");
        Say("DrSentinel's decisions:");
        Assert.Equal(0, FailoverCalls());
        Assert.Equal(0, _sandbox.Calls("rds:AddTagsToResource") + _sandbox.Calls("elasticache:AddTagsToResource"));
    }
}

/// <summary>Each case a class of its own, so their minutes of real alert windows pass side by side.</summary>
[LongRunning(115)]
public sealed class EndToEndGrayFailoverTests(ITestOutputHelper output) : EndToEndFailoverScenario(output)
{
    [Fact]
    public Task GrayFailureOfTheZoneHoldingBothPrimaries_AlertsFire_DrSentinelMovesBoth_TheApplicationWritesAgain() =>
        GrayFailureOfTheZoneHoldingBothPrimariesAsync();
}

[LongRunning(125)]
public sealed class EndToEndHardFailoverTests(ITestOutputHelper output) : EndToEndFailoverScenario(output)
{
    [Fact]
    public Task HardFailure_AwsFailsOverByItself_DrSentinelMakesNoFailoverCall() => HardFailureAsync();
}

/// <summary>The same with two replicas: the failovers are made once, by the leader, whichever replica Alertmanager reaches.</summary>
[LongRunning(115)]
public sealed class EndToEndGrayFailoverTwoReplicasTests(ITestOutputHelper output) : EndToEndFailoverScenario(output)
{
    protected override int Replicas => 2;

    [Fact]
    public Task GrayFailureOfTheZoneHoldingBothPrimaries_AlertsFire_DrSentinelMovesBoth_TheApplicationWritesAgain() =>
        GrayFailureOfTheZoneHoldingBothPrimariesAsync();
}

[LongRunning(125)]
public sealed class EndToEndHardFailoverTwoReplicasTests(ITestOutputHelper output) : EndToEndFailoverScenario(output)
{
    protected override int Replicas => 2;

    [Fact]
    public Task HardFailure_AwsFailsOverByItself_DrSentinelMakesNoFailoverCall() => HardFailureAsync();
}
