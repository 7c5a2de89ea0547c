using System.Net;
using System.Net.Sockets;
using DrSentinel.Sandbox.Region;
using Microsoft.Extensions.Logging;

namespace DrSentinel.Sandbox.DataPlane;

/// <summary>One real server of the data plane as the sandbox runs it: its own port, and the role the region gives it.</summary>
public sealed record DataPlaneServer(string Engine, string Resource, string Name, string Zone, int Port, string Role);

/// <summary>
/// Real PostgreSQL and Redis servers behind the region's RDS and ElastiCache endpoints. Every endpoint the Describe calls
/// report is a proxy of this class, so the region decides what is reachable: a failed zone's proxies hang or reset, and
/// replication between zones runs through link proxies that a failure cuts too. A loop makes the servers' roles follow
/// the control plane: a completed failover promotes the real standby (pg_promote, REPLICAOF NO ONE), the others follow
/// it, and an old PostgreSQL primary that comes back is rebuilt from the new one (its unreplicated writes are lost, as
/// they are in AWS). DB clusters are not backed by servers.
/// </summary>
public sealed partial class RegionDataPlane : IAsyncDisposable
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ReconcileEvery = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RebuildAfterNotStreaming = TimeSpan.FromSeconds(15);

    private readonly SandboxRegion _region;
    private readonly ServerBinaries _binaries;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly List<TcpProxy> _proxies = [];
    private readonly Dictionary<string, PostgresInstance> _postgres = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RedisMember> _redis = new(StringComparer.Ordinal);
    /// <summary>The member each group's endpoints lead to: moved once the member has been made primary.</summary>
    private readonly Dictionary<string, RedisMember> _redisPrimary = new(StringComparer.Ordinal);
    private readonly HashSet<object> _started = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _refreshing = Task.CompletedTask;
    private Task _running = Task.CompletedTask;

    private sealed class PostgresInstance(string id)
    {
        public string Id { get; } = id;
        public List<PostgresNode> Nodes { get; } = [];
        public Dictionary<PostgresNode, TcpProxy> Links { get; } = [];
        public Dictionary<PostgresNode, DateTimeOffset> NotStreamingSince { get; } = [];
        public PostgresNode Primary { get; set; } = null!;
    }

    private sealed class RedisMember(string group, string id, RedisNode node)
    {
        public string Group { get; } = group;
        public string Id { get; } = id;
        public RedisNode Node { get; } = node;
        public TcpProxy Link { get; set; } = null!;
    }

    private const string DirectoryPrefix = "drsentinel-sandbox-";
    private const string OwnerFile = "owner.pid";

    private RegionDataPlane(SandboxRegion region, ServerBinaries binaries, ILogger logger)
    {
        (_region, _binaries, _logger) = (region, binaries, logger);
        RemoveAbandonedDirectories();
        _directory = Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        File.WriteAllText(Path.Combine(_directory, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A sandbox killed outright leaves its servers' data behind; the next one removes what no live process owns.</summary>
    private static void RemoveAbandonedDirectories()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            var owner = Path.Combine(directory, OwnerFile);
            if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), out var pid) || Directory.Exists($"/proc/{pid}")) continue;
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // someone else's, or in use: left alone
            }
        }
    }

    /// <summary>True once every server is up and replicating.</summary>
    public bool Ready { get; private set; }

    /// <summary>Creates the proxies at once (the Describe calls report them from now on) and starts the servers in the background.</summary>
    public static async Task<RegionDataPlane> StartAsync(SandboxRegion region, ServerBinaries binaries, ILogger logger)
    {
        var plane = new RegionDataPlane(region, binaries, logger);
        if (ServerProcess.IsRoot) await ServerProcess.RunAsync("chown", ["postgres:postgres", plane._directory], TimeSpan.FromSeconds(10), CancellationToken.None);
        region.Write(plane.CreateProxies);
        plane._refreshing = plane.RefreshAsync(plane._stop.Token);
        plane._running = plane.RunAsync(plane._stop.Token);
        return plane;
    }

    /// <summary>Every server, its own port and the role the region gives it now.</summary>
    public IReadOnlyList<DataPlaneServer> Servers() => _region.Read(r =>
        _postgres.Values.SelectMany(i => i.Nodes.Select(n => new DataPlaneServer("postgres", i.Id, n.Name, n.Zone, n.Port,
                PostgresRole(r, i, n))))
            .Concat(_redis.Values.Select(m => new DataPlaneServer("redis", m.Group, m.Id, m.Node.Zone, m.Node.Port,
                r.ReplicationGroups[m.Group].Members.Single(x => x.CacheClusterId == m.Id).Primary ? "primary" : "replica")))
            .ToList());

    private static string PostgresRole(SandboxRegion r, PostgresInstance instance, PostgresNode node) =>
        r.DbInstances[instance.Id].ReplicaSourceId is not null ? "replica" : node == instance.Primary ? "primary" : "standby";

    private void CreateProxies(SandboxRegion r)
    {
        if (_binaries.PostgresBin is { } bin)
        {
            foreach (var db in r.DbInstances.Values.Where(d => d.ClusterId is null && d.Engine.Contains("postgres", StringComparison.OrdinalIgnoreCase)))
            {
                var instance = new PostgresInstance(db.Id);
                string[] zones = db.MultiAz && db.SecondaryAvailabilityZone is { } secondary ? [db.AvailabilityZone, secondary] : [db.AvailabilityZone];
                foreach (var (zone, i) in zones.Select((z, i) => (z, i)))
                    instance.Nodes.Add(new PostgresNode(zones.Length == 1 ? db.Id : $"{db.Id}-{(char)('a' + i)}", zone, bin,
                        Path.Combine(_directory, $"{db.Id}-{i}"), ServerProcess.FreeServerPort()));
                instance.Primary = instance.Nodes[0];
                _postgres[db.Id] = instance;
                var endpoint = Proxy($"rds:{db.Id}", () => _region.Read(x => InstanceRoute(x, instance)));
                db.DataPort = endpoint.Port;
            }
            foreach (var instance in _postgres.Values)
                foreach (var node in instance.Nodes)
                    instance.Links[node] = Proxy($"rds-link:{node.Name}", () => _region.Read(x => UpstreamRoute(x, instance, node)));
        }
        if (_binaries.RedisServer is { } server)
        {
            foreach (var group in r.ReplicationGroups.Values)
            {
                foreach (var member in group.Members)
                    _redis[member.CacheClusterId] = new RedisMember(group.Id, member.CacheClusterId,
                        new RedisNode(member.CacheClusterId, member.AvailabilityZone, server, Path.Combine(_directory, member.CacheClusterId),
                            ServerProcess.FreeServerPort()));
                _redisPrimary[group.Id] = _redis[group.Members.Single(m => m.Primary).CacheClusterId];
                foreach (var member in group.Members)
                {
                    var redis = _redis[member.CacheClusterId];
                    member.DataPort = Proxy($"elasticache:{member.CacheClusterId}", () => _region.Read(x => Route(x, redis.Node, redis.Node.Zone, null))).Port;
                    redis.Link = Proxy($"elasticache-link:{member.CacheClusterId}",
                        () => _region.Read(x => Route(x, CachePrimary(x, group.Id).Node, CachePrimary(x, group.Id).Node.Zone, redis.Node.Zone)));
                }
                group.PrimaryDataPort = Proxy($"elasticache-primary:{group.Id}", () => _region.Read(x =>
                    Route(x, CachePrimary(x, group.Id).Node, CachePrimary(x, group.Id).Node.Zone, null))).Port;
                group.ReaderDataPort = Proxy($"elasticache-reader:{group.Id}", () => _region.Read(x =>
                {
                    var reader = CacheReader(x, group.Id);
                    return Route(x, reader.Node, reader.Node.Zone, null);
                })).Port;
            }
        }
    }

    /// <summary>The member the data plane has made primary; it follows the control plane's choice once promoted.</summary>
    private RedisMember CachePrimary(SandboxRegion r, string group)
    {
        lock (_redisPrimary) return _redisPrimary[group];
    }

    private RedisMember WantedCachePrimary(SandboxRegion r, string group) =>
        _redis[r.ReplicationGroups[group].Members.Single(m => m.Primary).CacheClusterId];

    /// <summary>A replica in a reachable zone if there is one: the reader endpoint's choice.</summary>
    private RedisMember CacheReader(SandboxRegion r, string group) =>
        _redis[r.ReplicationGroups[group].Members.Where(m => !m.Primary)
            .OrderBy(m => r.ReachableFromCluster(m.AvailabilityZone) ? 0 : 1).Select(m => m.CacheClusterId).FirstOrDefault()
            ?? r.ReplicationGroups[group].Members.Single(m => m.Primary).CacheClusterId];

    /// <summary>The instance endpoint leads to its primary; it is closed while the instance reboots or fails over.</summary>
    private ProxyRoute InstanceRoute(SandboxRegion r, PostgresInstance instance)
    {
        var route = Route(r, instance.Primary, instance.Primary.Zone, null);
        return r.DbInstances[instance.Id].Status is "rebooting" or "stopped" or "failed" ? route with { Open = false, BlackHole = BlackHoleMode.Reset } : route;
    }

    /// <summary>A standby's or replica's way to its upstream: the instance's primary, or a read replica's source's primary.</summary>
    private ProxyRoute UpstreamRoute(SandboxRegion r, PostgresInstance instance, PostgresNode node)
    {
        var upstream = Upstream(r, instance, node);
        return upstream is null ? new ProxyRoute(node.Port, false, BlackHoleMode.Reset) : Route(r, upstream, upstream.Zone, node.Zone);
    }

    private PostgresNode? Upstream(SandboxRegion r, PostgresInstance instance, PostgresNode node)
    {
        if (node != instance.Primary) return instance.Primary;
        return r.DbInstances[instance.Id].ReplicaSourceId is { } source && _postgres.TryGetValue(source, out var from) ? from.Primary : null;
    }

    /// <summary>Open when the server is up and neither end's zone has failed; closed the way the failed zone's failure says.</summary>
    private ProxyRoute Route(SandboxRegion r, object server, string serverZone, string? clientZone)
    {
        var port = server switch { PostgresNode p => p.Port, RedisNode n => n.Port, _ => 0 };
        bool started;
        lock (_started) started = _started.Contains(server);
        var failed = new[] { serverZone, clientZone }.Where(z => z is not null).Select(z => r.Zones[z!]).FirstOrDefault(z => !z.ReachableFromCluster);
        return new ProxyRoute(port, started && failed is null, failed?.BlackHole ?? BlackHoleMode.Reset);
    }

    private TcpProxy Proxy(string name, Func<ProxyRoute> route)
    {
        var proxy = new TcpProxy(name, route);
        _proxies.Add(proxy);
        return proxy;
    }

    /// <summary>Applies the region's state to every proxy now: a zone failure cuts the network when it is declared, not a tick later.</summary>
    public void Refresh()
    {
        foreach (var proxy in _proxies) proxy.Refresh();
    }

    private async Task RefreshAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(RefreshEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stop)) Refresh();
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await BootAsync(stop);
            Ready = true;
            var postgresServers = _postgres.Values.Sum(i => i.Nodes.Count);
            LogReady(_logger, postgresServers, _redis.Count, _directory);
            using var timer = new PeriodicTimer(ReconcileEvery);
            while (await timer.WaitForNextTickAsync(stop))
            {
                // One server that cannot be brought in line (a rebuild that fails, a server that dies) must not stop the others'.
                foreach (var instance in _postgres.Values) await Guarded(() => ReconcileAsync(instance, stop), instance.Id);
                foreach (var member in _redis.Values) await Guarded(() => ReconcileAsync(member, stop), member.Id);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or Npgsql.NpgsqlException or SocketException)
        {
            LogFailed(_logger, e);
        }
    }

    private async Task Guarded(Func<Task> reconcile, string resource)
    {
        try
        {
            await reconcile();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or Npgsql.NpgsqlException or SocketException)
        {
            LogReconcileFailed(_logger, e, resource);
        }
    }

    private void MarkStarted(object server)
    {
        lock (_started) _started.Add(server);
    }

    /// <summary>Primaries first, then standbys copied from them, then read replicas copied from their source's primary.</summary>
    private async Task BootAsync(CancellationToken stop)
    {
        var order = _region.Read(r => _postgres.Values.OrderBy(i => r.DbInstances[i.Id].ReplicaSourceId is null ? 0 : 1).ToList());
        foreach (var instance in order)
        {
            var source = _region.Read(r => r.DbInstances[instance.Id].ReplicaSourceId) is { } id && _postgres.TryGetValue(id, out var from) ? from.Primary : null;
            foreach (var node in instance.Nodes)
            {
                var upstream = node == instance.Primary ? source : instance.Primary;
                if (upstream is null) await node.InitPrimaryAsync(stop);
                else await node.InitStandbyAsync(upstream.Port, instance.Links[node].Port, stop);
                MarkStarted(node);
            }
        }
        var members = _region.Read(r => _redis.Values.Select(m => (Member: m, Primary: WantedCachePrimary(r, m.Group) == m)).OrderBy(t => t.Primary ? 0 : 1).ToList());
        foreach (var (member, primary) in members)
        {
            await member.Node.StartAsync(primary ? null : member.Link.Port, stop);
            MarkStarted(member.Node);
        }
    }

    /// <summary>Makes the instance's servers play the roles the control plane gives them; a server in a failed zone is left as it is.</summary>
    private async Task ReconcileAsync(PostgresInstance instance, CancellationToken stop)
    {
        var (zone, promoted) = _region.Read(r => (r.DbInstances[instance.Id].AvailabilityZone, r.DbInstances[instance.Id].ReplicaSourceId is null));
        if (instance.Nodes.Count > 1 && instance.Primary.Zone != zone && instance.Nodes.FirstOrDefault(n => n.Zone == zone) is { } next
            && _region.Read(r => r.ReachableFromCluster(next.Zone)))
        {
            // Promoted before the endpoint moves to it, as RDS flips its DNS name once the standby has taken over.
            LogPromoting(_logger, next.Name, instance.Id);
            if (await next.StateAsync(stop) is { InRecovery: true }) await next.PromoteAsync();
            LogPostgresPrimaryMoved(_logger, instance.Id, instance.Primary.Name, next.Name);
            instance.Primary = next;
        }
        foreach (var node in instance.Nodes)
        {
            if (!_region.Read(r => r.ReachableFromCluster(node.Zone))) continue;
            if (!node.Running)
            {
                LogRestarting(_logger, node.Name);
                await node.RestartAsync(stop);
            }
            var state = await node.StateAsync(stop);
            if (state is null) continue;
            var wantPrimary = node == instance.Primary && promoted;
            var upstream = _region.Read(r => Upstream(r, instance, node));
            if (wantPrimary && state.InRecovery)
            {
                LogPromoting(_logger, node.Name, instance.Id);
                await node.PromoteAsync();
            }
            else if (!wantPrimary && upstream is not null && _region.Read(r => r.ReachableFromCluster(upstream.Zone)))
            {
                if (state.InRecovery && state.Streaming)
                {
                    instance.NotStreamingSince.Remove(node);
                    continue;
                }
                var since = instance.NotStreamingSince.TryGetValue(node, out var s) ? s : instance.NotStreamingSince[node] = DateTimeOffset.UtcNow;
                // An old primary is rebuilt at once; a standby that cannot follow its upstream (a diverged timeline) after a while.
                if (!state.InRecovery || DateTimeOffset.UtcNow - since > RebuildAfterNotStreaming)
                {
                    LogRebuilding(_logger, node.Name, upstream.Name);
                    await node.RebuildAsStandbyAsync(upstream.Port, instance.Links[node].Port, stop);
                    instance.NotStreamingSince.Remove(node);
                }
            }
        }
    }

    private async Task ReconcileAsync(RedisMember member, CancellationToken stop)
    {
        var (reachable, primary) = _region.Read(r => (r.ReachableFromCluster(member.Node.Zone), WantedCachePrimary(r, member.Group) == member));
        if (!reachable) return;
        if (!member.Node.Running)
        {
            LogRestarting(_logger, member.Id);
            await member.Node.StartAsync(primary ? null : member.Link.Port, stop);
        }
        var state = await member.Node.StateAsync(stop);
        if (state is null) return;
        if (primary && !state.Primary)
        {
            LogRedisPromoting(_logger, member.Id, member.Group);
            await member.Node.ReplicateFromAsync(null);
        }
        if (primary)
        {
            lock (_redisPrimary) _redisPrimary[member.Group] = member;
        }
        else if (!primary && (state.Primary || state.PrimaryPort != member.Link.Port))
        {
            LogRedisFollowing(_logger, member.Id, member.Group);
            await member.Node.ReplicateFromAsync(member.Link.Port);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refreshing;
        await _running;
        foreach (var proxy in _proxies) await proxy.DisposeAsync();
        foreach (var node in _postgres.Values.SelectMany(i => i.Nodes)) await node.DisposeAsync();
        foreach (var member in _redis.Values) await member.Node.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a server still writing as it dies; the temp folder is the system's to clean
        }
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Data plane ready: {Postgres} PostgreSQL and {Redis} Redis servers under {Directory}")]
    private static partial void LogReady(ILogger logger, int postgres, int redis, string directory);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Data plane failed; the endpoints stay closed")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "Data plane could not bring {Resource} in line with the region; trying again")]
    private static partial void LogReconcileFailed(ILogger logger, Exception exception, string resource);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "{Server} had stopped; starting it again")]
    private static partial void LogRestarting(ILogger logger, string server);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "RDS {DbInstance}: primary moves from {From} to {To}")]
    private static partial void LogPostgresPrimaryMoved(ILogger logger, string dbInstance, string from, string to);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Promoting PostgreSQL {Server} for {DbInstance} (pg_promote)")]
    private static partial void LogPromoting(ILogger logger, string server, string dbInstance);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Rebuilding PostgreSQL {Server} as a standby of {Upstream}")]
    private static partial void LogRebuilding(ILogger logger, string server, string upstream);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Redis {CacheCluster} of {ReplicationGroup} becomes the primary (REPLICAOF NO ONE)")]
    private static partial void LogRedisPromoting(ILogger logger, string cacheCluster, string replicationGroup);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Redis {CacheCluster} of {ReplicationGroup} follows the primary")]
    private static partial void LogRedisFollowing(ILogger logger, string cacheCluster, string replicationGroup);
}
