using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// The database playbooks acting on the sandbox's real PostgreSQL and Redis through the real APIs: the alerts posted to
/// the webhook as Alertmanager would (EndToEndFailoverTests runs the whole chain with real Prometheus and Alertmanager).
/// </summary>
[LongRunning(110)]
public sealed class FailoverTests : IAsyncLifetime
{
    private const string Zone = "eu-central-1a";
    private const string Db = "pyairtable-primary";
    private const string Cache = "pyairtable-redis";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private SandboxServer _sandbox = null!;
    private HttpClient _control = null!;
    private readonly List<DrSentinelHost> _hosts = [];

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartWithDataPlaneAsync(speed: 100);
        _control = new HttpClient { BaseAddress = _sandbox.Endpoint };
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts) await host.DisposeAsync();
        _control.Dispose();
        await _sandbox.DisposeAsync();
    }

    private async Task<DrSentinelHost> StartAsync(string state, bool dryRun = false, string grace = "00:00:02", params string[] more)
    {
        var host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.FailoverSettings(state, dryRun, grace, Db, Cache), .. more]);
        _hosts.Add(host);
        return host;
    }

    private string DbZone() => _sandbox.State(r => r.DbInstances[Db].AvailabilityZone);

    private string CacheZone() => _sandbox.State(r => r.ReplicationGroups[Cache].Members.Single(m => m.Primary).AvailabilityZone);

    private long FailoverCalls() => _sandbox.Calls("rds:RebootDBInstance") + _sandbox.Calls("elasticache:TestFailover") + _sandbox.Calls("elasticache:ModifyReplicationGroup");

    /// <summary>Fails the zone gray and waits until DrSentinel's probes see it unreachable, as they would before the alert fires.</summary>
    private async Task FailGrayAsync(DrSentinelHost host)
    {
        (await _control.PostAsync($"sandbox/zones/{Zone}/fail?mode=gray", null)).EnsureSuccessStatusCode();
        // As when the alert comes, 30 s on: DrSentinel has read the zone's kubelets' heartbeats, so it knows AWS sees nothing.
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_probe_up", ("db_instance", Db)) == 0
            && s.Value("drsentinel_kubelet_heartbeat_behind_seconds", ("az", Zone)) is not null, Deadline, "the primary unreachable in DrSentinel, the kubelets read");
    }

    private static async Task<HttpStatusCode> PostAsync(DrSentinelHost host, params System.Text.Json.Nodes.JsonObject[] alerts)
    {
        using var response = await Webhooks.PostAsync(host.Http, Webhooks.Notification(alerts));
        return response.StatusCode;
    }

    /// <summary>Runs <paramref name="wait"/>; when it times out, the failure carries DrSentinel's decisions from its log.</summary>
    private static async Task WithDecisions(DrSentinelHost host, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException e)
        {
            var decisions = host.Log.Split('\n').Where(l => l.Contains("Plan to", StringComparison.Ordinal) || l.Contains("Acted", StringComparison.Ordinal)
                || l.Contains("Failed", StringComparison.Ordinal) || l.Contains("Will plan", StringComparison.Ordinal) || l.Contains("Failover", StringComparison.Ordinal));
            throw new TimeoutException(e.Message + "\nDrSentinel's decisions:\n" + string.Join('\n', decisions), e);
        }
    }

    [Fact]
    public async Task GrayFailureOfTheZoneHoldingBothPrimaries_BothMovedOut_WritesWorkAgain()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        await FailGrayAsync(host);
        Assert.False(await ApplicationWrites.ThroughRdsAsync(_sandbox));

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone), Webhooks.RedisAlert(Zone)));

        await WithDecisions(host, () => Poll.UntilAsync(() => DbZone() != Zone && CacheZone() != Zone, Deadline, "both primaries out of the zone"));
        await Poll.UntilAsync(() => ApplicationWrites.ThroughRdsAsync(_sandbox), ok => ok, Deadline, "a write through the RDS endpoint");
        await Poll.UntilAsync(() => ApplicationWrites.ThroughRedisAsync(_sandbox), ok => ok, Deadline, "a write through the Redis primary endpoint");
        Assert.Equal("eu-central-1b", DbZone()); // its standby's zone
        Assert.Equal(1, _sandbox.Calls("rds:RebootDBInstance"));
        Assert.Equal(1, _sandbox.Calls("elasticache:TestFailover"));
        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "rds-force-failover"), ("outcome", "success")) == 1
            && s.Value("drsentinel_actions_total", ("action", "elasticache-test-failover"), ("outcome", "success")) == 1, Deadline, "both failovers counted");
        Assert.Equal(14, samples.Value("drsentinel_elasticache_test_failovers_remaining"));
        await Poll.UntilAsync(() => host.Log.Contains($"Failover done: {Db}", StringComparison.Ordinal), Deadline, "the RDS failover followed to its end");
        Assert.Contains("drsentinel.io/failed-over", _sandbox.State(r => string.Join(',', r.DbInstances[Db].Tags.Keys)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvacuationHeldUpInACall_TheDatabaseFailoverDoesNotWaitBehindIt()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), more: ["--Actions:AllowedNodeGroups:0=primary", "--Actions:AllowedNodeGroups:1=critical"]);
        await FailGrayAsync(host);
        // The evacuation's first change to a group hangs for 30 s (a slow API, a retry's backoff).
        using (var fault = await _control.PostAsync("sandbox/faults", new StringContent(
                   """{"service":"autoscaling","operation":"CreateOrUpdateTags","latencyMs":30000,"count":1}""", System.Text.Encoding.UTF8, "application/json")))
            fault.EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.Alert("DrSentinelAzUnreachable", Zone, startsAt: DateTimeOffset.UtcNow.AddMinutes(-2))));
        await Poll.UntilAsync(() => _sandbox.Calls("autoscaling:CreateOrUpdateTags") == 1, Deadline, "the evacuation's call in flight");

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone, startsAt: DateTimeOffset.UtcNow.AddMinutes(-2))));

        await WithDecisions(host, () => Poll.UntilAsync(() => _sandbox.Calls("rds:RebootDBInstance") == 1, TimeSpan.FromSeconds(15), "the failover called"));
        Assert.Equal(0, _sandbox.Calls("autoscaling:UpdateAutoScalingGroup")); // the evacuation is still held up in its first call
        await Poll.UntilAsync(() => DbZone() == "eu-central-1b", Deadline, "the failover done");
        await WithDecisions(host, () => Poll.UntilAsync(() => _sandbox.Calls("autoscaling:UpdateAutoScalingGroup") >= 1, Deadline, "the evacuation carried on"));
    }

    [Fact]
    public async Task FailoverCallThrottledEveryTime_OneRetryLayer_MaxAttemptsCallsThenAHuman()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), more: ["--Actions:MaxAttempts=3"]);
        await FailGrayAsync(host);
        using (var fault = await _control.PostAsync("sandbox/faults", new StringContent(
                   """{"service":"rds","operation":"RebootDBInstance","errorCode":"Throttling"}""", System.Text.Encoding.UTF8, "application/json")))
            fault.EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone, startsAt: DateTimeOffset.UtcNow.AddMinutes(-2))));

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "rds-force-failover"), ("outcome", "failed")) == 1, Deadline, "the step given up");
        Assert.Equal(3, _sandbox.Calls("rds:RebootDBInstance")); // the step's attempts, not attempts within attempts
        await Poll.UntilAsync(() => host.Log.Contains("a human must finish", StringComparison.Ordinal), Deadline, "the step's failure said in the log");
        Assert.Equal(Zone, DbZone());
    }

    [Fact]
    public async Task AlertArrivesAfterAwsFailedOverByItself_DrSentinelMakesNoFailoverCall()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        (await _control.PostAsync($"sandbox/zones/{Zone}/fail?mode=hard", null)).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => DbZone() != Zone && CacheZone() != Zone, Deadline, "AWS's own failovers done");
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_rds_instance_placement", ("db_instance", Db), ("role", "primary"), ("az", "eu-central-1b")) == 1,
            Deadline, "DrSentinel sees the primary moved");

        // The notification Alertmanager sends seconds after AWS moved the primary (measured: 2-17 s).
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone, startsAt: DateTimeOffset.UtcNow.AddMinutes(-2)),
            Webhooks.RedisAlert(Zone, startsAt: DateTimeOffset.UtcNow.AddMinutes(-2))));

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("playbook", "rds-failover"), ("reason", "done-by-aws")) == 1
            && s.Value("drsentinel_plans_total", ("playbook", "elasticache-failover"), ("reason", "done-by-aws")) == 1, Deadline, "both reported as AWS's");
        Assert.Equal(0, FailoverCalls());
    }

    private bool DrSentinelsLedgerOnTheDb() => _sandbox.State(r => r.DbInstances[Db].Tags.ContainsKey("drsentinel.io/failed-over"));

    /// <summary>
    /// AWS starts its own failover of the primary just before DrSentinel would call: DrSentinel waits it out and reports
    /// it as AWS's. One move, to the standby's healthy zone, and no ledger of DrSentinel's on the instance.
    /// </summary>
    [Fact]
    public async Task AwsFailsOverJustBeforeDrSentinelsCall_OneMove_TheLedgerSaysItWasAws()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        await FailGrayAsync(host);
        (await _control.PostAsync($"sandbox/databases/{Db}/aws-failover", null)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone)));

        await WithDecisions(host, () => host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("playbook", "rds-failover"), ("reason", "done-by-aws")) == 1,
            Deadline, "the move reported as AWS's"));
        Assert.Equal(("eu-central-1b", 1, 0L, false), (DbZone(), FailoversStarted(), _sandbox.Calls("rds:RebootDBInstance"), DrSentinelsLedgerOnTheDb()));
    }

    /// <summary>
    /// DrSentinel's call goes out first; AWS's own failover, asked for right after, does not start a second one (the
    /// instance is failing over already). One move, and DrSentinel's ledger on the instance says it was DrSentinel's.
    /// </summary>
    [Fact]
    public async Task AwsFailsOverJustAfterDrSentinelsCall_OneMove_TheLedgerSaysItWasDrSentinel()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        await FailGrayAsync(host);

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone)));
        await WithDecisions(host, () => Poll.UntilAsync(() => _sandbox.Calls("rds:RebootDBInstance") == 1, Deadline, "DrSentinel's failover call"));
        using (var aws = await _control.PostAsync($"sandbox/databases/{Db}/aws-failover", null))
            Assert.Equal(HttpStatusCode.Conflict, aws.StatusCode);

        await Poll.UntilAsync(() => DbZone() != Zone, Deadline, "the primary moved");
        Assert.Equal(("eu-central-1b", 1, 1L, true), (DbZone(), FailoversStarted(), _sandbox.Calls("rds:RebootDBInstance"), DrSentinelsLedgerOnTheDb()));
    }

    [Fact]
    public async Task TestFailoverRefusedByAws_TheFallbackPromotesAReplicaInAHealthyZone()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        using (var fault = await _control.PostAsync("sandbox/faults", new StringContent(
                   """{"service":"elasticache","operation":"TestFailover","errorCode":"TestFailoverNotAvailableFault"}""", System.Text.Encoding.UTF8, "application/json")))
            fault.EnsureSuccessStatusCode();
        await FailGrayAsync(host);

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RedisAlert(Zone)));

        await Poll.UntilAsync(() => CacheZone() != Zone, Deadline, "the Redis primary out of the zone");
        await Poll.UntilAsync(() => ApplicationWrites.ThroughRedisAsync(_sandbox), ok => ok, Deadline, "a write through the Redis primary endpoint");
        Assert.True(_sandbox.Calls("elasticache:ModifyReplicationGroup") >= 1);
        await host.LogShowsAsync("refused TestFailover");
        // Counted as what was done: a promotion, not a TestFailover.
        var samples = await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "elasticache-promote-replica"), ("outcome", "success")) == 1,
            Deadline, "counted");
        Assert.Null(samples.Value("drsentinel_actions_total", ("action", "elasticache-test-failover"), ("outcome", "success")));
        Assert.Equal(15, (await host.ScrapeAsync()).Value("drsentinel_elasticache_test_failovers_remaining")); // a refused call used none of the quota
    }

    /// <summary>
    /// A gray failure is one AWS's control plane does not see (the zone's nodes stay Ready): AWS will not fail the
    /// databases over, so DrSentinel gives it no grace, however long Actions:FailoverGrace is.
    /// </summary>
    [Fact]
    public async Task GrayFailure_AwsSeesNothing_FailedOverWithoutWaitingTheGrace()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), grace: "00:10:00");
        await FailGrayAsync(host);

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone), Webhooks.RedisAlert(Zone)));

        await Poll.UntilAsync(() => Task.FromResult((DbZone(), CacheZone())), zones => zones.Item1 != Zone && zones.Item2 != Zone, Deadline,
            "both primaries moved out long before the 10-minute grace");
        var samples = await host.ScrapeAsync();
        Assert.Null(samples.Value("drsentinel_plans_total", ("playbook", "rds-failover"), ("intent", "failover"), ("verdict", "refused"), ("reason", "grace-period")));
        Assert.Equal(1, FailoversStarted());
    }

    private int FailoversStarted() => _sandbox.State(r => r.RdsEvents.Count(e => e.SourceIdentifier == Db && e.Message.StartsWith("Multi-AZ instance failover started", StringComparison.Ordinal)));

    [Fact]
    public async Task StoppedInTheMiddleOfTheFailover_TheNextProcessFinishesIt_OneFailover()
    {
        var state = Webhooks.NewStateDirectory();
        var first = await StartAsync(state);
        await FailGrayAsync(first);
        // The failover call hangs in flight for a while: the process is stopped after its ledger tag, during the call.
        using (var fault = await _control.PostAsync("sandbox/faults", new StringContent(
                   """{"service":"rds","operation":"RebootDBInstance","latencyMs":20000,"count":1}""", System.Text.Encoding.UTF8, "application/json")))
            fault.EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(first, Webhooks.RdsAlert(Zone)));
        await Poll.UntilAsync(() => _sandbox.Calls("rds:RebootDBInstance") == 1 && _sandbox.Calls("rds:AddTagsToResource") == 1, Deadline, "tagged, the call in flight");
        await first.DisposeAsync();

        var second = await StartAsync(state); // the alert is still pending in the journal: planned again at start

        await Poll.UntilAsync(() => DbZone() == "eu-central-1b", Deadline, "the failover done by the second process");
        await Poll.UntilAsync(() => ApplicationWrites.ThroughRdsAsync(_sandbox), ok => ok, Deadline, "a write through the RDS endpoint");
        await second.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "rds-force-failover"), ("outcome", "success")) == 1, Deadline, "acted once");
        Assert.Equal(1, FailoversStarted());
    }

    [Fact]
    public async Task RestartAfterTheFailoverCall_TheRepeatedAlertDoesNotFailOverAgain()
    {
        var state = Webhooks.NewStateDirectory();
        var first = await StartAsync(state);
        await FailGrayAsync(first);
        var alert = Webhooks.RdsAlert(Zone);
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(first, alert));
        await Poll.UntilAsync(() => FailoversStarted() == 1, Deadline, "the failover under way");
        await first.DisposeAsync();

        var second = await StartAsync(state);
        var again = (System.Text.Json.Nodes.JsonObject)alert.DeepClone();
        again["fingerprint"] = "d1d2d3d5"; // whatever the journal remembers, the ledger on the instance decides
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(second, again));

        await Poll.UntilAsync(() => DbZone() == "eu-central-1b", Deadline, "the one failover done");
        // The repeated alert, and the first one too where the stop came before it was marked handled.
        try
        {
            await second.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("playbook", "rds-failover"), ("reason", "already-failed-over")) >= 1,
                Deadline, "planned again: DrSentinel's own failover found in the ledger");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + string.Join('\n', second.Log.Split('\n').Where(l => l.Contains("Plan to", StringComparison.Ordinal))), e);
        }
        Assert.Equal(1, FailoversStarted());
    }

    [Fact]
    public async Task GrayFailureOfAClusterWritersZone_FailoverDbClusterToAReaderInAHealthyZone()
    {
        // The seed's region plus a Multi-AZ DB cluster whose writer is in the failing zone (clusters are not backed by servers).
        await _sandbox.DisposeAsync();
        var cluster = new DbClusterSpec { Id = "orders", Members = [new("orders-1", Zone, true), new("orders-2", "eu-central-1b", false), new("orders-3", "eu-central-1c", false)] };
        _sandbox = await Sandboxes.StartWithDataPlaneAsync(speed: 100, topology: Topology.Default() with { DbClusters = [cluster] });
        _control.Dispose();
        _control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        var host = await StartAsync(Webhooks.NewStateDirectory(), more: "--Actions:AllowedDatabases:2=orders");
        await FailGrayAsync(host);

        var alert = Webhooks.Alert("DrSentinelRdsPrimaryInImpairedAz", Zone, fingerprint: "c1c2c3c4", startsAt: DateTimeOffset.UtcNow, labels: ("db_instance", "orders-1"));
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, alert));

        string Writer() => _sandbox.State(r => r.DbClusters["orders"].Members.Single(m => m.Writer).InstanceId);
        await WithDecisions(host, () => Poll.UntilAsync(() => Writer() != "orders-1" && _sandbox.State(r => r.DbClusters["orders"].Status) == "available",
            Deadline, "the cluster's writer moved out of the zone"));
        Assert.Equal("orders-2", Writer());
        Assert.Equal(1, _sandbox.Calls("rds:FailoverDBCluster"));
        await Poll.UntilAsync(() => host.Log.Contains("Failover done: orders", StringComparison.Ordinal), Deadline, "followed to its end");
    }

    [Fact]
    public async Task DryRun_NothingChanges_ThePlanSaysWhatItWouldHaveDone()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory(), dryRun: true);
        await FailGrayAsync(host);

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone), Webhooks.RedisAlert(Zone)));

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_actions_total", ("action", "rds-force-failover"), ("outcome", "dry-run")) == 1
            && s.Value("drsentinel_actions_total", ("action", "elasticache-test-failover"), ("outcome", "dry-run")) == 1, Deadline, "both counted as dry-run");
        await host.LogShowsAsync($"dry-run: would fail {Db} over from {Zone} to its standby in eu-central-1b");
        Assert.Equal(0, FailoverCalls() + _sandbox.Calls("rds:AddTagsToResource") + _sandbox.Calls("elasticache:AddTagsToResource"));
        Assert.Equal((Zone, Zone), (DbZone(), CacheZone()));
    }

    [Fact]
    public async Task ResolvedAfterTheFailover_NeverFailsBack()
    {
        var host = await StartAsync(Webhooks.NewStateDirectory());
        await FailGrayAsync(host);
        var startsAt = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone, startsAt: startsAt)));
        await Poll.UntilAsync(() => DbZone() == "eu-central-1b", Deadline, "failed over");
        (await _control.PostAsync($"sandbox/zones/{Zone}/recover", null)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(host, Webhooks.RdsAlert(Zone, firing: false, startsAt: startsAt)));

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("playbook", "rds-failover"), ("reason", "no-fail-back")) == 1, Deadline, "the resolution answered");
        await host.LogShowsAsync("never fails back");
        Assert.Equal(1, _sandbox.Calls("rds:RebootDBInstance"));
        Assert.Equal("eu-central-1b", DbZone());
    }
}
