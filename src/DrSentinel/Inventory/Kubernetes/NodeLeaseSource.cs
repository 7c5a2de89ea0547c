using System.Collections.Immutable;
using k8s;

namespace DrSentinel.Inventory.Kubernetes;

/// <summary>
/// The kubelets' heartbeats (their node Leases in kube-node-lease), read only while some zone is cut off — every probe
/// into it failing — to tell a zone whose hosts are down (AWS sees it and fails its databases over by itself) from a gray
/// failure (AWS sees nothing) within seconds, not after the 40 s it takes the nodes to turn NotReady. In steady state it
/// makes no call, so a 5,000-node cluster's heartbeats cost nothing until they matter.
/// </summary>
public sealed partial class NodeLeaseSource(k8s.Kubernetes client, ApiCallRecorder calls, ILogger<NodeLeaseSource> logger) : IInventorySource
{
    public const string Namespace = "kube-node-lease";
    private const int ListPageSize = 500;
    private ImmutableHashSet<string> _silent = ImmutableHashSet<string>.Empty;

    public string Name => ZoneKubelets.SourceName;

    public TimeSpan Interval => ZoneKubelets.ReadEvery;

    public async Task<Func<InventorySnapshot, InventorySnapshot>> RefreshAsync(InventorySnapshot current, CancellationToken cancel)
    {
        if (!ZoneImpairment.KnownZones(current).Any(zone => ZoneImpairment.Assess(current, zone).CutOff))
        {
            _silent = ImmutableHashSet<string>.Empty;
            return snapshot => snapshot.Kubelets.IsEmpty ? snapshot : snapshot with { Kubelets = [] };
        }

        var leases = new List<(string Zone, DateTimeOffset RenewTime, int LeaseDurationSeconds)>();
        string? next = null;
        do
        {
            var page = await calls.KubernetesAsync("list_node_leases",
                () => client.CoordinationV1.ListNamespacedLeaseAsync(Namespace, continueParameter: next, limit: ListPageSize, cancellationToken: cancel)).ConfigureAwait(false);
            foreach (var lease in page.Items)
            {
                // A node's Lease has the node's name; a Lease of a node DrSentinel does not know (or with no zone) says nothing of a zone.
                if (current.Nodes.ByName.GetValueOrDefault(lease.Metadata.Name)?.Zone is not { } zone || lease.Spec?.RenewTime is not { } renewed) continue;
                leases.Add((zone, new DateTimeOffset(renewed.Kind == DateTimeKind.Local ? renewed.ToUniversalTime() : DateTime.SpecifyKind(renewed, DateTimeKind.Utc)),
                    lease.Spec.LeaseDurationSeconds ?? 40));
            }
            next = string.IsNullOrEmpty(page.Metadata?.ContinueProperty) ? null : page.Metadata.ContinueProperty;
        }
        while (next is not null);

        var judged = ZoneKubelets.Judge(leases);
        var silent = judged.Where(k => k.Silent).Select(k => k.Zone).ToImmutableHashSet(StringComparer.Ordinal);
        foreach (var zone in judged.Where(k => k.Silent != _silent.Contains(k.Zone)))
            LogVerdict(logger, zone.Zone, zone.Silent ? "silent: its hosts are down, which AWS sees too" : "heartbeating",
                zone.Behind.TotalSeconds, zone.Nodes);
        _silent = silent;
        return snapshot => snapshot with { Kubelets = judged };
    }

    [LoggerMessage(EventId = EventIds.KubeletHeartbeats, Level = LogLevel.Information,
        Message = "Kubelets in {Zone} are {Verdict} (newest heartbeat {BehindSeconds:F0} s behind the other zones', {Nodes} nodes)")]
    private static partial void LogVerdict(ILogger logger, string zone, string verdict, double behindSeconds, int nodes);
}
