using System.Net;
using System.Net.Sockets;

namespace DrSentinel.Sandbox.DataPlane;

/// <summary>Where a proxy leads right now, and whether the path is open.</summary>
/// <param name="BlackHole">How a closed path behaves: connections hang (a gray failure's silent drop) or are reset.</param>
public sealed record ProxyRoute(int BackendPort, bool Open, BlackHoleMode BlackHole);

public enum BlackHoleMode { Hang, Reset }

/// <summary>
/// A loopback TCP proxy in front of one endpoint, so the sandbox decides what the data plane can reach: the route is
/// asked again on every <see cref="Refresh"/>. A closed route hangs or resets new and open connections; a route that
/// moves to another backend (a failover) resets the connections to the old one, as a moved DNS name and a dead host do.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<ProxyRoute> _route;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Connection> _connections = [];
    private readonly Task _accepting;
    private ProxyRoute _current;

    public TcpProxy(string name, Func<ProxyRoute> route)
    {
        Name = name;
        _route = route;
        _current = route();
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_stop.Token);
    }

    public string Name { get; }
    public int Port { get; }

    /// <summary>Asks the route again and applies it to the open connections.</summary>
    public void Refresh()
    {
        var route = _route();
        lock (_connections)
        {
            _current = route;
            foreach (var connection in _connections.ToList())
            {
                if (connection.BackendPort != route.BackendPort || (!route.Open && route.BlackHole == BlackHoleMode.Reset)) connection.Reset();
                else connection.SetPaused(!route.Open);
            }
        }
    }

    private async Task AcceptAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(client, stop);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        ProxyRoute route;
        lock (_connections) route = _current;
        if (!route.Open && route.BlackHole == BlackHoleMode.Reset)
        {
            client.LingerState = new LingerOption(true, 0);
            client.Dispose();
            return;
        }
        var connection = new Connection(client, route.BackendPort);
        lock (_connections) _connections.Add(connection);
        try
        {
            connection.SetPaused(!route.Open);
            await connection.RunAsync(stop);
        }
        finally
        {
            lock (_connections) _connections.Remove(connection);
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_connections)
            foreach (var connection in _connections) connection.Reset();
        _stop.Dispose();
    }

    /// <summary>One client connection and its backend connection, pumped both ways while not paused.</summary>
    private sealed class Connection(Socket client, int backendPort) : IDisposable
    {
        private readonly Socket _backend = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private readonly CancellationTokenSource _reset = new();
        private readonly object _gate = new();
        private TaskCompletionSource _open = Opened();

        public int BackendPort { get; } = backendPort;

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }

        /// <summary>Paused, nothing passes either way and nothing is answered: the connection hangs.</summary>
        public void SetPaused(bool paused)
        {
            lock (_gate)
            {
                if (paused && _open.Task.IsCompleted) _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                else if (!paused) _open.TrySetResult();
            }
        }

        private Task WhenOpen()
        {
            lock (_gate) return _open.Task;
        }

        public void Reset()
        {
            try
            {
                client.LingerState = new LingerOption(true, 0);
                _backend.LingerState = new LingerOption(true, 0);
                _reset.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // already closed
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, _reset.Token);
            try
            {
                await WhenOpen().WaitAsync(linked.Token);
                await _backend.ConnectAsync(IPAddress.Loopback, BackendPort, linked.Token);
                await Task.WhenAny(PumpAsync(client, _backend, linked.Token), PumpAsync(_backend, client, linked.Token));
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // the client, the backend or the sandbox ended it
            }
        }

        private async Task PumpAsync(Socket from, Socket to, CancellationToken cancel)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer, cancel);
                    if (read == 0) break;
                    await WhenOpen().WaitAsync(cancel);
                    await to.SendAsync(buffer.AsMemory(0, read), cancel);
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // closed or reset
            }
        }

        public void Dispose()
        {
            client.Dispose();
            _backend.Dispose();
            _reset.Dispose();
        }
    }
}
