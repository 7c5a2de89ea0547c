using System.Globalization;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;
using Npgsql;

namespace DrSentinel.IntegrationTests.Sandbox;

/// <summary>
/// The sandbox's data plane: real PostgreSQL and Redis servers behind the endpoints the Describe calls report, reached
/// through proxies the region controls, with failovers that really promote.
/// </summary>
[LongRunning(100)]
public sealed class DataPlaneTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;
    private AwsClients _aws = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartWithDataPlaneAsync(speed: 100);
        _aws = new AwsClients(_sandbox);
    }

    public async Task DisposeAsync()
    {
        _aws.Dispose();
        await _sandbox.DisposeAsync();
    }

    private int ServerPort(string name) => _sandbox.DataPlane!.Servers().Single(s => s.Name == name).Port;

    private async Task<(string Host, int Port)> RdsEndpointAsync(string id)
    {
        var instance = Assert.Single(await _aws.Rds.DescribeDbInstancesAsync(id, CancellationToken.None));
        return (instance.EndpointAddress!, instance.EndpointPort!.Value);
    }

    private static async Task<T?> QueryAsync<T>(int port, string sql)
    {
        await using var db = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=3");
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        return (T?)await command.ExecuteScalarAsync();
    }

    private static async Task<T?> TryQueryAsync<T>(int port, string sql)
    {
        try
        {
            return await QueryAsync<T>(port, sql);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidCastException)
        {
            return default;
        }
    }

    private static async Task<string> RedisAsync(int port, params string[] command)
    {
        var result = await ExternalProcess.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. command],
            TimeSpan.FromSeconds(10));
        return result.Output.Trim();
    }

    [Fact]
    public async Task GrayFailureOfEachZone_DrSentinelsProbesSeeExactlyThatZonesMembersUnreachable_WhileTheControlPlaneStaysHealthy()
    {
        await using var host = await DrSentinelHost.StartAsync(_sandbox, "--Probes:Postgres:Enabled=true", "--Probes:Redis:Enabled=true");
        static IEnumerable<Sample> Probes(IReadOnlyList<Sample> s) => s.Named("drsentinel_postgres_probe_up").Concat(s.Named("drsentinel_redis_probe_up"));
        await host.ScrapeUntilAsync(s => Probes(s).Count() == 5 && Probes(s).All(p => p.Value == 1), Deadline, "every member probed and up, found from Describe");
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };

        foreach (var zone in new[] { "eu-central-1a", "eu-central-1b", "eu-central-1c" })
        {
            (await control.PostAsync($"sandbox/zones/{zone}/fail?mode=gray", null)).EnsureSuccessStatusCode();

            IReadOnlyList<Sample> samples;
            try
            {
                samples = await host.ScrapeUntilAsync(s => Probes(s).All(p => p.Value == (p["az"] == zone ? 0 : 1)), Deadline,
                    $"exactly the members in {zone} unreachable");
            }
            catch (TimeoutException e)
            {
                var last = string.Join("\n", Probes(await host.ScrapeAsync()).Select(p => $"{p.Name} {p["db_instance"]}{p["cache_cluster"]} {p["az"]} {p.Value}"));
                throw new TimeoutException($"{e.Message}\n{last}\n{host.Log[^Math.Min(host.Log.Length, 3000)..]}", e);
            }
            Assert.Contains(Probes(samples), p => p["az"] == zone);
            Assert.All(samples.Named("drsentinel_az_status").Where(z => z["status"] == "healthy"), z => Assert.Equal(1, z.Value));
            Assert.Equal(1, samples.Value("drsentinel_rds_instance_placement", ("db_instance", "pyairtable-primary"), ("role", "primary"), ("az", "eu-central-1a")));
            Assert.Equal(1, samples.Value("drsentinel_rds_instance_available", ("db_instance", "pyairtable-primary")));

            (await control.PostAsync($"sandbox/zones/{zone}/recover", null)).EnsureSuccessStatusCode();
            await host.ScrapeUntilAsync(s => Probes(s).All(p => p.Value == 1), Deadline, $"{zone} reachable again");
        }
    }

    [Fact]
    public async Task ForcedRdsFailover_PromotesTheRealStandby_AndDataWrittenBeforeIsReadableThroughTheSameEndpoint()
    {
        var (_, port) = await RdsEndpointAsync("pyairtable-primary");
        var (standby, oldPrimary) = (ServerPort("pyairtable-primary-b"), ServerPort("pyairtable-primary-a"));
        Assert.Equal(oldPrimary, await QueryAsync<int>(port, "SELECT inet_server_port()"));
        await QueryAsync<object>(port, "CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 1000)");
        await Poll.UntilAsync(() => TryQueryAsync<long>(standby, "SELECT count(*) FROM orders"), n => n == 1000, Deadline, "rows replicated to the standby");

        await _aws.Rds.RebootDbInstanceAsync("pyairtable-primary", forceFailover: true, CancellationToken.None);
        await Poll.UntilAsync(async () => Assert.Single(await _aws.Rds.DescribeDbInstancesAsync("pyairtable-primary", CancellationToken.None)),
            d => d is { Status: "available", AvailabilityZone: "eu-central-1b", SecondaryAvailabilityZone: "eu-central-1a" }, Deadline, "RDS reports the failover");

        await Poll.UntilAsync(() => TryQueryAsync<int>(port, "SELECT inet_server_port()"), p => p == standby, Deadline, "the endpoint leads to the promoted standby");
        Assert.False(await QueryAsync<bool>(port, "SELECT pg_is_in_recovery()"));
        Assert.Equal(1000, await QueryAsync<long>(port, "SELECT count(*) FROM orders"));
        // The old primary comes back as a standby of the new one, and the read replica follows the new primary.
        await Poll.UntilAsync(() => TryQueryAsync<bool>(oldPrimary, "SELECT pg_is_in_recovery()"), r => r, Deadline, "old primary rebuilt as a standby");
        await QueryAsync<object>(port, "INSERT INTO orders VALUES (1001)");
        var (_, replica) = await RdsEndpointAsync("pyairtable-read-replica");
        await Poll.UntilAsync(() => TryQueryAsync<long>(replica, "SELECT count(*) FROM orders"), n => n == 1001, Deadline, "the read replica follows the new primary");
        await Poll.UntilAsync(() => TryQueryAsync<long>(oldPrimary, "SELECT count(*) FROM orders"), n => n == 1001, Deadline, "the rebuilt old primary streams");
    }

    [Fact]
    public async Task ElastiCacheFailover_PromotesTheRealReplica_AndTheOthersFollowIt()
    {
        var group = Assert.Single(await _aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None));
        var primaryEndpoint = group.NodeGroups.Single().PrimaryEndpointPort!.Value;
        Assert.Equal("OK", await RedisAsync(primaryEndpoint, "SET", "order:1", "paid"));
        var members = group.NodeGroups.Single().Members.ToDictionary(m => m.CacheClusterId, m => m.ReadEndpointPort!.Value);
        foreach (var port in members.Values)
            await Poll.UntilAsync(() => RedisAsync(port, "GET", "order:1"), v => v == "paid", Deadline, "the key on every member");

        await _aws.ElastiCache.TestFailoverAsync("pyairtable-redis", "0001", CancellationToken.None);
        var after = await Poll.UntilAsync(async () => Assert.Single(await _aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None)),
            g => g.Status == "available" && g.NodeGroups.Single().Members.Single(m => m.CurrentRole == "primary").CacheClusterId != "pyairtable-redis-001",
            Deadline, "ElastiCache reports a new primary");
        var promoted = after.NodeGroups.Single().Members.Single(m => m.CurrentRole == "primary").CacheClusterId;

        await Poll.UntilAsync(() => RedisAsync(primaryEndpoint, "INFO", "server"), info => info.Contains($"tcp_port:{ServerPort(promoted)}", StringComparison.Ordinal),
            Deadline, "the primary endpoint leads to the promoted member");
        Assert.Contains("role:master", await RedisAsync(members[promoted], "INFO", "replication"), StringComparison.Ordinal);
        Assert.Equal("paid", await RedisAsync(primaryEndpoint, "GET", "order:1"));
        Assert.Equal("OK", await RedisAsync(primaryEndpoint, "SET", "order:2", "shipped"));
        foreach (var (member, port) in members.Where(m => m.Key != promoted))
        {
            await Poll.UntilAsync(() => RedisAsync(port, "INFO", "replication"), info => info.Contains("role:slave", StringComparison.Ordinal)
                && info.Contains("master_link_status:up", StringComparison.Ordinal), Deadline, $"{member} replicates from the new primary");
            await Poll.UntilAsync(() => RedisAsync(port, "GET", "order:2"), v => v == "shipped", Deadline, $"{member} has the write made after the failover");
        }
    }

    private async Task ControlAsync(string path)
    {
        using var control = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await control.PostAsync(path, null)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task WritesTheOldPrimaryAcknowledgedButNeverReplicated_AreLostAfterTheZoneFailover_AsData()
    {
        var (_, port) = await RdsEndpointAsync("pyairtable-primary");
        var (standby, oldPrimary) = (ServerPort("pyairtable-primary-b"), ServerPort("pyairtable-primary-a"));
        await QueryAsync<object>(port, "CREATE TABLE payments (id int); INSERT INTO payments SELECT generate_series(1, 100)");
        await Poll.UntilAsync(() => TryQueryAsync<long>(standby, "SELECT count(*) FROM payments"), n => n == 100, Deadline, "first rows replicated");

        // The standby's zone is cut off: the primary goes on acknowledging writes it can no longer replicate.
        await ControlAsync("sandbox/zones/eu-central-1b/fail?mode=gray");
        await QueryAsync<object>(port, "INSERT INTO payments SELECT generate_series(101, 150)");
        Assert.Equal(150, await QueryAsync<long>(port, "SELECT count(*) FROM payments"));
        // Then the primary's zone loses power, and the standby's comes back: RDS fails over to what the standby has.
        await ControlAsync("sandbox/zones/eu-central-1a/fail?mode=hard");
        await ControlAsync("sandbox/zones/eu-central-1b/recover");

        await Poll.UntilAsync(() => TryQueryAsync<int>(port, "SELECT inet_server_port()"), p => p == standby, Deadline, "the endpoint leads to the promoted standby");
        Assert.Equal(100, await QueryAsync<long>(port, "SELECT count(*) FROM payments")); // 50 acknowledged writes lost
        await ControlAsync("sandbox/zones/eu-central-1a/recover");
        await Poll.UntilAsync(() => TryQueryAsync<bool>(oldPrimary, "SELECT pg_is_in_recovery()"), r => r, Deadline, "old primary rebuilt as a standby");
        Assert.Equal(100, await QueryAsync<long>(oldPrimary, "SELECT count(*) FROM payments")); // its unreplicated rows went with the rebuild
    }

    [Fact]
    public async Task RedisWritesNeverReplicated_AreLostWhenElastiCacheFailsOverByItself()
    {
        var group = Assert.Single(await _aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None));
        var primaryEndpoint = group.NodeGroups.Single().PrimaryEndpointPort!.Value;
        var members = group.NodeGroups.Single().Members.ToDictionary(m => m.CacheClusterId, m => m.ReadEndpointPort!.Value);
        Assert.Equal("OK", await RedisAsync(primaryEndpoint, "SET", "before", "kept"));
        foreach (var port in members.Values) await Poll.UntilAsync(() => RedisAsync(port, "GET", "before"), v => v == "kept", Deadline, "replicated");

        await ControlAsync("sandbox/zones/eu-central-1b/fail?mode=gray");
        await ControlAsync("sandbox/zones/eu-central-1c/fail?mode=gray");
        Assert.Equal("OK", await RedisAsync(primaryEndpoint, "SET", "during", "acknowledged"));
        await ControlAsync("sandbox/zones/eu-central-1a/fail?mode=hard");
        await ControlAsync("sandbox/zones/eu-central-1b/recover");
        await ControlAsync("sandbox/zones/eu-central-1c/recover");

        var promoted = (await Poll.UntilAsync(async () => Assert.Single(await _aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None)),
            g => g.Status == "available" && g.NodeGroups.Single().Members.Single(m => m.CurrentRole == "primary").AvailabilityZone != "eu-central-1a",
            Deadline, "ElastiCache fails over by itself")).NodeGroups.Single().Members.Single(m => m.CurrentRole == "primary").CacheClusterId;
        await Poll.UntilAsync(() => RedisAsync(primaryEndpoint, "INFO", "server"), info => info.Contains($"tcp_port:{ServerPort(promoted)}", StringComparison.Ordinal),
            Deadline, "the primary endpoint leads to the promoted replica");
        Assert.Equal("kept", await RedisAsync(primaryEndpoint, "GET", "before"));
        Assert.Equal("", await RedisAsync(primaryEndpoint, "GET", "during"));
        await ControlAsync("sandbox/zones/eu-central-1a/recover");
        await Poll.UntilAsync(() => RedisAsync(members["pyairtable-redis-001"], "INFO", "replication"),
            info => info.Contains("role:slave", StringComparison.Ordinal) && info.Contains("master_link_status:up", StringComparison.Ordinal), Deadline,
            "the old primary rejoins as a replica");
        Assert.Equal("", await RedisAsync(members["pyairtable-redis-001"], "GET", "during"));
    }

    /// <summary>The System V shared memory segments that exist now, by id (/proc/sysvipc/shm).</summary>
    private static HashSet<string> SharedMemorySegments() =>
        [.. File.ReadLines("/proc/sysvipc/shm").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])];

    /// <summary>
    /// Every server is killed at the end, as a host losing power; what PostgreSQL keeps outside its data must go with it,
    /// or after enough runs the kernel's segment limit is reached and no PostgreSQL starts on the machine.
    /// </summary>
    [Fact]
    public async Task Disposed_ThePostgresServersLeaveNoSharedMemory()
    {
        var ids = new List<string>();
        foreach (var server in _sandbox.DataPlane!.Servers().Where(s => s.Engine == "postgres"))
        {
            var data = await QueryAsync<string>(server.Port, "SHOW data_directory");
            ids.Add((await File.ReadAllLinesAsync(Path.Combine(data!, "postmaster.pid")))[6].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        Assert.NotEmpty(ids);
        Assert.Subset(SharedMemorySegments(), ids.ToHashSet());

        await _sandbox.DisposeAsync();

        Assert.Empty(ids.Intersect(SharedMemorySegments()));
    }

    [Fact]
    public async Task KilledServer_IsStartedAgain_AndRejoinsItsReplicationGroup()
    {
        var replica = ServerPort("pyairtable-redis-003");
        var pid = (await RedisAsync(replica, "INFO", "server")).Split('\n').Single(l => l.StartsWith("process_id:", StringComparison.Ordinal))["process_id:".Length..].Trim();

        await ExternalProcess.RunAsync("kill", ["-KILL", pid], TimeSpan.FromSeconds(5));
        var group = Assert.Single(await _aws.ElastiCache.DescribeReplicationGroupsAsync("pyairtable-redis", CancellationToken.None));
        Assert.Equal("OK", await RedisAsync(group.NodeGroups.Single().PrimaryEndpointPort!.Value, "SET", "after-restart", "yes"));

        await Poll.UntilAsync(() => RedisAsync(replica, "GET", "after-restart"), v => v == "yes", Deadline, "the killed replica back and replicating");
        Assert.DoesNotContain($"process_id:{pid}", await RedisAsync(replica, "INFO", "server"), StringComparison.Ordinal);
    }
}
