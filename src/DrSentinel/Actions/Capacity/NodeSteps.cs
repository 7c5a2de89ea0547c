using System.Net;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.Capacity;
using k8s;
using k8s.Autorest;
using k8s.Models;
using static DrSentinel.Actions.StepResult;

namespace DrSentinel.Actions.Capacity;

/// <summary>The capacity playbook's node steps: cordon and uncordon, each node patched on its own with its own retries.</summary>
public sealed class NodeSteps(k8s.Kubernetes kubernetes, InventoryStore store, ActionEvents events, ApiCallRecorder calls, StepRetries retries) : IStepHandler
{
    private const int NodeParallelism = 8;

    public bool Takes(PlanStep planStep) => planStep is CordonNodes or UncordonNodes;

    public bool RetriesItself => true;

    public Task<StepResult> RunAsync(PlanStep planStep, Action calling, CancellationToken cancel) => planStep switch
    {
        CordonNodes c => NodesAsync(c.Nodes.Select(n => (n, true)), c.Zone, calling, cancel),
        UncordonNodes u => NodesAsync(u.Uncordon.Select(n => (n, false)).Concat(u.ForgetOnly.Select(n => (n, false))), u.Zone, calling, cancel),
        _ => throw new InvalidOperationException($"{nameof(NodeSteps)} does not take {planStep.GetType().Name}"),
    };

    /// <summary>
    /// Cordons or uncordons nodes, each with a merge patch conditional on the resourceVersion last read, so a node
    /// someone else changed meanwhile is read again and judged again rather than overwritten.
    /// </summary>
    private async Task<StepResult> NodesAsync(IEnumerable<(string Node, bool Cordon)> nodes, string zone, Action calling, CancellationToken cancel)
    {
        int changed = 0, unchanged = 0;
        var failures = new List<(string Node, Exception Error)>();
        await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = NodeParallelism, CancellationToken = cancel }, async (item, token) =>
        {
            try
            {
                var result = await retries.RunAsync(new CordonNodes(zone, [item.Node]), () => NodeAsync(item.Node, item.Cordon, zone, calling, token), token).ConfigureAwait(false);
                if (result.Outcome == StepOutcome.Success) Interlocked.Increment(ref changed);
                else if (result.Outcome == StepOutcome.Failed) lock (failures) failures.Add((item.Node, result.Error!));
                else Interlocked.Increment(ref unchanged);
            }
            catch (HttpOperationException e)
            {
                lock (failures) failures.Add((item.Node, e));
            }
        }).ConfigureAwait(false);
        if (failures.Count > 0)
            return new StepResult(StepOutcome.Failed, $"{failures.Count} node(s) not changed, first {failures[0].Node}; {changed} changed", failures[0].Error);
        return changed > 0 ? Changed($"{changed} node(s) changed, {unchanged} already as wanted") : Done($"{unchanged} node(s) already as wanted");
    }

    private async Task<StepResult> NodeAsync(string name, bool cordon, string zone, Action calling, CancellationToken cancel)
    {
        // First as the watch last saw it: the patch carries that resourceVersion, so the API server itself refuses it (409)
        // if the node changed since, and only then is it read. The common case costs one call, not two.
        var watched = store.Current.Nodes.ByName.GetValueOrDefault(name);
        for (var conflicts = 0; ; conflicts++)
        {
            using var activity = Observability.Source.StartActivity($"kubernetes {(cordon ? "cordon" : "uncordon")} node", System.Diagnostics.ActivityKind.Client);
            activity?.SetTag("k8s.node.name", name);
            var node = conflicts == 0 && watched?.ResourceVersion is { } version
                ? (Version: version, Unschedulable: watched.Unschedulable, CordonedFor: watched.CordonedFor)
                : await ReadNodeAsync(name, cancel).ConfigureAwait(false);
            if (node is null) return Done("the node is gone");
            var ours = node.Value.CordonedFor == zone;
            var unschedulable = node.Value.Unschedulable;
            string patch;
            if (cordon)
            {
                if (unschedulable) return Done(ours ? "already cordoned" : "cordoned by someone else: left alone");
                patch = Patch(node.Value.Version, unschedulable: true, zone);
            }
            else
            {
                if (!ours) return Done("not DrSentinel's cordon");
                patch = Patch(node.Value.Version, unschedulable: unschedulable ? false : null, null);
            }
            try
            {
                calling();
                await calls.KubernetesAsync("patch_node",
                    () => kubernetes.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, cancellationToken: cancel)).ConfigureAwait(false);
                await events.NodeAsync(name, cordon ? "ZoneEvacuationCordon" : "ZoneRestoreUncordon",
                    cordon ? $"DrSentinel cordoned this node: {zone} is impaired (not evicted; pods stay until they move)"
                        : unschedulable ? $"DrSentinel uncordoned this node: {zone} recovered" : $"DrSentinel forgot its cordon: someone uncordoned this node while {zone} was evacuated",
                    cancel).ConfigureAwait(false);
                return Changed(cordon ? $"cordoned {name}" : $"uncordoned {name}");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && conflicts < 5)
            {
                // Changed since it was seen: read it again and decide again.
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return Done("the node is gone");
            }
        }
    }

    private async Task<(string Version, bool Unschedulable, string? CordonedFor)?> ReadNodeAsync(string name, CancellationToken cancel)
    {
        try
        {
            var node = await calls.KubernetesAsync("read_node", () => kubernetes.CoreV1.ReadNodeAsync(name, cancellationToken: cancel)).ConfigureAwait(false);
            string? cordonedFor = null;
            _ = node.Metadata.Annotations?.TryGetValue(LedgerKeys.CordonedForZone, out cordonedFor);
            return (node.Metadata.ResourceVersion, node.Spec?.Unschedulable ?? false, cordonedFor);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>A merge patch conditional on <paramref name="resourceVersion"/>; a null annotation value removes it.</summary>
    private static string Patch(string resourceVersion, bool? unschedulable, string? zone)
    {
        var annotation = zone is null ? "null" : System.Text.Json.JsonSerializer.Serialize(zone, ActionJsonContext.Default.String);
        var spec = unschedulable is { } u ? $",\"spec\":{{\"unschedulable\":{(u ? "true" : "false")}}}" : "";
        var version = System.Text.Json.JsonSerializer.Serialize(resourceVersion, ActionJsonContext.Default.String);
        return $"{{\"metadata\":{{\"resourceVersion\":{version},\"annotations\":{{\"{LedgerKeys.CordonedForZone}\":{annotation}}}}}{spec}}}";
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ActionJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
