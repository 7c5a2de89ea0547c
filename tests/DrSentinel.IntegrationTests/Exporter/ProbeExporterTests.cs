using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Exporter;

/// <summary>The data-plane probes against real Redis and PostgreSQL servers standing in for the sandbox's endpoints.</summary>
public sealed class RedisProbeTests : IAsyncLifetime
{
    /// <summary>The probe interval is 1 s here: "within one probe interval" plus a scrape.</summary>
    private static readonly TimeSpan WithinProbe = TimeSpan.FromSeconds(5);
    private SandboxServer _sandbox = null!;
    private RedisServers _redis = null!;
    private DrSentinelHost _host = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync();
        _redis = await RedisServers.StartAsync(replicas: 2);
        _host = await DrSentinelHost.StartAsync(_sandbox, ProbedRegion.RedisSettings(_redis));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _redis.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private static (string, string) Member(string id) => ("cache_cluster", id);

    [Fact]
    public async Task HealthyGroup_ShowsRolesConnectedReplicasAndLinks()
    {
        // The first probes run while the process is still warming up; the steady state is what counts.
        var samples = await _host.ScrapeUntilAsync(s => s.Named("drsentinel_redis_probe_up").Count(p => p.Value == 1) == 3, WithinProbe, "three members up");

        Assert.Equal(1, samples.Value("drsentinel_redis_role", Member("pyairtable-redis-001"), ("role", "primary"), ("az", "eu-central-1a")));
        Assert.Equal(1, samples.Value("drsentinel_redis_role", Member("pyairtable-redis-003"), ("role", "replica"), ("az", "eu-central-1c")));
        Assert.Equal(2, samples.Value("drsentinel_redis_connected_replicas", Member("pyairtable-redis-001")));
        Assert.Equal(1, samples.Value("drsentinel_redis_master_link_up", Member("pyairtable-redis-002")));
        Assert.InRange(samples.Value("drsentinel_redis_replication_lag_bytes", Member("pyairtable-redis-002"))!.Value, 0, 1_000_000);
        Assert.True(samples.Value("drsentinel_source_up", ("source", "probe_redis")) == 1, _host.Log);
    }

    [Fact]
    public async Task KilledReplica_ShowsWithinOneProbeInterval()
    {
        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_redis_connected_replicas", Member("pyairtable-redis-001")) == 2, WithinProbe, "two replicas");

        await _redis.KillAsync(2);

        var samples = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_redis_probe_up", Member("pyairtable-redis-003")) == 0
                                                        && s.Value("drsentinel_redis_connected_replicas", Member("pyairtable-redis-001")) == 1,
            WithinProbe, "replica 003 down and the primary down to one replica");
        Assert.Equal(1, samples.Value("drsentinel_redis_probe_up", Member("pyairtable-redis-002")));
        Assert.Null(samples.Value("drsentinel_redis_role", Member("pyairtable-redis-003"), ("role", "replica"), ("az", "eu-central-1c")));
        // The reason is exported and logged: a refused connection is not a timeout or a wrong password.
        Assert.Equal(1, samples.Value("drsentinel_redis_probe_error", Member("pyairtable-redis-003"), ("reason", "refused")));
        Assert.Null(samples.Value("drsentinel_redis_probe_error", Member("pyairtable-redis-002"), ("reason", "refused")));
        await _host.LogShowsAsync("Redis probe of pyairtable-redis-003 (pyairtable-redis) in eu-central-1c");
    }
}

public sealed class PostgresProbeTests : IAsyncLifetime
{
    private static readonly TimeSpan WithinProbe = TimeSpan.FromSeconds(5);
    private SandboxServer _sandbox = null!;
    private PostgresServers _postgres = null!;
    private DrSentinelHost _host = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync();
        _postgres = await PostgresServers.StartAsync();
        _host = await DrSentinelHost.StartAsync(_sandbox, ProbedRegion.PostgresSettings(_postgres));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _postgres.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private static (string, string) Db(string id) => ("db_instance", id);

    [Fact]
    public async Task PrimaryAndStandby_ShowRecoveryStateReplicasAndLag()
    {
        await _postgres.WriteAsync(10_000);

        var samples = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_connected_replicas", Db("pyairtable-primary")) == 1
                                                        && s.Value("drsentinel_postgres_in_recovery", Db("pyairtable-read-replica")) == 1,
            WithinProbe, "primary with one standby, standby in recovery");

        Assert.Equal(1, samples.Value("drsentinel_postgres_probe_up", Db("pyairtable-primary"), ("az", "eu-central-1a")));
        Assert.Equal(0, samples.Value("drsentinel_postgres_in_recovery", Db("pyairtable-primary")));
        Assert.NotNull(samples.Value("drsentinel_postgres_replica_lag_bytes", Db("pyairtable-primary"), ("replica", PostgresServers.StandbyName)));
        Assert.NotNull(samples.Value("drsentinel_postgres_replica_lag_seconds", Db("pyairtable-primary"), ("replica", PostgresServers.StandbyName)));
        Assert.InRange(samples.Value("drsentinel_postgres_replication_lag_seconds", Db("pyairtable-read-replica"))!.Value, 0, 60);
        Assert.Equal(1, samples.Value("drsentinel_postgres_wal_receiver_up", Db("pyairtable-read-replica")));
        Assert.Equal(1, samples.Value("drsentinel_rds_instance_read_replicas", Db("pyairtable-primary")));
        Assert.Equal(1, samples.Value("drsentinel_postgres_probe_configured", Db("pyairtable-read-replica")));
        Assert.Equal(1, samples.Value("drsentinel_source_up", ("source", "probe_postgres")));
    }

    [Fact]
    public async Task StalledWalReceiver_LagInBytesGrowsWhileReplayStandsStill_ThoughTheStandbySaysItStreams()
    {
        await _postgres.WriteAsync(1); // a replayed transaction, so the standby has a last replay time
        var before = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_replication_lag_bytes", Db("pyairtable-read-replica")) == 0,
            WithinProbe, "standby caught up");
        await _postgres.StallWalReceiverAsync();
        var replayedBefore = (await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_replay_lsn_bytes", Db("pyairtable-read-replica")) is not null,
            WithinProbe, "replay position")).Value("drsentinel_postgres_replay_lsn_bytes", Db("pyairtable-read-replica"));

        await _postgres.WriteAsync(20_000);

        var samples = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_replication_lag_bytes", Db("pyairtable-read-replica")) > 100_000,
            WithinProbe, "the stalled standby measured behind");
        Assert.Equal(replayedBefore, samples.Value("drsentinel_postgres_replay_lsn_bytes", Db("pyairtable-read-replica")));
        Assert.True(samples.Value("drsentinel_postgres_replication_lag_seconds", Db("pyairtable-read-replica")) > 0);
        Assert.Equal(1, samples.Value("drsentinel_postgres_wal_receiver_up", Db("pyairtable-read-replica"))); // the standby's own, wrong, view

        await _postgres.ResumeWalReceiverAsync();
        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_replication_lag_bytes", Db("pyairtable-read-replica")) == 0,
            TimeSpan.FromSeconds(30), "caught up after the receiver resumes");
        Assert.NotNull(before);
    }

    [Fact]
    public async Task KilledStandby_ShowsWithinOneProbeInterval()
    {
        await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_connected_replicas", Db("pyairtable-primary")) == 1, WithinProbe, "one standby");

        await _postgres.KillStandbyAsync();

        var samples = await _host.ScrapeUntilAsync(s => s.Value("drsentinel_postgres_probe_up", Db("pyairtable-read-replica")) == 0
                                                        && s.Value("drsentinel_postgres_connected_replicas", Db("pyairtable-primary")) == 0,
            WithinProbe, "standby down and the primary without replicas");
        Assert.Equal(1, samples.Value("drsentinel_postgres_probe_up", Db("pyairtable-primary")));
        Assert.Null(samples.Value("drsentinel_postgres_in_recovery", Db("pyairtable-read-replica")));
    }
}
