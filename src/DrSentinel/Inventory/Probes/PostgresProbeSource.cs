using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DrSentinel.Inventory.Probes;

/// <summary>
/// Connects to every PostgreSQL instance RDS reports, as the workloads do, because RDS can say "available" while the
/// endpoint is unreachable from the cluster. Reads whether it is in recovery, its WAL position and how its replication is.
/// </summary>
public sealed partial class PostgresProbeSource(IOptions<ProbeOptions> options, TimeProvider time, ILogger<PostgresProbeSource> logger) : IInventorySource
{
    // On a primary: where it writes. On a replica: where it has replayed to, the age of that replay, and whether its WAL
    // receiver streams (no row: no receiver). Positions as bytes from 0/0, so two instances' can be subtracted.
    private const string RoleQuery = """
        SELECT pg_is_in_recovery(),
               pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, '0/0')::bigint,
               CASE WHEN pg_is_in_recovery() THEN EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 END,
               CASE WHEN pg_is_in_recovery() THEN coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1), false) END
        """;

    private const string ReplicasQuery = """
        SELECT application_name, EXTRACT(EPOCH FROM replay_lag)::float8, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8
        FROM pg_stat_replication ORDER BY application_name
        """;

    public const string SourceName = "probe_postgres";
    public string Name => SourceName;
    public TimeSpan Interval => options.Value.Interval;

    /// <summary>The PostgreSQL instances of the snapshot and where each is probed (null: no endpoint known).</summary>
    public static IEnumerable<(DbInstanceState Instance, (string Host, int Port)? Endpoint)> Targets(InventorySnapshot snapshot, PostgresProbeOptions settings) =>
        snapshot.DbInstances
            .Where(d => d.Engine.Contains("postgres", StringComparison.OrdinalIgnoreCase))
            .Select(d => (d, Endpoint.Resolve(settings.Endpoints, d.Id, d.EndpointAddress, d.EndpointPort)));

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var settings = options.Value.Postgres;
        var password = Endpoint.Secret(settings.PasswordFile);
        var probes = Targets(current, settings)
            .Where(t => t.Endpoint is not null)
            .Select(t => ProbeAsync(t.Instance, t.Endpoint!.Value, settings, password, cancel));
        var results = (await Task.WhenAll(probes)).ToImmutableArray();
        return snapshot => snapshot with { PostgresProbes = results };
    }

    private async Task<PostgresProbeResult> ProbeAsync(DbInstanceState instance, (string Host, int Port) endpoint, PostgresProbeOptions settings,
        string? password, CancellationToken cancel)
    {
        var started = time.GetTimestamp();
        var timeout = options.Value.Timeout;
        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = endpoint.Host,
            Port = endpoint.Port,
            Database = settings.Database,
            Username = settings.Username,
            Password = password,
            SslMode = Enum.Parse<SslMode>(settings.SslMode, ignoreCase: true),
            Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            Pooling = false, // a fresh connection each time: reachability is what is being measured
            ApplicationName = "drsentinel-probe",
        }.ConnectionString;
        using var probeTimeout = new CancellationTokenSource(timeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel, probeTimeout.Token);
        var query = QueryAsync(connection, deadline.Token);
        try
        {
            // Npgsql does not always give up at the token while a server hangs mid-handshake (its own connect timeout is whole
            // seconds): the probe stops waiting at its timeout regardless, so one hung endpoint cannot stall the others' results.
            var (inRecovery, position, replayAge, streaming, replicas) = await query.WaitAsync(timeout, time, cancel);
            return new PostgresProbeResult(instance.Id, instance.Zone, true, inRecovery, position, replayAge, streaming, replicas, time.GetElapsedTime(started));
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException
                                      && !cancel.IsCancellationRequested)
        {
            _ = query.ContinueWith(abandoned => abandoned.Exception, TaskScheduler.Default); // observed: it ends at Npgsql's own timeout
            var failure = ProbeFailures.Classify(e);
            LogProbeFailed(logger, e, instance.Id, instance.Zone, endpoint.Host, endpoint.Port, failure.Label());
            return new PostgresProbeResult(instance.Id, instance.Zone, false, null, null, null, null, [], time.GetElapsedTime(started), failure);
        }
    }

    private static async Task<(bool InRecovery, ulong? Position, double? ReplayAge, bool? Streaming, ImmutableArray<PostgresReplicaLag> Replicas)> QueryAsync(
        string connection, CancellationToken cancel)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync(cancel);
        bool inRecovery;
        ulong? position;
        double? replayAge;
        bool? streaming;
        await using (var role = new NpgsqlCommand(RoleQuery, db))
        await using (var reader = await role.ExecuteReaderAsync(cancel))
        {
            await reader.ReadAsync(cancel);
            inRecovery = reader.GetBoolean(0);
            position = reader.IsDBNull(1) ? null : (ulong)reader.GetInt64(1);
            replayAge = reader.IsDBNull(2) ? null : reader.GetDouble(2);
            streaming = reader.IsDBNull(3) ? null : reader.GetBoolean(3);
        }
        if (inRecovery) return (true, position, replayAge, streaming, []);
        await using var command = new NpgsqlCommand(ReplicasQuery, db);
        await using var rows = await command.ExecuteReaderAsync(cancel);
        var replicas = ImmutableArray.CreateBuilder<PostgresReplicaLag>();
        while (await rows.ReadAsync(cancel))
            replicas.Add(new PostgresReplicaLag(rows.IsDBNull(0) ? "unnamed" : rows.GetString(0),
                rows.IsDBNull(1) ? 0 : rows.GetDouble(1), rows.IsDBNull(2) ? null : rows.GetDouble(2)));
        return (false, position, replayAge, streaming, replicas.ToImmutable());
    }

    [LoggerMessage(EventId = EventIds.PostgresProbeFailed, Level = LogLevel.Warning,
        Message = "PostgreSQL probe of {DbInstance} in {Az} at {Host}:{Port} failed ({Reason})")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string dbInstance, string? az, string host, int port, string reason);
}
