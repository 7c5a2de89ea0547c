using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DrSentinel.Inventory.Probes;

/// <summary>
/// Connects to every PostgreSQL instance RDS reports, as the workloads do, because RDS can say "available" while the
/// endpoint is unreachable from the cluster. Reads whether it is in recovery and how far behind replication is.
/// </summary>
public sealed class PostgresProbeSource(IOptions<ProbeOptions> options) : IInventorySource
{
    private const string RoleQuery = """
        SELECT pg_is_in_recovery(),
               CASE WHEN NOT pg_is_in_recovery() THEN NULL
                    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                    ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END::float8
        """;

    private const string ReplicasQuery = """
        SELECT application_name, EXTRACT(EPOCH FROM replay_lag)::float8, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8
        FROM pg_stat_replication ORDER BY application_name
        """;

    public string Name => "probe_postgres";
    public TimeSpan Interval => options.Value.Interval;

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var settings = options.Value.Postgres;
        var password = Endpoint.Secret(settings.Password, settings.PasswordFile);
        var probes = current.DbInstances
            .Where(d => d.Engine.Contains("postgres", StringComparison.OrdinalIgnoreCase))
            .Select(d => (Instance: d, Endpoint: Endpoint.Resolve(settings.Endpoints, d.Id, d.EndpointAddress, d.EndpointPort)))
            .Where(t => t.Endpoint is not null)
            .Select(t => ProbeAsync(t.Instance, t.Endpoint!.Value, settings, password, cancel));
        var results = (await Task.WhenAll(probes)).ToImmutableArray();
        return snapshot => snapshot with { PostgresProbes = results };
    }

    private async Task<PostgresProbeResult> ProbeAsync(DbInstanceState instance, (string Host, int Port) endpoint, PostgresProbeOptions settings,
        string? password, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
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
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync(deadline.Token);
            bool inRecovery;
            double? replayLag;
            await using (var role = new NpgsqlCommand(RoleQuery, db))
            await using (var reader = await role.ExecuteReaderAsync(deadline.Token))
            {
                await reader.ReadAsync(deadline.Token);
                inRecovery = reader.GetBoolean(0);
                replayLag = reader.IsDBNull(1) ? null : reader.GetDouble(1);
            }
            var replicas = ImmutableArray<PostgresReplicaLag>.Empty;
            if (!inRecovery)
            {
                await using var command = new NpgsqlCommand(ReplicasQuery, db);
                await using var reader = await command.ExecuteReaderAsync(deadline.Token);
                var builder = ImmutableArray.CreateBuilder<PostgresReplicaLag>();
                while (await reader.ReadAsync(deadline.Token))
                    builder.Add(new PostgresReplicaLag(reader.IsDBNull(0) ? "unnamed" : reader.GetString(0),
                        reader.IsDBNull(1) ? 0 : reader.GetDouble(1), reader.IsDBNull(2) ? null : reader.GetDouble(2)));
                replicas = builder.ToImmutable();
            }
            return new PostgresProbeResult(instance.Id, instance.Zone, true, inRecovery, replayLag, replicas, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException
                                      && !cancel.IsCancellationRequested)
        {
            return new PostgresProbeResult(instance.Id, instance.Zone, false, null, null, [], Stopwatch.GetElapsedTime(started));
        }
    }
}
