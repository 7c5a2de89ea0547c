using DrSentinel.Inventory.Kubernetes;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Metrics;
using DrSentinel.Sandbox;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrSentinel.IntegrationTests.Kubernetes;

/// <summary>KubernetesClient's watch, through the informer, against the sandbox's API server.</summary>
public sealed class NodeInformerTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;
    private k8s.Kubernetes _client = null!;
    private NodeInformer _informer = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync();
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _sandbox.Endpoint.ToString() });
        _informer = new NodeInformer(_client, new DrSentinel.Inventory.InventoryStore(Microsoft.Extensions.Options.Options.Create(new DrSentinel.Inventory.InventoryOptions())), TimeProvider.System,
            new ApiCallRecorder(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()), TimeProvider.System), NullLogger<NodeInformer>.Instance);
        await _informer.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(() => _informer.Synced && _informer.Nodes.Count == 9, Deadline, "informer lists nine nodes");
        // Synced after the list; its watch opens a moment later. A test that drops watches before then drops none.
        await Poll.UntilAsync(() => _sandbox.State(r => r.Cluster.OpenWatches) == 1, Deadline, "the informer's watch open");
    }

    public async Task DisposeAsync()
    {
        await _informer.StopAsync(CancellationToken.None);
        _informer.Dispose();
        _client.Dispose();
        await _sandbox.DisposeAsync();
    }

    private HashSet<string> SandboxNodes() => _sandbox.State(r => r.Cluster.Nodes.Select(n => n.Name).ToHashSet());

    [Fact]
    public async Task DroppedConnection_ResumesFromTheLastVersionWithoutListingAgain()
    {
        var group = _sandbox.State(r => r.ScalingGroups.Values.Single(g => g.NodeGroup == "primary").Name);

        _sandbox.Region.Write(r =>
        {
            r.Cluster.DropWatches();
            r.SetDesiredCapacity(group, 9);
        });

        await Poll.UntilAsync(() => _informer.Nodes.Count == 12, Deadline, "informer sees the three new nodes");
        Assert.Equal(SandboxNodes(), _informer.Nodes.Keys.ToHashSet());
        Assert.Equal(1, _informer.Lists);
        Assert.True(_informer.Watches >= 2);
    }

    [Fact]
    public async Task GoneAfterCompaction_ListsAgainAndLosesNoNode()
    {
        var cordoned = _sandbox.State(r => r.Cluster.Nodes.First().Name);

        // While the watch is down, a change lands and the history is compacted past it: resuming gets 410 Gone.
        _sandbox.Region.Write(r =>
        {
            r.Cluster.DropWatches();
            var node = r.Cluster.Find(cordoned)!;
            node.Unschedulable = true;
            r.Cluster.Touch(node);
            r.Cluster.Compact();
        });

        await Poll.UntilAsync(() => _informer.Lists == 2, Deadline, "informer lists again after 410 Gone");
        await Poll.UntilAsync(() => _informer.Nodes.TryGetValue(cordoned, out var n) && n.Unschedulable, Deadline, "informer sees the cordon made while it was away");
        Assert.Equal(SandboxNodes(), _informer.Nodes.Keys.ToHashSet());
    }

    [Fact]
    public async Task HardZoneFailure_NodesInThatZoneTurnNotReadyWithTheirZone()
    {
        using var http = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await http.PostAsync("sandbox/zones/eu-central-1b/fail?mode=hard", null)).EnsureSuccessStatusCode();

        await Poll.UntilAsync(() => _informer.Nodes.Values.Count(n => !n.Ready) == 4, Deadline, "four nodes NotReady");
        Assert.All(_informer.Nodes.Values.Where(n => !n.Ready), n => Assert.Equal(("eu-central-1b", "Unknown"), (n.Zone, n.ReadyStatus)));
    }
}
