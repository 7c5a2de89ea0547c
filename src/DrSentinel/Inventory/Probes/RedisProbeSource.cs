using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory.Probes;

/// <summary>INFO replication from every member of every replication group ElastiCache reports: role, replicas, link, offsets.</summary>
public sealed partial class RedisProbeSource(IOptions<ProbeOptions> options, TimeProvider time, ILogger<RedisProbeSource> logger) : IInventorySource
{
    public const string SourceName = "probe_redis";
    public string Name => SourceName;
    public TimeSpan Interval => options.Value.Interval;

    /// <summary>Every member of the snapshot's replication groups and where it is probed (null: no endpoint known).</summary>
    public static IEnumerable<(string Group, CacheMemberState Member, (string Host, int Port)? Endpoint)> Targets(InventorySnapshot snapshot, RedisProbeOptions settings) =>
        snapshot.ReplicationGroups.SelectMany(g => g.Members.Select(m =>
            (g.Id, m, Endpoint.Resolve(settings.Endpoints, m.CacheClusterId, m.EndpointAddress, m.EndpointPort))));

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        var settings = options.Value.Redis;
        var password = Endpoint.Secret(settings.PasswordFile);
        var probes = Targets(current, settings)
            .Where(t => t.Endpoint is not null)
            .Select(t => ProbeAsync(t.Group, t.Member, t.Endpoint!.Value, password, settings.Tls, cancel));
        var results = (await Task.WhenAll(probes)).ToImmutableArray();
        return snapshot => snapshot with { RedisProbes = results };
    }

    private async Task<RedisProbeResult> ProbeAsync(string group, CacheMemberState member, (string Host, int Port) endpoint, string? password, bool tls,
        CancellationToken cancel)
    {
        var started = time.GetTimestamp();
        using var probeTimeout = new CancellationTokenSource(options.Value.Timeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel, probeTimeout.Token);
        try
        {
            var info = await RedisInfoClient.ReadReplicationAsync(endpoint.Host, endpoint.Port, password, tls, deadline.Token);
            var primary = info.GetValueOrDefault("role") == "master";
            return new RedisProbeResult(group, member.CacheClusterId, member.Zone, true, primary ? "primary" : "replica",
                primary ? Number(info, "connected_slaves") is { } n ? (int)n : null : null,
                primary ? null : info.GetValueOrDefault("master_link_status") == "up",
                Number(info, primary ? "master_repl_offset" : "slave_repl_offset"),
                time.GetElapsedTime(started));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or RedisProbeException
                                      or System.Security.Authentication.AuthenticationException && !cancel.IsCancellationRequested)
        {
            var failure = ProbeFailures.Classify(e);
            LogProbeFailed(logger, e, member.CacheClusterId, group, member.Zone, endpoint.Host, endpoint.Port, failure.Label());
            return new RedisProbeResult(group, member.CacheClusterId, member.Zone, false, null, null, null, null, time.GetElapsedTime(started), failure);
        }
    }

    private static long? Number(IReadOnlyDictionary<string, string> info, string key) =>
        info.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    [LoggerMessage(EventId = EventIds.RedisProbeFailed, Level = LogLevel.Warning,
        Message = "Redis probe of {CacheCluster} ({ReplicationGroup}) in {Az} at {Host}:{Port} failed ({Reason})")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string cacheCluster, string replicationGroup, string? az, string host, int port,
        string reason);
}
