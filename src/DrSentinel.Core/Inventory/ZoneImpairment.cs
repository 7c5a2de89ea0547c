namespace DrSentinel.Inventory;

/// <summary>
/// Whether a zone is impaired now, by the same definitions as the alert rules: unavailable by its nodes, or unreachable
/// (at least two data-plane members probed there, every probe failing, while a probe elsewhere succeeds — and, once
/// unreachable, as long as every member it has left fails, however few: <see cref="InventorySnapshot.UnreachableZones"/>).
/// The planner checks it before acting, because an alert can arrive late.
/// </summary>
public sealed record ZoneImpairment(string Zone, bool Unavailable, bool Unreachable, string Explanation)
{
    public bool Impaired => Unavailable || Unreachable;

    /// <summary>Every probe into the zone fails (at least one) while a probe elsewhere succeeds: what a cut-off zone shows.</summary>
    public bool CutOff { get; init; }

    /// <summary>
    /// Whether a firing alert about the zone still holds: impaired, or cut off with fewer members than it takes to start a
    /// verdict where DrSentinel's ledger shows it acted for the zone already (<paramref name="actedFor"/>). A replica that
    /// takes over leadership has no memory of the verdict; the ledger on the resources is that memory, so it sees what the
    /// old leader saw. One failing member and no ledger is no zone.
    /// </summary>
    public bool HoldsAlert(bool actedFor) => Impaired || (CutOff && actedFor);

    /// <summary>
    /// Probes into the zone that fail now. A zone is put back only when none does: right after a failover out of it the
    /// zone has fewer members to probe, and the moved primary can answer under the zone's name until the next Describe,
    /// so "not every probe fails" does not yet mean recovered.
    /// </summary>
    public int FailingProbes => FailingMembers.Count;

    /// <summary>The probed members in the zone whose probe fails now (DB instances, cache clusters), by name.</summary>
    public IReadOnlyList<string> FailingMembers { get; init; } = [];

    /// <summary>
    /// Why AWS can see the zone down, in words — its nodes not Ready, or every kubelet there silent — or may (whether it
    /// does could not be read); null when AWS's control plane sees the zone healthy: its kubelets heartbeat and its nodes
    /// are Ready, the gray failure AWS does not fail over by itself.
    /// </summary>
    public string? AwsSees { get; init; }

    /// <summary>
    /// Whether AWS sees the zone is not known yet, and soon will be: its nodes Ready, and its kubelets' heartbeats not yet
    /// read since it was cut off (the source up, no verdict for the zone). Not when the read fails: that may last.
    /// </summary>
    public bool KubeletsNotReadYet { get; init; }

    /// <summary>Every zone the snapshot knows of: by its nodes and groups (the zone verdicts), or by a probed member there.</summary>
    public static IEnumerable<string> KnownZones(InventorySnapshot snapshot) =>
        snapshot.Zones.Select(z => z.Zone).Concat(snapshot.PostgresProbes.Select(p => p.Zone)).Concat(snapshot.RedisProbes.Select(p => p.Zone))
            .OfType<string>().Distinct(StringComparer.Ordinal);

    public static ZoneImpairment Assess(InventorySnapshot snapshot, string zone)
    {
        var health = snapshot.Zones.FirstOrDefault(z => z.Zone == zone);
        var unavailable = health is { Status: ZoneStatus.Unavailable };
        var probes = snapshot.PostgresProbes.Select(p => (p.Zone, p.Up, Name: p.DbInstance))
            .Concat(snapshot.RedisProbes.Select(p => (p.Zone, p.Up, Name: p.CacheClusterId))).ToList();
        var here = probes.Where(p => p.Zone == zone).ToList();
        var cutOff = here.Count >= 1 && here.All(p => !p.Up) && probes.Any(p => p.Zone != zone && p.Up);
        var unreachable = cutOff && (here.Count >= 2 || snapshot.UnreachableZones.Contains(zone));
        var nodes = health is null ? "no nodes known" : $"{health.ReadyNodes}/{health.Nodes} nodes Ready ({health.Status.ToString().ToLowerInvariant()})";
        var probed = here.Count == 0 ? "no probes" : $"{here.Count(p => !p.Up)}/{here.Count} probes failing";
        var heartbeatsRead = snapshot.Sources.GetValueOrDefault(ZoneKubelets.SourceName) is { Up: true };
        var kubelets = heartbeatsRead ? snapshot.Kubelets.FirstOrDefault(k => k.Zone == zone) : null;
        var heartbeats = kubelets is null ? "" : $", kubelets {kubelets.Behind.TotalSeconds:F0} s behind the other zones'";
        return new ZoneImpairment(zone, unavailable, unreachable, $"{zone}: {nodes}, {probed}{heartbeats}")
        {
            CutOff = cutOff,
            FailingMembers = [.. here.Where(p => !p.Up).Select(p => p.Name)],
            KubeletsNotReadYet = !unavailable && heartbeatsRead && kubelets is null,
            AwsSees = unavailable ? $"{zone}'s nodes are not Ready, which AWS sees too"
                : kubelets is null && heartbeatsRead ? $"whether AWS sees {zone} down is not known yet: its kubelets' heartbeats (node Leases) are read within {ZoneKubelets.ReadEvery.TotalSeconds:F0} s of a cut"
                : kubelets is null ? $"whether AWS sees {zone} down is not known: its kubelets' heartbeats (node Leases) could not be read (source {ZoneKubelets.SourceName} down)"
                : kubelets.Silent ? $"every kubelet in {zone} has missed its heartbeats ({kubelets.Behind.TotalSeconds:F0} s behind the other zones'): its hosts are down, which AWS sees too"
                : null,
        };
    }

    /// <summary>The share of the cluster's nodes that are not Ready (0 with no nodes).</summary>
    public static double UnreadyShare(InventorySnapshot snapshot)
    {
        var counts = snapshot.Nodes.ZoneCounts;
        var total = counts.Sum(c => c.Count);
        return total == 0 ? 0 : (double)counts.Where(c => c.ReadyStatus != "True").Sum(c => c.Count) / total;
    }
}
