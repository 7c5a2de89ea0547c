using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace DrSentinel.Sandbox.DataPlane;

/// <summary>What a Redis server says of itself: its role and, on a replica, the port it replicates from.</summary>
public sealed record RedisNodeState(bool Primary, int? PrimaryPort);

/// <summary>One real Redis server of the data plane (Debian's redis-server), run as a child process so it ends with the sandbox.</summary>
public sealed class RedisNode(string name, string zone, string serverPath, string directory, int port) : IAsyncDisposable
{
    private ServerProcess? _server;

    public string Name { get; } = name;
    public string Zone { get; } = zone;
    public int Port { get; } = port;

    public async Task StartAsync(int? upstreamPort, CancellationToken cancel)
    {
        if (_server is not null) await _server.DisposeAsync();
        // Its own directory: a replica's full sync writes the primary's RDB file there, never into the caller's working directory.
        Directory.CreateDirectory(directory);
        string[] replica = upstreamPort is { } upstream ? ["--replicaof", "127.0.0.1", upstream.ToString(CultureInfo.InvariantCulture)] : [];
        _server = ServerProcess.Start(serverPath, ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--protected-mode", "no", "--repl-timeout", "60", "--dir", directory, .. replica], Path.Combine(directory, "server.log"));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (await StateAsync(deadline.Token) is null)
            {
                if (_server.HasExited) throw new InvalidOperationException($"Redis {Name} exited at start ({_server.LogPath}):\n{_server.LogTail()}");
                await Task.Delay(50, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"Redis {Name} did not answer after its start ({_server.LogPath}):\n{_server.LogTail()}");
        }
    }

    /// <summary>False once its process has exited (killed, crashed): the data plane then starts it again.</summary>
    public bool Running => _server is { HasExited: false };

    /// <summary>Makes the server a primary (null) or a replica of the given port, as ElastiCache's failover does.</summary>
    public Task ReplicateFromAsync(int? upstreamPort) => CommandAsync(upstreamPort is { } upstream
        ? ["REPLICAOF", "127.0.0.1", upstream.ToString(CultureInfo.InvariantCulture)]
        : ["REPLICAOF", "NO", "ONE"], CancellationToken.None);

    public async Task<RedisNodeState?> StateAsync(CancellationToken cancel)
    {
        try
        {
            var info = await CommandAsync(["INFO", "replication"], cancel);
            var fields = info.Split('\n', StringSplitOptions.TrimEntries).Select(l => l.Split(':', 2)).Where(kv => kv.Length == 2)
                .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
            var primary = fields.GetValueOrDefault("role") == "master";
            return new RedisNodeState(primary, primary ? null : int.Parse(fields["master_port"], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>One RESP command on a fresh connection; the answer as text (a simple or bulk string).</summary>
    private async Task<string> CommandAsync(string[] words, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port, timeout.Token);
        var stream = tcp.GetStream();
        var request = new StringBuilder($"*{words.Length}\r\n");
        foreach (var word in words) request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(word)}\r\n{word}\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var header = await reader.ReadLineAsync(timeout.Token) ?? throw new IOException("Redis closed the connection");
        switch (header[0])
        {
            case '+':
                return header[1..];
            case '$':
                var length = int.Parse(header.AsSpan(1), CultureInfo.InvariantCulture);
                var body = new char[length];
                var read = 0;
                while (read < length) read += await reader.ReadAsync(body.AsMemory(read), timeout.Token);
                return new string(body);
            default:
                throw new InvalidDataException($"Redis {Name} answered {header}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is null) return;
        await _server.DisposeAsync();
        _server = null;
    }
}
