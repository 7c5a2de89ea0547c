using System.Collections.Immutable;

namespace DrSentinel.Inventory;

/// <summary>
/// How far a zone's kubelets' newest heartbeat (the renewTime of their node Leases in kube-node-lease) lags the newest
/// heartbeat of the other zones' kubelets. Every kubelet in the zone silent means the zone's hosts are down or cut off
/// from the control plane: what AWS's own monitoring of those hosts sees too, read some 30 s before the nodes turn NotReady.
/// Compared across kubelets only (each Lease carries its kubelet's clock, as the Lease API intends), never against
/// DrSentinel's clock, so a skewed pod clock or a faster sandbox region does not change the verdict.
/// </summary>
public sealed record ZoneKubelets(string Zone, int Nodes, TimeSpan Behind, TimeSpan SilentAfter)
{
    /// <summary>The source that reads the node Leases, and only while a zone is cut off.</summary>
    public const string SourceName = "kubernetes_node_leases";

    /// <summary>
    /// How often the Leases are read while a zone is cut off: half a kubelet's renewal interval (10 s), so a verdict is
    /// never more than 5 s old, and a decision that came before the first read is made again this soon.
    /// </summary>
    public static readonly TimeSpan ReadEvery = TimeSpan.FromSeconds(5);

    /// <summary>A kubelet renews its Lease every quarter of its duration (the kubelet's renew-interval fraction).</summary>
    private const double RenewFraction = 0.25;

    /// <summary>Every kubelet in the zone has missed more than one and a half renewals that the other zones made.</summary>
    public bool Silent => Behind > SilentAfter;

    /// <summary>
    /// Judges each zone from one read of the node Leases (node name, zone, renewTime, leaseDurationSeconds). A zone whose
    /// nodes have no Lease, or a cluster with one zone only, gets no verdict.
    /// </summary>
    public static ImmutableArray<ZoneKubelets> Judge(IEnumerable<(string Zone, DateTimeOffset RenewTime, int LeaseDurationSeconds)> leases)
    {
        var byZone = leases.GroupBy(l => l.Zone, StringComparer.Ordinal)
            .Select(g => (Zone: g.Key, Count: g.Count(), Newest: g.Max(l => l.RenewTime), Duration: g.Max(l => l.LeaseDurationSeconds)))
            .ToList();
        return [.. byZone
            .Where(z => byZone.Any(other => other.Zone != z.Zone))
            .Select(z =>
            {
                var newestElsewhere = byZone.Where(other => other.Zone != z.Zone).Max(other => other.Newest);
                var behind = newestElsewhere > z.Newest ? newestElsewhere - z.Newest : TimeSpan.Zero;
                return new ZoneKubelets(z.Zone, z.Count, behind, TimeSpan.FromSeconds(1.5 * RenewFraction * z.Duration));
            })
            .OrderBy(z => z.Zone, StringComparer.Ordinal)];
    }
}
