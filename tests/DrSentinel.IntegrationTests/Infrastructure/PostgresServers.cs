using System.Globalization;
using Npgsql;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>
/// A real PostgreSQL 15 primary with a streaming standby (Debian's postgresql), on loopback ports. PostgreSQL refuses
/// to run as root, so under root (CI) every server command runs as the package's postgres user.
/// </summary>
public sealed class PostgresServers : IAsyncDisposable
{
    public const string StandbyName = "pyairtable-read-replica";
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(60);
    private readonly string _directory;

    private int? _stalledReceiver;

    private PostgresServers(string directory) => _directory = directory;

    public int PrimaryPort { get; private set; }
    public int StandbyPort { get; private set; }
    private string PrimaryData => Path.Combine(_directory, "primary");
    private string StandbyData => Path.Combine(_directory, "standby");

    public static async Task<PostgresServers> StartAsync()
    {
        var servers = new PostgresServers(Directory.CreateTempSubdirectory("drsentinel-pg-").FullName);
        try
        {
            if (Environment.UserName == "root") await RunAsync("chown", "postgres:postgres", servers._directory);
            servers.PrimaryPort = FreePort.Next();
            await AsServerUserAsync("initdb", "-D", servers.PrimaryData, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8");
            await AppendConfigAsync(servers.PrimaryData, $"""
                listen_addresses = '127.0.0.1'
                port = {servers.PrimaryPort}
                unix_socket_directories = '{servers._directory}'
                wal_level = replica
                max_wal_senders = 5
                fsync = off
                """);
            await AsServerUserAsync("pg_ctl", "-D", servers.PrimaryData, "-l", Path.Combine(servers._directory, "primary.log"), "-w", "start");

            servers.StandbyPort = FreePort.Next();
            await AsServerUserAsync("pg_basebackup", "-h", "127.0.0.1", "-p", servers.PrimaryPort.ToString(CultureInfo.InvariantCulture),
                "-U", "postgres", "-D", servers.StandbyData, "-X", "stream", "--no-sync");
            await AppendConfigAsync(servers.StandbyData, $"""
                port = {servers.StandbyPort}
                hot_standby = on
                primary_conninfo = 'host=127.0.0.1 port={servers.PrimaryPort} user=postgres application_name={StandbyName}'
                """);
            await AsServerUserAsync("touch", Path.Combine(servers.StandbyData, "standby.signal"));
            await AsServerUserAsync("pg_ctl", "-D", servers.StandbyData, "-l", Path.Combine(servers._directory, "standby.log"), "-w", "start");
            await Poll.UntilAsync(async () => await servers.StreamingStandbysAsync(), n => n == 1, TimeSpan.FromSeconds(30), "standby streaming");
            return servers;
        }
        catch
        {
            await servers.DisposeAsync(); // a primary started before the standby failed must not outlive the test
            throw;
        }
    }

    private async Task<long> StreamingStandbysAsync()
    {
        await using var db = new NpgsqlConnection($"Host=127.0.0.1;Port={PrimaryPort};Username=postgres;Database=postgres;Pooling=false");
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", db);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Writes on the primary, so the standby has something to replay.</summary>
    public async Task WriteAsync(int rows)
    {
        await using var db = new NpgsqlConnection($"Host=127.0.0.1;Port={PrimaryPort};Username=postgres;Database=postgres;Pooling=false");
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS drill (id int); INSERT INTO drill SELECT generate_series(1, {rows});", db);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Freezes the standby's WAL receiver (SIGSTOP), as a hung network path does: the standby still says it streams, and
    /// it has replayed all it received. Dispose resumes it.
    /// </summary>
    public async Task StallWalReceiverAsync()
    {
        await using var db = new NpgsqlConnection($"Host=127.0.0.1;Port={StandbyPort};Username=postgres;Database=postgres;Pooling=false");
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_wal_receiver", db);
        _stalledReceiver = (int)(await command.ExecuteScalarAsync())!;
        await RunAsync("kill", "-STOP", _stalledReceiver.Value.ToString(CultureInfo.InvariantCulture));
    }

    public async Task ResumeWalReceiverAsync()
    {
        if (_stalledReceiver is { } pid) await RunAsync("kill", "-CONT", pid.ToString(CultureInfo.InvariantCulture));
        _stalledReceiver = null;
    }

    /// <summary>Stops the standby at once (no clean shutdown), as a lost zone would.</summary>
    public Task KillStandbyAsync() => AsServerUserAsync("pg_ctl", "-D", StandbyData, "-m", "immediate", "-w", "stop");

    private static async Task AppendConfigAsync(string data, string lines)
    {
        var file = Path.Combine(data, "postgresql.conf");
        await File.AppendAllTextAsync(file, "\n" + lines + "\n");
    }

    private static Task AsServerUserAsync(string program, params string[] arguments)
    {
        var path = program == "touch" ? "touch" : Path.Combine(Bin, program);
        return Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var result = await ExternalProcess.RunAsync(program, arguments, CommandDeadline);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {result}");
    }

    public async ValueTask DisposeAsync()
    {
        await ResumeWalReceiverAsync();
        foreach (var data in new[] { StandbyData, PrimaryData }.Where(d => File.Exists(Path.Combine(d, "postmaster.pid"))))
            await ExternalProcess.RunAsync(Environment.UserName == "root" ? "runuser" : Path.Combine(Bin, "pg_ctl"),
                Environment.UserName == "root" ? ["-u", "postgres", "--", Path.Combine(Bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"] : ["-D", data, "-m", "immediate", "stop"],
                CommandDeadline);
        Directory.Delete(_directory, recursive: true);
    }
}
