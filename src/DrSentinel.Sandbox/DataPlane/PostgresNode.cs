using System.Globalization;
using Npgsql;

namespace DrSentinel.Sandbox.DataPlane;

/// <summary>What a PostgreSQL server says of itself.</summary>
public sealed record PostgresNodeState(bool InRecovery, bool Streaming);

/// <summary>
/// One real PostgreSQL server of the data plane (Debian's postgresql), run as a child process so it ends with the
/// sandbox. A primary is made by initdb; a standby by pg_basebackup from its upstream, then streams through a link proxy.
/// </summary>
public sealed class PostgresNode(string name, string zone, string binDirectory, string directory, int port) : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private ServerProcess? _server;

    public string Name { get; } = name;
    public string Zone { get; } = zone;
    public int Port { get; } = port;
    private string Data => Path.Combine(directory, "data");
    private string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=3;Command Timeout=5";

    public async Task InitPrimaryAsync(CancellationToken cancel)
    {
        Directory.CreateDirectory(directory);
        await OwnAsync(cancel);
        await ServerProcess.RunAsync(Tool("initdb"), ["-D", Data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"], CommandTimeout, cancel, asPostgres: true);
        await File.AppendAllTextAsync(Path.Combine(Data, "postgresql.conf"), Config(null), cancel);
        await StartAsync(cancel);
        // The user DrSentinel's probes log in as: pg_monitor reads other sessions' replication state. Replicates to every standby.
        await ExecuteAsync("CREATE ROLE drsentinel LOGIN IN ROLE pg_monitor");
    }

    /// <summary>A standby copied from <paramref name="sourcePort"/> (a server's own port), then streaming through <paramref name="upstreamPort"/>.</summary>
    public async Task InitStandbyAsync(int sourcePort, int upstreamPort, CancellationToken cancel)
    {
        Directory.CreateDirectory(directory);
        await OwnAsync(cancel);
        await ServerProcess.RunAsync(Tool("pg_basebackup"), ["-h", "127.0.0.1", "-p", sourcePort.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
            "-D", Data, "-X", "stream", "--no-sync"], CommandTimeout, cancel, asPostgres: true);
        await File.AppendAllTextAsync(Path.Combine(Data, "postgresql.conf"), Config(upstreamPort), cancel);
        await ServerProcess.RunAsync("touch", [Path.Combine(Data, "standby.signal")], CommandTimeout, cancel, asPostgres: true);
        await StartAsync(cancel);
    }

    /// <summary>Throws the data away and copies it again from the current primary: how an old primary rejoins as a standby.</summary>
    public async Task RebuildAsStandbyAsync(int sourcePort, int upstreamPort, CancellationToken cancel)
    {
        await StopAsync();
        if (Directory.Exists(Data)) Directory.Delete(Data, recursive: true);
        await InitStandbyAsync(sourcePort, upstreamPort, cancel);
    }

    /// <summary>False once its process has exited (killed, crashed): the data plane then starts it again.</summary>
    public bool Running => _server is { HasExited: false };

    /// <summary>Starts the server again on its own data, as a host that comes back does.</summary>
    public async Task RestartAsync(CancellationToken cancel)
    {
        await StopAsync();
        await StartAsync(cancel);
    }

    public Task PromoteAsync() => ExecuteAsync("SELECT pg_promote(wait => true)");

    /// <summary>The server's own view, or null when it does not answer.</summary>
    public async Task<PostgresNodeState?> StateAsync(CancellationToken cancel)
    {
        try
        {
            await using var db = new NpgsqlConnection(ConnectionString);
            await db.OpenAsync(cancel);
            await using var command = new NpgsqlCommand(
                "SELECT pg_is_in_recovery(), coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1), false)", db);
            await using var reader = await command.ExecuteReaderAsync(cancel);
            await reader.ReadAsync(cancel);
            return new PostgresNodeState(reader.GetBoolean(0), reader.GetBoolean(1));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            return null;
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    private string Config(int? upstreamPort)
    {
        // Dynamic shared memory in the data directory (pg_dynshmem), which goes with it, not in /dev/shm, where a killed
        // server leaves its segments behind.
        var lines = $"""

            listen_addresses = '127.0.0.1'
            port = {Port}
            unix_socket_directories = '{directory}'
            wal_level = replica
            max_wal_senders = 10
            wal_keep_size = '256MB'
            hot_standby = on
            fsync = off
            wal_receiver_timeout = '60s'
            wal_sender_timeout = '60s'
            dynamic_shared_memory_type = mmap
            """;
        // Through the link proxy, so a zone failure cuts replication as it cuts the network.
        if (upstreamPort is { } upstream)
            lines += $"\nprimary_conninfo = 'host=127.0.0.1 port={upstream} user=postgres application_name={Name} connect_timeout=5'\n";
        return lines + "\n";
    }

    private async Task StartAsync(CancellationToken cancel)
    {
        await StopAsync();
        _server = ServerProcess.Start(Tool("postgres"), ["-D", Data], Path.Combine(directory, "server.log"), asPostgres: true);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(CommandTimeout);
        try
        {
            while (await StateAsync(deadline.Token) is null)
            {
                if (_server.HasExited) throw new InvalidOperationException($"PostgreSQL {Name} exited at start ({_server.LogPath}):\n{_server.LogTail()}");
                await Task.Delay(100, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"PostgreSQL {Name} did not answer after its start ({_server.LogPath}):\n{_server.LogTail()}");
        }
    }

    /// <summary>Kills the server and all its processes at once, as a host that loses power: its shared memory goes too.</summary>
    public async Task StopAsync()
    {
        if (_server is null) return;
        await _server.DisposeAsync();
        _server = null;
        await ReleaseSharedMemoryAsync();
    }

    /// <summary>
    /// The System V segment a killed postmaster leaves behind (its key and id on postmaster.pid's seventh line). Left, they
    /// pile up to the kernel's limit (kernel.shmmni, 4096) over many runs, and then no PostgreSQL starts on the machine.
    /// </summary>
    private async Task ReleaseSharedMemoryAsync()
    {
        var pidFile = Path.Combine(Data, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        var lines = await File.ReadAllLinesAsync(pidFile);
        if (lines.Length < 7 || lines[6].Split(' ', StringSplitOptions.RemoveEmptyEntries) is not [_, var id]) return;
        try
        {
            await ServerProcess.RunAsync("ipcrm", ["-m", id], CommandTimeout, CancellationToken.None, asPostgres: true);
        }
        catch (InvalidOperationException)
        {
            // already removed (a restart on this data reclaims it too)
        }
    }

    private Task OwnAsync(CancellationToken cancel) => ServerProcess.IsRoot
        ? ServerProcess.RunAsync("chown", ["-R", "postgres:postgres", directory], CommandTimeout, cancel)
        : Task.CompletedTask;

    private string Tool(string name) => Path.Combine(binDirectory, name);

    public async ValueTask DisposeAsync() => await StopAsync();
}
