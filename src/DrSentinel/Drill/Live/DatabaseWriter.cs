using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace DrSentinel.Drill.Live;

/// <summary>One write attempt: its number, when it was answered, and whether the database acknowledged it.</summary>
public sealed record WriteAttempt(long Seq, DateTimeOffset At, bool Acknowledged);

/// <summary>
/// An application's writes to one database through its endpoint (the RDS instance endpoint, the replication group's
/// primary endpoint), numbered, every <see cref="Every"/>; afterwards the rows and list entries are read back, so what
/// was acknowledged and lost is counted from the data.
/// </summary>
public abstract class DatabaseWriter(string database, Func<int?> endpointPort, TimeProvider time)
{
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private readonly List<WriteAttempt> _attempts = [];
    private readonly Lock _gate = new();

    public string Database { get; } = database;

    public abstract string Engine { get; }

    public IReadOnlyList<WriteAttempt> Attempts
    {
        get { lock (_gate) return [.. _attempts]; }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        for (long seq = 1; !stop.IsCancellationRequested; seq++)
        {
            var ok = false;
            if (endpointPort() is { } port)
            {
                using var timeout = new CancellationTokenSource(Timeout, time);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
                try
                {
                    ok = await WriteAsync(port, seq, attempt.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NpgsqlException or IOException or SocketException or TimeoutException or InvalidOperationException
                                              or OperationCanceledException && !stop.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException)
                {
                    return; // stopped mid-write: neither acknowledged nor failed, so not counted
                }
            }
            if (stop.IsCancellationRequested) return;
            lock (_gate) _attempts.Add(new WriteAttempt(seq, time.GetUtcNow(), ok));
            try
            {
                await Task.Delay(Every, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The numbers the database holds now, read through the endpoint; null when it cannot be read.</summary>
    public async Task<HashSet<long>?> ReadBackAsync(CancellationToken cancel)
    {
        if (endpointPort() is not { } port) return null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                return await ReadAsync(port, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or IOException or SocketException or TimeoutException or InvalidOperationException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancel).ConfigureAwait(false);
            }
        }
        return null;
    }

    protected abstract Task<bool> WriteAsync(int port, long seq, CancellationToken cancel);

    protected abstract Task<HashSet<long>> ReadAsync(int port, CancellationToken cancel);
}

/// <summary>INSERTs into drill_writes through the RDS endpoint.</summary>
public sealed class PostgresWriter(string database, Func<int?> endpointPort, TimeProvider time) : DatabaseWriter(database, endpointPort, time)
{
    public override string Engine => "postgres";

    private static string Connection(int port) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=2;Command Timeout=2");

    protected override async Task<bool> WriteAsync(int port, long seq, CancellationToken cancel)
    {
        await using var db = new NpgsqlConnection(Connection(port));
        await db.OpenAsync(cancel).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS drill_writes (seq bigint PRIMARY KEY); INSERT INTO drill_writes VALUES (@seq)", db);
        command.Parameters.AddWithValue("seq", seq);
        await command.ExecuteNonQueryAsync(cancel).ConfigureAwait(false);
        return true;
    }

    protected override async Task<HashSet<long>> ReadAsync(int port, CancellationToken cancel)
    {
        await using var db = new NpgsqlConnection(Connection(port));
        await db.OpenAsync(cancel).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT seq FROM drill_writes", db);
        await using var reader = await command.ExecuteReaderAsync(cancel).ConfigureAwait(false);
        var seqs = new HashSet<long>();
        while (await reader.ReadAsync(cancel).ConfigureAwait(false)) seqs.Add(reader.GetInt64(0));
        return seqs;
    }
}

/// <summary>RPUSHes onto drill:writes through the replication group's primary endpoint (RESP over TCP, no client library).</summary>
public sealed class RedisWriter(string database, Func<int?> endpointPort, TimeProvider time) : DatabaseWriter(database, endpointPort, time)
{
    private const string Key = "drill:writes";

    public override string Engine => "redis";

    protected override async Task<bool> WriteAsync(int port, long seq, CancellationToken cancel)
    {
        var reply = await CommandAsync(port, ["RPUSH", Key, seq.ToString(CultureInfo.InvariantCulture)], cancel).ConfigureAwait(false);
        return reply.Count == 1 && reply[0].StartsWith(':');
    }

    protected override async Task<HashSet<long>> ReadAsync(int port, CancellationToken cancel)
    {
        var reply = await CommandAsync(port, ["LRANGE", Key, "0", "-1"], cancel).ConfigureAwait(false);
        if (reply.Count == 0 || !reply[0].StartsWith('*')) throw new IOException($"LRANGE answered {string.Join(' ', reply)}");
        return [.. reply.Skip(1).Where(l => !l.StartsWith('$')).Select(l => long.Parse(l, CultureInfo.InvariantCulture))];
    }

    /// <summary>Sends one command; the reply's lines (an array's header, then its bulk strings' lengths and values).</summary>
    private static async Task<List<string>> CommandAsync(int port, string[] words, CancellationToken cancel)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port, cancel).ConfigureAwait(false);
        var stream = tcp.GetStream();
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{words.Length}\r\n");
        foreach (var word in words) request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(word)}\r\n{word}\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancel).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
        var first = await reader.ReadLineAsync(cancel).ConfigureAwait(false) ?? throw new IOException("the connection closed without a reply");
        if (first.StartsWith('-')) throw new IOException(first);
        List<string> lines = [first];
        if (first.StartsWith('*'))
        {
            var count = int.Parse(first.AsSpan(1), CultureInfo.InvariantCulture);
            for (var i = 0; i < count * 2; i++) lines.Add(await reader.ReadLineAsync(cancel).ConfigureAwait(false) ?? throw new IOException("the reply ended early"));
        }
        return lines;
    }
}
