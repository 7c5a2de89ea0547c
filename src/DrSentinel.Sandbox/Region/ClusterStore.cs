using System.Threading.Channels;

namespace DrSentinel.Sandbox.Region;

public enum WatchEventType { Added, Modified, Deleted }

/// <summary>A node as it was at one resourceVersion.</summary>
public sealed record NodeSnapshot(
    string Name, string Uid, long ResourceVersion, DateTimeOffset CreatedAt, string InstanceId, string AvailabilityZone,
    string Region, string NodeGroup, string InstanceType, IReadOnlyList<TaintSpec> Taints, bool Ready, DateTimeOffset ReadySince,
    bool Unschedulable, IReadOnlyDictionary<string, string> ExtraLabels, IReadOnlyDictionary<string, string> Annotations);

public sealed record NodeChange(WatchEventType Type, NodeSnapshot Node);

/// <summary>The Kubernetes side of the region: nodes with resourceVersions, a bounded change history for watches, and the watchers.</summary>
public sealed class ClusterStore(string region, int historyLimit)
{
    private readonly Dictionary<string, ClusterNode> _nodes = new(StringComparer.Ordinal);
    private readonly LinkedList<NodeChange> _history = new();
    private readonly List<Channel<NodeChange>> _watchers = [];
    private long _resourceVersion = 1;
    private long _oldestWatchableVersion = 1;

    public long ResourceVersion => _resourceVersion;
    public IReadOnlyCollection<ClusterNode> Nodes => _nodes.Values;

    public long NextResourceVersion() => ++_resourceVersion;

    public ClusterNode? Find(string name) => _nodes.GetValueOrDefault(name);

    public void Add(ClusterNode node)
    {
        node.ResourceVersion = NextResourceVersion();
        _nodes.Add(node.Name, node);
        Publish(new NodeChange(WatchEventType.Added, Snapshot(node)));
    }

    public void Touch(ClusterNode node)
    {
        node.ResourceVersion = NextResourceVersion();
        Publish(new NodeChange(WatchEventType.Modified, Snapshot(node)));
    }

    public void Remove(ClusterNode node)
    {
        if (!_nodes.Remove(node.Name)) return;
        node.ResourceVersion = NextResourceVersion();
        Publish(new NodeChange(WatchEventType.Deleted, Snapshot(node)));
    }

    public NodeSnapshot Snapshot(ClusterNode node) => new(
        node.Name, node.Uid, node.ResourceVersion, node.CreatedAt, node.InstanceId, node.AvailabilityZone, region,
        node.NodeGroup, node.InstanceType, node.Taints, node.Ready, node.ReadySince, node.Unschedulable,
        new Dictionary<string, string>(node.ExtraLabels), new Dictionary<string, string>(node.Annotations));

    /// <summary>Opens a watch from <paramref name="fromVersion"/>; null when that version is older than the history holds (410 Gone).</summary>
    public ChannelReader<NodeChange>? Subscribe(long fromVersion)
    {
        if (fromVersion != 0 && fromVersion < _oldestWatchableVersion - 1) return null;
        var channel = Channel.CreateUnbounded<NodeChange>(new UnboundedChannelOptions { SingleReader = true });
        if (fromVersion != 0)
            foreach (var change in _history.Where(c => c.Node.ResourceVersion > fromVersion))
                channel.Writer.TryWrite(change);
        _watchers.Add(channel);
        return channel.Reader;
    }

    public void Unsubscribe(ChannelReader<NodeChange> reader) => _watchers.RemoveAll(c => c.Reader == reader);

    /// <summary>How many watches are open now.</summary>
    public int OpenWatches => _watchers.Count;

    /// <summary>Ends every open watch, as an API server restart or a load balancer timeout does.</summary>
    public int DropWatches()
    {
        var count = _watchers.Count;
        foreach (var watcher in _watchers) watcher.Writer.TryComplete();
        _watchers.Clear();
        return count;
    }

    /// <summary>Forgets the change history, as etcd compaction does: older resourceVersions get 410 Gone.</summary>
    public void Compact()
    {
        _history.Clear();
        _oldestWatchableVersion = _resourceVersion + 1;
    }

    private void Publish(NodeChange change)
    {
        _history.AddLast(change);
        while (_history.Count > historyLimit)
        {
            _history.RemoveFirst();
            _oldestWatchableVersion = _history.First!.Value.Node.ResourceVersion;
        }
        foreach (var watcher in _watchers) watcher.Writer.TryWrite(change);
    }
}
