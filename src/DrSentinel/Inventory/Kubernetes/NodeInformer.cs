using System.Collections.Immutable;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DrSentinel.Inventory.Kubernetes;

/// <summary>What DrSentinel keeps of a Kubernetes node object.</summary>
public static class NodeStates
{
    public static NodeState From(V1Node node)
    {
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        var zone = labels.TryGetValue("topology.kubernetes.io/zone", out var z) ? z
            : labels.TryGetValue("failure-domain.beta.kubernetes.io/zone", out var legacy) ? legacy : null;
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status ?? "Unknown";
        var cordonedFor = node.Metadata.Annotations?.TryGetValue(Planning.LedgerKeys.CordonedForZone, out var marked) == true ? marked : null;
        return new NodeState(node.Metadata.Name, zone, labels.TryGetValue("eks.amazonaws.com/nodegroup", out var group) ? group : null, ready,
            node.Spec?.Unschedulable ?? false, node.Metadata.ResourceVersion, cordonedFor);
    }
}

/// <summary>
/// The informer pattern: list the nodes once, then watch from the list's resourceVersion. A dropped watch resumes from
/// the last version seen; only 410 Gone (history compacted) costs a new list. The node set is one immutable map,
/// swapped whole, so readers never see half an update.
/// </summary>
public sealed partial class NodeInformer(k8s.Kubernetes client, InventoryStore store, TimeProvider time, ApiCallRecorder recorder, ILogger<NodeInformer> logger)
    : BackgroundService
{
    private static readonly TimeSpan WatchTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private const int ListPageSize = 500;
    public const string SourceName = "kubernetes_nodes";
    private ImmutableDictionary<string, NodeState> _nodes = ImmutableDictionary<string, NodeState>.Empty.WithComparers(StringComparer.Ordinal);
    private long _lists;
    private long _watches;

    public IReadOnlyDictionary<string, NodeState> Nodes => Volatile.Read(ref _nodes);

    /// <summary>True once the first list has arrived.</summary>
    public bool Synced { get; private set; }

    public long Lists => Interlocked.Read(ref _lists);
    public long Watches => Interlocked.Read(ref _watches);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stop = stoppingToken;
        string? version = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                version ??= await ListAsync(stop);
                version = await WatchAsync(version, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException or NodeWatchException
                                           or System.Text.Json.JsonException)
            {
                LogWatchFailed(logger, e, e.GetType().Name);
                store.Update(s => s with
                {
                    Sources = s.Sources.SetItem(SourceName, new SourceStatus(false, s.Sources.GetValueOrDefault(SourceName)?.LastSuccess, TimeSpan.Zero, e.GetType().Name)),
                });
                await Task.Delay(RetryDelay, time, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Replaces the whole node set; returns the list's resourceVersion to watch from. Read in pages of
    /// <see cref="ListPageSize"/>, as client-go's reflector does: every page comes from the same consistent snapshot
    /// (the continue token pins it), and the process never holds more than one page of node objects, so a 5,000-node
    /// list does not leave the heap sized for all of them at once.
    /// </summary>
    private async Task<string> ListAsync(CancellationToken stop)
    {
        var started = time.GetTimestamp();
        var nodes = ImmutableDictionary.CreateBuilder<string, NodeState>(StringComparer.Ordinal);
        string? next = null;
        string version;
        try
        {
            do
            {
                var page = await client.CoreV1.ListNodeAsync(continueParameter: next, limit: ListPageSize, cancellationToken: stop).ConfigureAwait(false);
                foreach (var node in page.Items) nodes[node.Metadata.Name] = NodeStates.From(node);
                version = page.Metadata.ResourceVersion;
                next = string.IsNullOrEmpty(page.Metadata.ContinueProperty) ? null : page.Metadata.ContinueProperty;
            }
            while (next is not null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            recorder.Record("kubernetes", "core", "list_nodes", "error", time.GetElapsedTime(started));
            throw;
        }
        recorder.Record("kubernetes", "core", "list_nodes", "success", time.GetElapsedTime(started));
        Interlocked.Increment(ref _lists);
        var listed = nodes.ToImmutable();
        Volatile.Write(ref _nodes, listed);
        Publish(time.GetElapsedTime(started));
        Synced = true;
        LogListed(logger, listed.Count, version);
        return version;
    }

    /// <summary>Applies watch events until the stream ends; returns the version to resume from, or null when a new list is needed.</summary>
    private async Task<string?> WatchAsync(string version, CancellationToken stop)
    {
        Interlocked.Increment(ref _watches);
        recorder.Record("kubernetes", "core", "watch_nodes", "started", elapsed: null);
        try
        {
            await foreach (var change in NodeWatchReader.WatchAsync(client, version, WatchTimeout, stop).ConfigureAwait(false))
            {
                var node = change.Node;
                version = node.Metadata?.ResourceVersion ?? version;
                switch (change.Type)
                {
                    case NodeWatchEventType.Added or NodeWatchEventType.Modified:
                        Swap(nodes => nodes.SetItem(node.Metadata!.Name, NodeStates.From(node)));
                        break;
                    case NodeWatchEventType.Deleted:
                        Swap(nodes => nodes.Remove(node.Metadata!.Name));
                        break;
                }
                Publish(); // a bookmark too: it proves the watch is alive
            }
        }
        catch (NodeWatchException e) when (e.Gone)
        {
            LogGone(logger, version);
            return null;
        }
        return version;
    }

    private void Swap(Func<ImmutableDictionary<string, NodeState>, ImmutableDictionary<string, NodeState>> change) =>
        Volatile.Write(ref _nodes, change(_nodes)); // only the informer's own loop writes

    /// <summary>Hands the current node set to the snapshot and reports the source healthy; the duration is the last list's.</summary>
    private void Publish(TimeSpan? listDuration = null)
    {
        var nodes = _nodes;
        var now = time.GetUtcNow();
        store.Update(s => s with
        {
            Nodes = ReferenceEquals(s.Nodes.ByName, nodes) ? s.Nodes : new NodeInventory(nodes),
            Sources = s.Sources.SetItem(SourceName,
                new SourceStatus(true, now, listDuration ?? s.Sources.GetValueOrDefault(SourceName)?.LastDuration ?? TimeSpan.Zero, null)),
        });
    }

    [LoggerMessage(EventId = EventIds.NodesListed, Level = LogLevel.Information, Message = "Listed {Count} nodes at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, int count, string resourceVersion);

    [LoggerMessage(EventId = EventIds.NodeWatchGone, Level = LogLevel.Information, Message = "Node watch from resourceVersion {ResourceVersion} expired (410 Gone); listing again")]
    private static partial void LogGone(ILogger logger, string resourceVersion);

    [LoggerMessage(EventId = EventIds.NodeWatchFailed, Level = LogLevel.Warning, Message = "Node watch failed ({ErrorType}); resuming")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception, string errorType);

}
