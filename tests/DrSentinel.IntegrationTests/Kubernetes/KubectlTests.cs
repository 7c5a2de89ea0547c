using System.Text.Json;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Kubernetes;

/// <summary>kubectl 1.33, a real client, against the sandbox's Kubernetes API.</summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SandboxServer _sandbox = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync();
        _kubeconfig = Path.GetTempFileName();
        await File.WriteAllTextAsync(_kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sandbox
              cluster:
                server: {_sandbox.Endpoint.ToString().TrimEnd('/')}
            users:
            - name: drill
              user:
                token: sandbox
            contexts:
            - name: sandbox
              context:
                cluster: sandbox
                user: drill
            current-context: sandbox
            """);
    }

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    private Task<ProcessResult> KubectlAsync(params string[] arguments) =>
        ExternalProcess.RunAsync(RepoPaths.Kubectl, ["--kubeconfig", _kubeconfig, .. arguments], Deadline);

    [Fact]
    public async Task GetNodesJson_ListsEveryNodeWithZoneAndNodeGroupLabels()
    {
        var result = await KubectlAsync("get", "nodes", "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var items = JsonDocument.Parse(result.Output).RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(9, items.Count);
        var zones = items.Select(i => i.GetProperty("metadata").GetProperty("labels").GetProperty("topology.kubernetes.io/zone").GetString()).ToList();
        Assert.Equal(4, zones.Count(z => z == "eu-central-1a"));
        Assert.Equal(1, zones.Count(z => z == "eu-central-1c"));
        Assert.All(items, i => Assert.NotNull(i.GetProperty("metadata").GetProperty("labels").GetProperty("eks.amazonaws.com/nodegroup").GetString()));
    }

    [Fact]
    public async Task GetNodesWatch_HardZoneFailure_ShowsTheZonesNodesGoNotReady()
    {
        var zoneNodes = _sandbox.State(r => r.Cluster.Nodes.Where(n => n.AvailabilityZone == "eu-central-1a").Select(n => n.Name).ToList());
        await using var watch = ExternalProcess.Start(RepoPaths.Kubectl, ["--kubeconfig", _kubeconfig, "get", "nodes", "--watch"]);
        await Poll.UntilAsync(() => watch.Output.Split('\n').Count(l => l.Contains(" Ready ", StringComparison.Ordinal)) == 9, Deadline, "kubectl lists nine Ready nodes");

        using var http = new HttpClient { BaseAddress = _sandbox.Endpoint };
        (await http.PostAsync("sandbox/zones/eu-central-1a/fail?mode=hard", null)).EnsureSuccessStatusCode();

        await Poll.UntilAsync(() => zoneNodes.All(name => watch.Output.Split('\n').Any(l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains("NotReady", StringComparison.Ordinal))),
            Deadline, "kubectl shows every eu-central-1a node NotReady");
        Assert.DoesNotContain(watch.Output.Split('\n'), l => l.Contains("NotReady", StringComparison.Ordinal) && !zoneNodes.Any(n => l.StartsWith(n, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task CordonThenUncordon_FlipsTheNodesSchedulability()
    {
        var name = _sandbox.State(r => r.Cluster.Nodes.First().Name);

        var cordon = await KubectlAsync("cordon", name);
        var cordoned = _sandbox.State(r => r.Cluster.Find(name)!.Unschedulable);
        var uncordon = await KubectlAsync("uncordon", name);
        var uncordoned = _sandbox.State(r => r.Cluster.Find(name)!.Unschedulable);

        Assert.True(cordon.ExitCode == 0, cordon.ToString());
        Assert.Contains($"node/{name} cordoned", cordon.Output, StringComparison.Ordinal);
        Assert.True(cordoned);
        Assert.True(uncordon.ExitCode == 0, uncordon.ToString());
        Assert.False(uncordoned);
    }
}
