using System.Net;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;
using Npgsql;

namespace DrSentinel.IntegrationTests.Actions;

/// <summary>
/// The seed's scenario 3 on the sandbox's real PostgreSQL: the primary's zone (1a) cut off and its standby's zone (1b)
/// lost, so RDS cannot fail over; the read replica in 1c is promoted, really stops replicating and takes writes.
/// </summary>
public sealed class ReplicaPromotionTests : IAsyncLifetime
{
    private const string Db = "pyairtable-primary";
    private const string Replica = "pyairtable-read-replica";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private SandboxServer _sandbox = null!;
    private HttpClient _control = null!;
    private DrSentinelHost? _host;

    /// <summary>The default region with its read replica in the third zone, away from the primary and the standby.</summary>
    private static Topology ReplicaInTheThirdZone() => Topology.Default() with
    {
        DbInstances = [.. Topology.Default().DbInstances.Select(d => d.Id == Replica ? d with { AvailabilityZone = "eu-central-1c" } : d)],
    };

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartWithDataPlaneAsync(speed: 100, topology: ReplicaInTheThirdZone());
        _control = new HttpClient { BaseAddress = _sandbox.Endpoint };
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        _control.Dispose();
        await _sandbox.DisposeAsync();
    }

    private async Task<DrSentinelHost> StartAsync(string rpo = "00:15:00", bool dryRun = false)
    {
        _host = await DrSentinelHost.StartAsync(_sandbox, [.. Webhooks.FailoverSettings(Webhooks.NewStateDirectory(), dryRun, grace: "00:00:02", Db),
            $"--Actions:PromotableReplicas:0={Replica}", $"--Actions:ReplicaPromotionRpo={rpo}"]);
        return _host;
    }

    private int Port(string instance) => _sandbox.State(r => r.DbInstances[instance].DataPort!.Value);

    private static async Task<long?> OrdersAsync(int port)
    {
        try
        {
            await using var db = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=2;Command Timeout=2");
            await db.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM orders", db);
            return (long?)await command.ExecuteScalarAsync();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            return null;
        }
    }

    /// <summary>Writes through the primary until the replica has them, then loses 1b (hard) and cuts 1a off (gray).</summary>
    private async Task<long> LoseThePrimaryAndItsStandbyAsync(DrSentinelHost host)
    {
        for (var i = 0; i < 20; i++) Assert.True(await ApplicationWrites.ThroughRdsAsync(_sandbox));
        var written = (await OrdersAsync(Port(Db)))!.Value;
        await Poll.UntilAsync(() => OrdersAsync(Port(Replica)), n => n == written, Deadline, "the writes replicated to the read replica");

        (await _control.PostAsync("sandbox/zones/eu-central-1b/fail?mode=hard", null)).EnsureSuccessStatusCode();
        (await _control.PostAsync("sandbox/zones/eu-central-1a/fail?mode=gray&dataPlane=reset", null)).EnsureSuccessStatusCode();
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_probe_up", ("db_instance", Db)) == 0
            && s.Value("drsentinel_az_status", ("az", "eu-central-1b"), ("status", "unavailable")) == 1,
            Deadline, "the primary unreachable and the standby's zone down in DrSentinel");
        Assert.False(await ApplicationWrites.ThroughRdsAsync(_sandbox));
        return written;
    }

    [Fact]
    public async Task PrimaryAndStandbyLost_TheEnabledReplicaIsPromotedOnce_ItStopsReplicatingAndTakesWrites()
    {
        var host = await StartAsync();
        var written = await LoseThePrimaryAndItsStandbyAsync(host);

        Assert.Equal(HttpStatusCode.Accepted, (await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.RdsAlert("eu-central-1a")))).StatusCode);

        await Poll.UntilAsync(() => _sandbox.State(r => r.DbInstances[Replica].ReplicaSourceId is null && r.DbInstances[Replica].Status == "available"),
            Deadline, "RDS reports the replica standalone");
        await Poll.UntilAsync(() => ApplicationWrites.ThroughRdsAsync(_sandbox, Replica), ok => ok, Deadline, "a write through the promoted replica's endpoint");
        Assert.True(await OrdersAsync(Port(Replica)) > written); // every write it had, and the new one
        Assert.Equal(1, _sandbox.Calls("rds:PromoteReadReplica"));
        Assert.Equal(0, _sandbox.Calls("rds:RebootDBInstance"));
        Assert.Equal(Db, _sandbox.State(r => r.DbInstances[Replica].Tags.GetValueOrDefault("drsentinel.io/promoted-from")));
        await Poll.UntilAsync(() => host.Log.Contains($"Failover done: {Replica}: promoted", StringComparison.Ordinal), Deadline, "the promotion followed to its end");

        // The alert sent again (Alertmanager's repeat, another peer): never a second promotion.
        var again = Webhooks.RdsAlert("eu-central-1a", fingerprint: "d1d2d3d9");
        Assert.Equal(HttpStatusCode.Accepted, (await Webhooks.PostAsync(host.Http, Webhooks.Notification(again))).StatusCode);
        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("playbook", "rds-replica-promotion"), ("reason", "already-failed-over")) >= 1,
            Deadline, "the repeat answered from the ledger");
        Assert.Equal(1, _sandbox.Calls("rds:PromoteReadReplica"));
        var samples = await host.ScrapeAsync();
        Assert.Equal(1, samples.Value("drsentinel_actions_total", ("action", "rds-promote-read-replica"), ("outcome", "success")));
    }

    [Fact]
    public async Task ReplicaLagsBeyondTheRpo_NotPromoted_TheRefusalSaysWhy()
    {
        var host = await StartAsync(rpo: "00:00:01");
        await LoseThePrimaryAndItsStandbyAsync(host);

        Assert.Equal(HttpStatusCode.Accepted, (await Webhooks.PostAsync(host.Http, Webhooks.Notification(Webhooks.RdsAlert("eu-central-1a")))).StatusCode);

        await host.ScrapeUntilAsync(s => s.Value("drsentinel_plans_total", ("playbook", "rds-replica-promotion"), ("reason", "beyond-rpo")) >= 1,
            Deadline, "refused beyond the RPO");
        await host.LogShowsAsync("Actions:ReplicaPromotionRpo");
        Assert.Equal(0, _sandbox.Calls("rds:PromoteReadReplica"));
        Assert.NotNull(_sandbox.State(r => r.DbInstances[Replica].ReplicaSourceId));
    }
}
