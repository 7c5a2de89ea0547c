namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>A real Redis primary and two replicas (Debian's redis-server) on loopback ports.</summary>
public sealed class RedisServers : IAsyncDisposable
{
    private readonly List<ExternalProcess> _servers = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("drsentinel-redis-").FullName;

    public IReadOnlyList<int> Ports { get; private set; } = [];

    public static async Task<RedisServers> StartAsync(int replicas = 2)
    {
        var servers = new RedisServers();
        var primary = FreePort.Next();
        var ports = new List<int> { primary };
        servers.Start(primary, null);
        for (var i = 0; i < replicas; i++)
        {
            var port = FreePort.Next();
            ports.Add(port);
            servers.Start(port, primary);
        }
        servers.Ports = ports;
        // Ready when every replica has finished its first sync: its link to the primary is up.
        await Poll.UntilAsync(async () =>
        {
            foreach (var port in ports.Skip(1))
            {
                try
                {
                    var info = await DrSentinel.Inventory.Probes.RedisInfoClient.ReadReplicationAsync("127.0.0.1", port, null, false, CancellationToken.None);
                    if (info.GetValueOrDefault("master_link_status") != "up") return false;
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                {
                    return false;
                }
            }
            return true;
        }, ok => ok, TimeSpan.FromSeconds(20), $"{replicas} replicas in sync");
        return servers;
    }

    private void Start(int port, int? primary)
    {
        var dir = Path.Combine(_directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        List<string> arguments = ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--protected-mode", "no"];
        if (primary is { } p) arguments.AddRange(["--replicaof", "127.0.0.1", p.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        _servers.Add(ExternalProcess.Start("redis-server", arguments));
    }

    /// <summary>Kills one server outright, as a lost zone would.</summary>
    public ValueTask KillAsync(int index) => _servers[index].DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
