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

    private static List<string> Rows(ProcessResult result) =>
        result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();

    [Fact]
    public async Task GetNodes_FieldSelectors_SelectByNameAndSchedulability()
    {
        var name = _sandbox.State(r => r.Cluster.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).First().Name);
        Assert.Equal(0, (await KubectlAsync("cordon", name)).ExitCode);

        var byName = await KubectlAsync("get", "nodes", "--field-selector", $"metadata.name={name}", "-o", "name");
        var cordoned = await KubectlAsync("get", "nodes", "--field-selector", "spec.unschedulable=true", "-o", "name");
        var schedulable = await KubectlAsync("get", "nodes", "--field-selector", "spec.unschedulable!=true", "-o", "name");
        var unsupported = await KubectlAsync("get", "nodes", "--field-selector", "status.phase=Running");

        Assert.Equal([$"node/{name}"], byName.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal([$"node/{name}"], cordoned.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(8, schedulable.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.NotEqual(0, unsupported.ExitCode);
        Assert.Contains("field label not supported: status.phase", unsupported.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNodes_EmptySetInLabelSelector_RefusedAsAnApiServerDoes()
    {
        var empty = await KubectlAsync("get", "nodes", "-l", "a in ()");

        Assert.NotEqual(0, empty.ExitCode);
        Assert.Contains("values set can't be empty", empty.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNodesWatch_FieldSelector_ShowsANodeThatStartsMatching()
    {
        var name = _sandbox.State(r => r.Cluster.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).Last().Name);
        await using var watch = ExternalProcess.Start(RepoPaths.Kubectl,
            ["--kubeconfig", _kubeconfig, "get", "nodes", "--watch", "--field-selector", "spec.unschedulable=true", "-o", "name"]);

        Assert.Equal(0, (await KubectlAsync("cordon", name)).ExitCode);

        await Poll.UntilAsync(() => watch.Output.Contains($"node/{name}", StringComparison.Ordinal), Deadline, "the cordoned node appears in the watch");
        Assert.Single(watch.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct());
    }

    [Fact]
    public async Task GetNodes_InChunks_ListsEveryNodeOnce()
    {
        var before = _sandbox.State(r => r.ApiCalls.GetValueOrDefault("kubernetes:list-nodes"));

        var result = await KubectlAsync("get", "nodes", "--chunk-size=2", "-o", "name");

        Assert.True(result.ExitCode == 0, result.ToString());
        var names = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(9, names.Distinct().Count());
        Assert.Equal(9, names.Length);
        Assert.Equal(5, _sandbox.State(r => r.ApiCalls.GetValueOrDefault("kubernetes:list-nodes")) - before); // 2+2+2+2+1
    }

    [Fact]
    public async Task GetNodesWide_ShowsTheServersPriorityOneColumns()
    {
        var result = await KubectlAsync("get", "nodes", "-o", "wide");

        Assert.True(result.ExitCode == 0, result.ToString());
        var header = result.Output.Split('\n')[0];
        foreach (var column in new[] { "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME" })
            Assert.Contains(column, header, StringComparison.Ordinal);
        Assert.All(Rows(result), row => Assert.Contains("Amazon Linux 2023", row, StringComparison.Ordinal));
        Assert.DoesNotContain("INTERNAL-IP", (await KubectlAsync("get", "nodes")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetLeases_ShowsEveryNodesKubeletLease_InItsNamespaceAndAcrossNamespaces()
    {
        var nodes = _sandbox.State(r => r.Cluster.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal).ToList());

        var inNamespace = await KubectlAsync("get", "leases", "-n", "kube-node-lease", "-o", "json");
        var everywhere = await KubectlAsync("get", "leases", "-A");

        Assert.True(inNamespace.ExitCode == 0, inNamespace.ToString());
        var leases = JsonDocument.Parse(inNamespace.Output).RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(nodes, leases.Select(l => l.GetProperty("spec").GetProperty("holderIdentity").GetString()).Order(StringComparer.Ordinal));
        Assert.All(leases, l => Assert.Equal(40, l.GetProperty("spec").GetProperty("leaseDurationSeconds").GetInt32()));
        Assert.True(everywhere.ExitCode == 0, everywhere.ToString());
        Assert.StartsWith("NAMESPACE", everywhere.Output, StringComparison.Ordinal);
        Assert.Equal(9, Rows(everywhere).Count(r => r.StartsWith("kube-node-lease", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task GetEvents_ShowsCreatedEvents_InTheirNamespaceAndAcrossNamespaces()
    {
        using var http = new HttpClient { BaseAddress = _sandbox.Endpoint };
        foreach (var ns in new[] { "drsentinel", "default" })
        {
            var body = System.Text.Json.JsonSerializer.Serialize(new
            {
                metadata = new { generateName = "drill-" }, reason = "Cordoned", message = $"cordoned by the drill in {ns}", type = "Normal",
                involvedObject = new { kind = "Node", name = "ip-10-0-1-10.eu-central-1.compute.internal" },
            });
            var created = await http.PostAsync($"api/v1/namespaces/{ns}/events", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }

        var one = await KubectlAsync("get", "events", "-n", "drsentinel");
        var all = await KubectlAsync("get", "events", "-A");

        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains("cordoned by the drill in drsentinel", one.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("in default", one.Output, StringComparison.Ordinal);
        Assert.Contains("node/ip-10-0-1-10.eu-central-1.compute.internal", one.Output, StringComparison.Ordinal);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal(2, Rows(all).Count(r => r.Contains("cordoned by the drill", StringComparison.Ordinal)));
        Assert.StartsWith("NAMESPACE", all.Output, StringComparison.Ordinal);
    }
}
