using DrSentinel.Inventory;
using DrSentinel.Inventory.Probes;
using Microsoft.Extensions.Options;

namespace DrSentinel.Metrics;

/// <summary>
/// Renders one inventory snapshot as Prometheus series at scrape time, into a buffer of its own: it never calls out,
/// and two concurrent scrapes cannot tear each other's output (one primary per database, never two or none).
/// </summary>
public sealed partial class InventoryMetrics(InventoryStore store, IOptions<ProbeOptions> probes)
{
    private const string Cached = " Cached: as of the source's last successful refresh.";

    private static readonly GaugeFamily Nodes = new("drsentinel_kubernetes_nodes",
        "Kubernetes nodes per zone by Ready condition (ready, not_ready, unknown) and schedulability, from the node watch.", "az", "condition", "schedulable");
    private static readonly GaugeFamily ZoneRatio = new("drsentinel_az_ready_nodes_ratio", "Share of a zone's Kubernetes nodes that are Ready (0 when the zone has none).", "az");
    private static readonly GaugeFamily ZoneStatusFamily = new("drsentinel_az_status",
        "Derived zone health: 1 on the current status (healthy, degraded, unavailable), 0 on the others; thresholds on the Ready share are configured.", "az", "status");

    private static readonly GaugeFamily KubeletHeartbeatBehind = new("drsentinel_kubelet_heartbeat_behind_seconds",
        "How far the newest kubelet heartbeat (node Lease renewal) in the zone lags the newest in the other zones, read only while a zone is cut off (no series otherwise): over one and a half renewal intervals (15 s at the kubelet's 40 s Lease) the zone's hosts are down, which AWS sees too." + Cached,
        "az");

    private static readonly GaugeFamily SourceUp = new("drsentinel_source_up",
        "1 when the source's last refresh succeeded, else 0 (its series then keep their last values).", "source");
    private static readonly GaugeFamily SourceLastSuccess = new("drsentinel_source_last_success_timestamp_seconds",
        "When the source last refreshed successfully (Unix time).", "source");
    private static readonly GaugeFamily SourceDuration = new("drsentinel_source_refresh_duration_seconds", "Time the source's last refresh took.", "source");

    /// <summary>Every inventory series of the current snapshot, in the text exposition format.</summary>
    public string Render() => Render(store.Current, probes.Value);

    /// <summary>Every inventory series of <paramref name="s"/>: a pure function of the snapshot and the probe settings.</summary>
    public static string Render(InventorySnapshot s, ProbeOptions probes)
    {
        var w = new ExpositionWriter();
        RenderNodes(w, s);
        RenderScalingGroups(w, s);
        RenderDatabases(w, s, probes.Postgres);
        RenderCaches(w, s, probes.Redis);
        RenderZonalShifts(w, s);
        var sources = s.Sources.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        w.Write(SourceUp, sources.Select(kv => (new[] { kv.Key }, kv.Value.Up ? 1.0 : 0.0)));
        w.Write(SourceLastSuccess, sources.Where(kv => kv.Value.LastSuccess is not null)
            .Select(kv => (new[] { kv.Key }, kv.Value.LastSuccess!.Value.ToUnixTimeMilliseconds() / 1000.0)));
        w.Write(SourceDuration, sources.Select(kv => (new[] { kv.Key }, kv.Value.LastDuration.TotalSeconds)));
        return w.ToString();
    }

    private static string Flag(bool value) => value ? "true" : "false";

    private static string Condition(string readyStatus) => readyStatus switch
    {
        "True" => "ready",
        "False" => "not_ready",
        _ => "unknown",
    };

    private static void RenderNodes(ExpositionWriter w, InventorySnapshot s)
    {
        w.Write(Nodes, s.Nodes.ZoneCounts.GroupBy(c => (c.Zone, Condition(c.ReadyStatus), c.Schedulable))
            .Select(g => (new[] { g.Key.Zone, g.Key.Item2, Flag(g.Key.Schedulable) }, (double)g.Sum(c => c.Count))));
        w.Write(ZoneRatio, s.Zones.Select(z => (new[] { z.Zone }, z.ReadyRatio)));
        w.Write(ZoneStatusFamily, s.Zones.SelectMany(z => Enum.GetValues<ZoneStatus>()
            .Select(status => (new[] { z.Zone, status.ToString().ToLowerInvariant() }, z.Status == status ? 1.0 : 0.0))));
        w.Write(KubeletHeartbeatBehind, s.Kubelets.Select(k => (new[] { k.Zone }, k.Behind.TotalSeconds)));
    }
}
