using System.Globalization;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>The sandbox region whose database endpoints are real servers: Redis primary and two replicas, a PostgreSQL primary and standby.</summary>
public sealed class ProbedRegion : IAsyncDisposable
{
    private ProbedRegion(SandboxServer sandbox, RedisServers redis, PostgresServers postgres, DrSentinelHost host) =>
        (Sandbox, Redis, Postgres, Host) = (sandbox, redis, postgres, host);

    public SandboxServer Sandbox { get; }
    public RedisServers Redis { get; }
    public PostgresServers Postgres { get; }
    /// <summary>DrSentinel watching the sandbox and probing the real servers, once all probe series are present.</summary>
    public DrSentinelHost Host { get; }

    public static async Task<ProbedRegion> StartAsync()
    {
        List<IAsyncDisposable> started = [];
        try
        {
            var sandbox = await Sandboxes.StartAsync();
            started.Add(sandbox);
            var redis = await RedisServers.StartAsync(replicas: 2);
            started.Add(redis);
            var postgres = await PostgresServers.StartAsync();
            started.Add(postgres);
            var host = await DrSentinelHost.StartAsync(sandbox, [.. RedisSettings(redis), .. PostgresSettings(postgres)]);
            started.Add(host);
            await host.ScrapeUntilAsync(s => s.Named("drsentinel_redis_replication_lag_bytes").Any() && s.Named("drsentinel_postgres_replica_lag_bytes").Any(),
                TimeSpan.FromSeconds(10), "probe series present");
            return new ProbedRegion(sandbox, redis, postgres, host);
        }
        catch
        {
            // What started before the failure must not outlive the test.
            foreach (var server in Enumerable.Reverse(started)) await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Redis probes on, the default topology's three members mapped to the real servers.</summary>
    public static string[] RedisSettings(RedisServers redis) =>
    [
        "--Probes:Redis:Enabled=true",
        .. redis.Ports.Select((port, i) => $"--Probes:Redis:Endpoints:pyairtable-redis-00{i + 1}=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"),
    ];

    /// <summary>PostgreSQL probes on, the primary and the read replica mapped to the real primary and standby.</summary>
    public static string[] PostgresSettings(PostgresServers postgres) =>
    [
        "--Probes:Postgres:Enabled=true",
        "--Probes:Postgres:Username=postgres",
        "--Probes:Postgres:SslMode=Disable",
        $"--Probes:Postgres:Endpoints:pyairtable-primary=127.0.0.1:{postgres.PrimaryPort.ToString(CultureInfo.InvariantCulture)}",
        $"--Probes:Postgres:Endpoints:pyairtable-read-replica=127.0.0.1:{postgres.StandbyPort.ToString(CultureInfo.InvariantCulture)}",
    ];

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Postgres.DisposeAsync();
        await Redis.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
